//! What other crates may know of the bookings crate: its ids, a booking's
//! states and its view, its events, and the one question others ask of it
//! (the facts of a booking). Nothing here touches a database.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::events::{EventSet, Subject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use quickfix_shared::ids::{BookingId, JobId, OfferId, UserId};

/// A booking's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
// Named `Status` in the OpenAPI document, as in v1.
#[schema(as = Status)]
pub enum BookingStatus {
    /// Accepted, not started.
    Confirmed,
    /// The provider is at work.
    InProgress,
    /// Done.
    Completed,
    /// Called off.
    Cancelled,
    /// Completed, then contested by the customer; an admin resolves it as
    /// `completed` or `cancelled`.
    Disputed,
}

impl BookingStatus {
    /// Every state.
    pub const ALL: [BookingStatus; 5] = [
        BookingStatus::Confirmed,
        BookingStatus::InProgress,
        BookingStatus::Completed,
        BookingStatus::Cancelled,
        BookingStatus::Disputed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::InProgress => "in_progress",
            BookingStatus::Completed => "completed",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Disputed => "disputed",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the provider may share location (the booking is active).
    pub fn is_active(self) -> bool {
        matches!(self, BookingStatus::Confirmed | BookingStatus::InProgress)
    }
}

/// A booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BookingResponse {
    /// Id.
    pub id: String,
    /// The job.
    pub job_id: String,
    /// The accepted offer.
    pub offer_id: String,
    /// The customer.
    pub customer_id: String,
    /// The provider.
    pub provider_id: String,
    /// The agreed price.
    pub price_cents: i64,
    /// Currency.
    pub currency: String,
    /// State.
    pub status: BookingStatus,
    /// When the work should happen.
    #[schema(required = true)]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Started.
    #[schema(required = true)]
    pub started_at: Option<DateTime<Utc>>,
    /// Completed.
    #[schema(required = true)]
    pub completed_at: Option<DateTime<Utc>>,
    /// Cancelled.
    #[schema(required = true)]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why it was cancelled.
    #[schema(required = true)]
    pub cancel_reason: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

#[cfg(any(test, feature = "test-support"))]
impl BookingResponse {
    /// A booking of `customer` with `provider` in `status`, changed now,
    /// for tests that publish its events by hand.
    pub fn sample(customer: &UserId, provider: &UserId, status: BookingStatus) -> Self {
        let now = Utc::now();
        Self {
            id: BookingId::generate().into_string(),
            job_id: JobId::generate().into_string(),
            offer_id: OfferId::generate().into_string(),
            customer_id: customer.to_string(),
            provider_id: provider.to_string(),
            price_cents: 5000,
            currency: "EUR".to_owned(),
            status,
            scheduled_for: None,
            started_at: Some(now),
            completed_at: (status == BookingStatus::Completed).then_some(now),
            cancelled_at: None,
            cancel_reason: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// What another crate may know of a booking: who its parties are and how
/// far it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFacts {
    /// The booking.
    pub id: BookingId,
    /// Its customer.
    pub customer_id: UserId,
    /// Its provider.
    pub provider_id: UserId,
    /// Its state.
    pub status: BookingStatus,
    /// When it was completed, if it was.
    pub completed_at: Option<DateTime<Utc>>,
}

impl BookingFacts {
    /// The facts a booking's view shows.
    pub fn of(booking: &BookingResponse) -> Self {
        Self {
            id: BookingId::from_db(booking.id.clone()),
            customer_id: UserId::from_db(booking.customer_id.clone()),
            provider_id: UserId::from_db(booking.provider_id.clone()),
            status: booking.status,
            completed_at: booking.completed_at,
        }
    }
}

/// What the bookings crate is asked by others.
pub trait BookingDirectory: Send + Sync + 'static {
    /// The facts of a booking; `None` when there is none.
    fn facts(&self, id: BookingId) -> BoxFuture<'static, Result<Option<BookingFacts>, ApiError>>;
}

/// A fixed set of bookings, for crate tests that need bookings without the
/// bookings crate.
#[derive(Debug, Clone, Default)]
pub struct FixedBookings {
    bookings: std::collections::HashMap<BookingId, BookingFacts>,
}

impl FixedBookings {
    /// The set with `booking` in it too.
    pub fn with(mut self, booking: BookingFacts) -> Self {
        self.bookings.insert(booking.id.clone(), booking);
        self
    }
}

impl BookingDirectory for FixedBookings {
    fn facts(&self, id: BookingId) -> BoxFuture<'static, Result<Option<BookingFacts>, ApiError>> {
        Box::pin(std::future::ready(Ok(self.bookings.get(&id).cloned())))
    }
}

/// `booking.updated`: a booking was made or moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BookingUpdated {
    /// The booking as it is now.
    pub booking: BookingResponse,
    /// Who made or moved it.
    pub actor_id: UserId,
    /// Its customer.
    pub customer_id: UserId,
    /// Its provider.
    pub provider_id: UserId,
}

