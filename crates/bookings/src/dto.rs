//! Request and response types of the bookings routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::lifecycle::{Outcome, Status};
use crate::models::{Booking, BookingEvent, LocationPoint};

pub use quickfix_bookings_contract::BookingResponse;

/// The view of a booking row.
pub fn booking_view(b: &Booking, currency: &str) -> BookingResponse {
    BookingResponse {
        id: b.id.clone(),
        job_id: b.job_id.clone(),
        offer_id: b.offer_id.clone(),
        customer_id: b.customer_id.clone(),
        provider_id: b.provider_id.clone(),
        price_cents: b.price_cents,
        currency: currency.to_owned(),
        status: Status::parse(&b.status).unwrap_or(Status::Confirmed),
        scheduled_for: b.scheduled_for.map(|t| t.and_utc()),
        started_at: b.started_at.map(|t| t.and_utc()),
        completed_at: b.completed_at.map(|t| t.and_utc()),
        cancelled_at: b.cancelled_at.map(|t| t.and_utc()),
        cancel_reason: b.cancel_reason.clone(),
        created_at: b.created_at.and_utc(),
        updated_at: b.updated_at.and_utc(),
    }
}

/// `POST /bookings/{id}/cancel`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct CancelBookingRequest {
    /// Why (1..500 characters).
    #[schema(min_length = 1, max_length = 500)]
    #[schema(example = "The customer is away that day.")]
    pub reason: String,
}

/// `POST /bookings/{id}/dispute`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct DisputeBookingRequest {
    /// What went wrong (1..2000 characters).
    #[schema(min_length = 1, max_length = 2000)]
    #[schema(example = "The leak came back the next morning.")]
    pub reason: String,
}

/// `POST /admin/bookings/{id}/resolve`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct ResolveDisputeRequest {
    /// `completed`: the completion stands; `cancelled`: the booking and its
    /// job are cancelled and its ratings removed.
    pub outcome: Outcome,
    /// The admin's finding, shown in the timeline (1..2000 characters).
    #[schema(min_length = 1, max_length = 2000)]
    #[schema(example = "Photos show the repair was not done.")]
    pub note: String,
}

/// One entry of a booking's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BookingEventResponse {
    /// Id.
    pub id: String,
    /// Position in the timeline, from 1.
    pub seq: i32,
    /// Who acted.
    pub actor_id: String,
    /// The state before; null for the creation.
    #[schema(required = true)]
    pub from: Option<Status>,
    /// The state after.
    pub to: Status,
    /// Why: a cancellation's reason, a dispute's, a resolution's note.
    #[schema(required = true)]
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<&BookingEvent> for BookingEventResponse {
    fn from(e: &BookingEvent) -> Self {
        Self {
            id: e.id.clone(),
            seq: e.seq,
            actor_id: e.actor_id.clone(),
            from: e.from_status.as_deref().and_then(Status::parse),
            to: Status::parse(&e.to_status).unwrap_or(Status::Confirmed),
            reason: e.reason.clone(),
            at: e.created_at.and_utc(),
        }
    }
}

/// `POST /bookings/{id}/location`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct LocationUpdateRequest {
    /// Latitude, -90..90.
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    /// Longitude, -180..180.
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: f64,
    /// Heading in degrees, 0..360.
    #[schema(minimum = 0.0, maximum = 360.0)]
    #[serde(default)]
    pub heading: Option<f64>,
    /// Speed in metres per second, 0..100.
    #[schema(minimum = 0.0, maximum = 100.0)]
    #[serde(default)]
    pub speed: Option<f64>,
}

/// A recorded position.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LocationResponse {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// Heading in degrees.
    #[schema(required = true)]
    pub heading: Option<f64>,
    /// Speed in m/s.
    #[schema(required = true)]
    pub speed: Option<f64>,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

impl From<&LocationPoint> for LocationResponse {
    fn from(p: &LocationPoint) -> Self {
        Self {
            lat: p.lat,
            lng: p.lng,
            heading: p.heading,
            speed: p.speed,
            at: p.recorded_at.and_utc(),
        }
    }
}

/// The latest position and the recent trail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackResponse {
    /// The booking.
    pub booking_id: String,
    /// The latest position; null before the first.
    #[schema(required = true)]
    pub latest: Option<LocationResponse>,
    /// Recent positions, oldest first (the latest last).
    pub trail: Vec<LocationResponse>,
}

/// `GET /bookings` filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListBookingsQuery {
    /// Only this state.
    pub status: Option<Status>,
    /// Items per page, 1..100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
