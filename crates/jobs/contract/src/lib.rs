//! What other crates may know of the jobs crate: its ids, the states of jobs
//! and offers, its events, and the one command another crate gives it
//! (accepting an offer into a booking). Nothing here touches a database.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::events::{EventSet, Subject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use quickfix_shared::ids::{BookingId, JobId, OfferId, UserId};

/// A job's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Taking offers.
    Open,
    /// An offer was accepted; a booking exists.
    Booked,
    /// The booking was completed.
    Completed,
    /// Cancelled by its owner or an admin.
    Cancelled,
    /// Open too long, or its planned time long past, with no acceptance.
    Expired,
}

impl JobStatus {
    /// Every state.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Open,
        JobStatus::Booked,
        JobStatus::Completed,
        JobStatus::Cancelled,
        JobStatus::Expired,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Open => "open",
            JobStatus::Booked => "booked",
            JobStatus::Completed => "completed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Expired => "expired",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// An offer's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Waiting for the customer.
    Pending,
    /// The customer answered with a counter price; waiting for the provider.
    Countered,
    /// Accepted: it became a booking.
    Accepted,
    /// Another offer was accepted, or the job was cancelled or expired.
    Rejected,
    /// Withdrawn by its provider.
    Withdrawn,
    /// Nobody answered its last round within `jobs.offer_ttl_secs`.
    Expired,
}

impl OfferStatus {
    /// Every state.
    pub const ALL: [OfferStatus; 6] = [
        OfferStatus::Pending,
        OfferStatus::Countered,
        OfferStatus::Accepted,
        OfferStatus::Rejected,
        OfferStatus::Withdrawn,
        OfferStatus::Expired,
    ];

    /// The states of a live offer: the provider's one open offer on its
    /// job, which the owner may accept, counter or let expire.
    pub const OPEN: [OfferStatus; 2] = [OfferStatus::Pending, OfferStatus::Countered];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Pending => "pending",
            OfferStatus::Countered => "countered",
            OfferStatus::Accepted => "accepted",
            OfferStatus::Rejected => "rejected",
            OfferStatus::Withdrawn => "withdrawn",
            OfferStatus::Expired => "expired",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Who accepts an offer, and so at which price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "party", content = "user_id", rename_all = "snake_case")]
pub enum Acceptor {
    /// The job's owner takes a pending or countered offer at the
    /// provider's price.
    Customer(UserId),
    /// The offer's provider takes the owner's counter price.
    Provider(UserId),
}

impl Acceptor {
    /// The accepting user.
    pub fn user_id(&self) -> &UserId {
        match self {
            Acceptor::Customer(user) | Acceptor::Provider(user) => user,
        }
    }
}

/// The command that accepts an offer, by the job's owner or (a counter) by
/// the offer's provider; the booking it becomes will have `booking_id`.
/// The booking id is the command's idempotency key: the same command again
/// answers the same acceptance, so a caller that lost the answer may
/// repeat it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptOffer {
    /// The job.
    pub job_id: JobId,
    /// The offer to accept.
    pub offer_id: OfferId,
    /// Who accepts.
    pub by: Acceptor,
    /// The booking the acceptance becomes.
    pub booking_id: BookingId,
}

/// An accepted offer: what the booking is made from. Also the data of the
/// `offer.accepted` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AcceptedOffer {
    /// The accepted offer.
    pub offer_id: OfferId,
    /// Its job, now `booked`.
    pub job_id: JobId,
    /// The booking it becomes.
    pub booking_id: BookingId,
    /// The job's owner.
    pub customer_id: UserId,
    /// The offer's provider.
    pub provider_id: UserId,
    /// The agreed price.
    #[schema(example = 12000)]
    pub price_cents: i64,
    /// When the work should happen, if the job says.
    #[schema(required = true)]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// The providers whose pending offers were rejected by this acceptance.
    pub rejected_provider_ids: Vec<UserId>,
}

/// What the jobs crate is asked by others.
pub trait OfferAcceptance: Send + Sync + 'static {
    /// Accepts an offer: the job becomes `booked`, the offer `accepted` and
    /// the job's other pending and countered offers `rejected`, and
    /// `offer.accepted` is stored in the same transaction. The owner
    /// accepts a pending or countered offer at its price, the provider a
    /// countered one at the counter price. Of racing commands on one job
    /// (by either party, on any of its offers) one wins; the others are
    /// refused (409 `job_not_open` or `offer_not_pending`). A job or offer
    /// the acceptor may not see: 404; a customer not the job's owner: 403.
    fn accept(&self, command: AcceptOffer) -> BoxFuture<'static, Result<AcceptedOffer, ApiError>>;
}

