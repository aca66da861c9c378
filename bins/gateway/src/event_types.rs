//! The `DomainEvent` union of the OpenAPI document: every crate's events,
//! each kind with its `data`, gathered from the crates' contracts. The
//! server stores and serves events as the contracts serialise them; these
//! types only describe that shape (a test checks they name every kind).

use chrono::{DateTime, Utc};
use quickfix_bookings::contract::{BookingLocated, BookingReminder, BookingUpdated};
use quickfix_jobs::contract::{
    AcceptedOffer, JobCancelled, JobExpired, OfferCountered, OfferCreated, OfferExpired,
    OfferRevised, OfferWithdrawn,
};
use quickfix_messaging::contract::MessageCreated;
use quickfix_ratings::contract::{AggregateChanged, RatingCreated, RatingDeleted};
use quickfix_users::contract::{
    SessionEnded, SessionStarted, UserActivation, UserDeleted, UserRegistered,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::event_log::{ParkedResponse, SubjectResponse};

/// An event's kind with its data: one variant per kind of every crate.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", content = "data")]
pub enum EventData {
    /// An account was made (users).
    #[serde(rename = "user.registered")]
    UserRegistered(UserRegistered),
    /// An admin deactivated an account (users).
    #[serde(rename = "user.suspended")]
    UserSuspended(UserActivation),
    /// An admin reactivated an account (users).
    #[serde(rename = "user.reinstated")]
    UserReinstated(UserActivation),
    /// The user deleted the account (users).
    #[serde(rename = "user.deleted")]
    UserDeleted(UserDeleted),
    /// A login began (users).
    #[serde(rename = "session.started")]
    SessionStarted(SessionStarted),
    /// A login, or every login of a user, ended (users).
    #[serde(rename = "session.ended")]
    SessionEnded(SessionEnded),
    /// An open job was cancelled (jobs).
    #[serde(rename = "job.cancelled")]
    JobCancelled(JobCancelled),
    /// An open job expired (jobs, a timed rule).
    #[serde(rename = "job.expired")]
    JobExpired(JobExpired),
    /// An offer was made (jobs).
    #[serde(rename = "offer.created")]
    OfferCreated(OfferCreated),
    /// An offer was withdrawn (jobs).
    #[serde(rename = "offer.withdrawn")]
    OfferWithdrawn(OfferWithdrawn),
    /// The job's owner countered an offer (jobs).
    #[serde(rename = "offer.countered")]
    OfferCountered(OfferCountered),
    /// The provider revised a countered offer (jobs).
    #[serde(rename = "offer.revised")]
    OfferRevised(OfferRevised),
    /// An open offer expired unanswered (jobs, a timed rule).
    #[serde(rename = "offer.expired")]
    OfferExpired(OfferExpired),
    /// An offer was accepted; its booking follows (jobs).
    #[serde(rename = "offer.accepted")]
    OfferAccepted(AcceptedOffer),
    /// A booking was made or moved (bookings).
    #[serde(rename = "booking.updated")]
    BookingUpdated(BookingUpdated),
    /// The provider shared a position (bookings).
    #[serde(rename = "booking.location")]
    BookingLocated(BookingLocated),
    /// A confirmed booking's work is near (bookings, a timed rule).
    #[serde(rename = "booking.reminder")]
    BookingReminder(BookingReminder),
    /// A message was sent (messaging).
    #[serde(rename = "message.created")]
    MessageCreated(MessageCreated),
    /// A rating became visible (ratings).
    #[serde(rename = "rating.created")]
    RatingCreated(RatingCreated),
    /// A rating was deleted (ratings).
    #[serde(rename = "rating.deleted")]
    RatingDeleted(RatingDeleted),
    /// A user's rating aggregate changed (ratings).
    #[serde(rename = "rating.aggregate_changed")]
    RatingAggregateChanged(AggregateChanged),
}

/// A domain event: `{id, kind, occurred_at, actor_id?, subject, data}`, a
/// union discriminated by `kind` (see `docs/events.md`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DomainEvent)]
pub struct DomainEventDoc {
    /// The event's id (a consumer handles each id once).
    #[schema(format = Uuid)]
    pub id: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Who did it, when a user did.
    pub actor_id: Option<String>,
    /// What it happened to.
    pub subject: SubjectResponse,
    /// The kind and its data.
    #[serde(flatten)]
    pub event: EventData,
}

/// A domain event as the log shows it: the event and the consumers that
/// gave up on it after their retries.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EventResponse)]
pub struct EventResponseDoc {
    /// The event.
    #[serde(flatten)]
    pub event: DomainEventDoc,
    /// Consumers that gave up on it after their retries.
    pub parked: Vec<ParkedResponse>,
}

#[cfg(test)]
mod tests {
    use quickfix_shared::events::EventSet;

    #[test]
    fn the_union_names_every_kind_of_every_contract_once() {
        let schema = serde_json::to_value(<super::EventData as utoipa::PartialSchema>::schema())
            .expect("the schema serialises");
        let mut documented: Vec<String> = schema["oneOf"]
            .as_array()
            .expect("a oneOf")
            .iter()
            .map(|variant| {
                variant["properties"]["kind"]["enum"][0]
                    .as_str()
                    .expect("a kind")
                    .to_owned()
            })
            .collect();
        documented.sort();
        let mut kinds: Vec<String> = [
            quickfix_users::contract::AccountEvent::KINDS,
            quickfix_jobs::contract::JobEvent::KINDS,
            quickfix_bookings::contract::BookingEvent::KINDS,
            quickfix_messaging::contract::MessageEvent::KINDS,
            quickfix_ratings::contract::RatingEvent::KINDS,
        ]
        .concat()
        .into_iter()
        .map(str::to_owned)
        .collect();
        kinds.sort();
        assert_eq!(documented, kinds);
    }
}