/// `booking.location`: the provider shared a position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BookingLocated {
    /// The booking.
    pub booking_id: BookingId,
    /// Its customer (who sees the position).
    pub customer_id: UserId,
    /// Its provider.
    pub provider_id: UserId,
    /// Latitude.
    #[schema(example = 38.7223)]
    pub lat: f64,
    /// Longitude.
    #[schema(example = -9.1393)]
    pub lng: f64,
    /// Heading in degrees, if known.
    #[schema(required = true)]
    pub heading: Option<f64>,
    /// Speed in m/s, if known.
    #[schema(required = true)]
    pub speed: Option<f64>,
    /// When the position was taken.
    pub at: DateTime<Utc>,
}

/// `booking.reminder`: a confirmed booking's work is near
/// (`bookings.reminder_before_secs` before `scheduled_for`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BookingReminder {
    /// The booking.
    pub booking_id: BookingId,
    /// Its customer.
    pub customer_id: UserId,
    /// Its provider.
    pub provider_id: UserId,
    /// When the work is planned.
    pub scheduled_for: DateTime<Utc>,
}

pub use quickfix_shared::events::SYSTEM_ACTOR;

/// The bookings crate's events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum BookingEvent {
    /// A booking was made or moved.
    #[serde(rename = "booking.updated")]
    Updated(BookingUpdated),
    /// The provider shared a position.
    #[serde(rename = "booking.location")]
    Located(BookingLocated),
    /// A confirmed booking's work is near.
    #[serde(rename = "booking.reminder")]
    Reminder(BookingReminder),
}

impl EventSet for BookingEvent {
    const KINDS: &'static [&'static str] =
        &["booking.updated", "booking.location", "booking.reminder"];

    fn subject(&self) -> Subject {
        match self {
            BookingEvent::Updated(e) => Subject::of("booking", &e.booking.id),
            BookingEvent::Located(e) => Subject::of("booking", &e.booking_id),
            BookingEvent::Reminder(e) => Subject::of("booking", &e.booking_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        let (customer, provider) = (UserId::generate(), UserId::generate());
        let now = Utc::now();
        let booking = BookingResponse::sample(&customer, &provider, BookingStatus::Completed);
        let facts = BookingFacts::of(&booking);
        assert_eq!(facts.status, BookingStatus::Completed);
        assert_eq!(facts.customer_id, customer);
        quickfix_shared::events::assert_kinds_match(vec![
            BookingEvent::Updated(BookingUpdated {
                booking,
                actor_id: provider.clone(),
                customer_id: customer.clone(),
                provider_id: provider.clone(),
            }),
            BookingEvent::Located(BookingLocated {
                booking_id: BookingId::generate(),
                customer_id: customer.clone(),
                provider_id: provider.clone(),
                lat: 1.0,
                lng: 2.0,
                heading: None,
                speed: Some(3.0),
                at: now,
            }),
            BookingEvent::Reminder(BookingReminder {
                booking_id: BookingId::generate(),
                customer_id: customer,
                provider_id: provider,
                scheduled_for: now,
            }),
        ]);
    }

    #[test]
    fn only_confirmed_and_started_bookings_are_active() {
        let active: Vec<_> = BookingStatus::ALL
            .into_iter()
            .filter(|s| s.is_active())
            .collect();
        assert_eq!(
            active,
            vec![BookingStatus::Confirmed, BookingStatus::InProgress]
        );
        for status in BookingStatus::ALL {
            assert_eq!(BookingStatus::parse(status.as_str()), Some(status));
        }
    }
}