/// What deleting an account asks of the jobs crate (the users crate asks
/// it before it deletes; the jobs crate follows `user.deleted` after).
pub trait AccountClosure: Send + Sync + 'static {
    /// Closes `user`'s account to new jobs, offers and acceptances, in one
    /// transaction with the check that they have no booked job as customer
    /// or provider (else 409 `account_has_active_bookings`, and nothing
    /// changed). Of a closure and an accept racing, one is refused.
    fn close(&self, user: UserId) -> BoxFuture<'static, Result<(), ApiError>>;

    /// Takes back a closure whose deletion did not happen after all.
    fn reopen(&self, user: UserId) -> BoxFuture<'static, Result<(), ApiError>>;
}

/// `job.cancelled`: the owner or an admin cancelled an open job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobCancelled {
    /// The job.
    pub job_id: JobId,
    /// Its owner.
    pub customer_id: UserId,
    /// The providers whose offers were rejected with it.
    pub provider_ids: Vec<UserId>,
}

/// `offer.created`: a provider offered on a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OfferCreated {
    /// The offer.
    pub offer_id: OfferId,
    /// The job.
    pub job_id: JobId,
    /// The job's title, for the owner's notification.
    pub job_title: String,
    /// The job's owner.
    pub customer_id: UserId,
    /// Who offered.
    pub provider_id: UserId,
    /// The price asked.
    #[schema(example = 12000)]
    pub price_cents: i64,
}

/// `offer.countered`: the job's owner answered an offer with a price of
/// their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OfferCountered {
    /// The offer.
    pub offer_id: OfferId,
    /// The job.
    pub job_id: JobId,
    /// The job's title, for the provider's notification.
    pub job_title: String,
    /// The job's owner.
    pub customer_id: UserId,
    /// The offer's provider.
    pub provider_id: UserId,
    /// The provider's last price.
    #[schema(example = 12000)]
    pub price_cents: i64,
    /// The owner's counter price.
    #[schema(example = 10000)]
    pub counter_price_cents: i64,
    /// The owner's note, if any.
    #[schema(required = true)]
    pub message: Option<String>,
}

/// `offer.revised`: the provider answered a counter with a new price; the
/// offer is pending again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OfferRevised {
    /// The offer.
    pub offer_id: OfferId,
    /// The job.
    pub job_id: JobId,
    /// The job's title, for the owner's notification.
    pub job_title: String,
    /// The job's owner.
    pub customer_id: UserId,
    /// The offer's provider.
    pub provider_id: UserId,
    /// The new price.
    #[schema(example = 11000)]
    pub price_cents: i64,
    /// The provider's note, if any.
    #[schema(required = true)]
    pub message: Option<String>,
}

/// `offer.expired`: nobody answered an open offer's last round within
/// `jobs.offer_ttl_secs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OfferExpired {
    /// The offer.
    pub offer_id: OfferId,
    /// The job.
    pub job_id: JobId,
    /// The job's title, for the notifications.
    pub job_title: String,
    /// The job's owner.
    pub customer_id: UserId,
    /// The offer's provider.
    pub provider_id: UserId,
}

/// `job.expired`: an open job was open too long, or its planned time is
/// long past; its open offers were rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobExpired {
    /// The job.
    pub job_id: JobId,
    /// The job's title, for the notifications.
    pub job_title: String,
    /// Its owner.
    pub customer_id: UserId,
    /// The providers whose offers were rejected with it.
    pub provider_ids: Vec<UserId>,
}

/// `offer.withdrawn`: a provider took a pending offer back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OfferWithdrawn {
    /// The offer.
    pub offer_id: OfferId,
    /// The job.
    pub job_id: JobId,
    /// The job's owner.
    pub customer_id: UserId,
    /// Who withdrew.
    pub provider_id: UserId,
}

/// The jobs crate's events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum JobEvent {
    /// An open job was cancelled.
    #[serde(rename = "job.cancelled")]
    Cancelled(JobCancelled),
    /// An offer was made.
    #[serde(rename = "offer.created")]
    OfferCreated(OfferCreated),
    /// An open job expired.
    #[serde(rename = "job.expired")]
    Expired(JobExpired),
    /// An offer was withdrawn.
    #[serde(rename = "offer.withdrawn")]
    OfferWithdrawn(OfferWithdrawn),
    /// The owner countered an offer.
    #[serde(rename = "offer.countered")]
    OfferCountered(OfferCountered),
    /// The provider revised a countered offer.
    #[serde(rename = "offer.revised")]
    OfferRevised(OfferRevised),
    /// An open offer expired.
    #[serde(rename = "offer.expired")]
    OfferExpired(OfferExpired),
    /// An offer was accepted; its booking follows.
    #[serde(rename = "offer.accepted")]
    OfferAccepted(AcceptedOffer),
}

impl EventSet for JobEvent {
    const KINDS: &'static [&'static str] = &[
        "job.cancelled",
        "job.expired",
        "offer.created",
        "offer.withdrawn",
        "offer.countered",
        "offer.revised",
        "offer.expired",
        "offer.accepted",
    ];

    fn subject(&self) -> Subject {
        match self {
            JobEvent::Cancelled(e) => Subject::of("job", &e.job_id),
            JobEvent::Expired(e) => Subject::of("job", &e.job_id),
            JobEvent::OfferCountered(e) => Subject::of("offer", &e.offer_id),
            JobEvent::OfferRevised(e) => Subject::of("offer", &e.offer_id),
            JobEvent::OfferExpired(e) => Subject::of("offer", &e.offer_id),
            JobEvent::OfferCreated(e) => Subject::of("offer", &e.offer_id),
            JobEvent::OfferWithdrawn(e) => Subject::of("offer", &e.offer_id),
            JobEvent::OfferAccepted(e) => Subject::of("offer", &e.offer_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        let (job_id, offer_id, customer_id, provider_id) = (
            JobId::generate(),
            OfferId::generate(),
            UserId::generate(),
            UserId::generate(),
        );
        quickfix_shared::events::assert_kinds_match(vec![
            JobEvent::Cancelled(JobCancelled {
                job_id: job_id.clone(),
                customer_id: customer_id.clone(),
                provider_ids: vec![provider_id.clone()],
            }),
            JobEvent::OfferCreated(OfferCreated {
                offer_id: offer_id.clone(),
                job_id: job_id.clone(),
                job_title: "Fix the sink".to_owned(),
                customer_id: customer_id.clone(),
                provider_id: provider_id.clone(),
                price_cents: 100,
            }),
            JobEvent::OfferWithdrawn(OfferWithdrawn {
                offer_id: offer_id.clone(),
                job_id: job_id.clone(),
                customer_id: customer_id.clone(),
                provider_id: provider_id.clone(),
            }),
            JobEvent::Expired(JobExpired {
                job_id: job_id.clone(),
                job_title: "Fix the sink".to_owned(),
                customer_id: customer_id.clone(),
                provider_ids: vec![provider_id.clone()],
            }),
            JobEvent::OfferCountered(OfferCountered {
                offer_id: offer_id.clone(),
                job_id: job_id.clone(),
                job_title: "Fix the sink".to_owned(),
                customer_id: customer_id.clone(),
                provider_id: provider_id.clone(),
                price_cents: 100,
                counter_price_cents: 90,
                message: None,
            }),
            JobEvent::OfferRevised(OfferRevised {
                offer_id: offer_id.clone(),
                job_id: job_id.clone(),
                job_title: "Fix the sink".to_owned(),
                customer_id: customer_id.clone(),
                provider_id: provider_id.clone(),
                price_cents: 95,
                message: Some("Meet halfway?".to_owned()),
            }),
            JobEvent::OfferExpired(OfferExpired {
                offer_id: offer_id.clone(),
                job_id: job_id.clone(),
                job_title: "Fix the sink".to_owned(),
                customer_id: customer_id.clone(),
                provider_id: provider_id.clone(),
            }),
            JobEvent::OfferAccepted(AcceptedOffer {
                offer_id,
                job_id,
                booking_id: BookingId::generate(),
                customer_id,
                provider_id,
                price_cents: 100,
                scheduled_for: None,
                rejected_provider_ids: Vec::new(),
            }),
        ]);
    }

    #[test]
    fn states_parse_their_stored_names() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        for status in OfferStatus::ALL {
            assert_eq!(OfferStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JobStatus::parse("nope"), None);
    }
}
