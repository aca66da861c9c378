//! Database rows of this crate's tables; `dto.rs` converts them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{booking_events, booking_locations, bookings};

/// A `bookings` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bookings)]
#[diesel(treat_none_as_default_value = false)]
pub struct Booking {
    /// Id.
    pub id: String,
    /// The job (unique: a job is booked at most once).
    pub job_id: String,
    /// The accepted offer.
    pub offer_id: String,
    /// The customer.
    pub customer_id: String,
    /// The provider.
    pub provider_id: String,
    /// The offer's price.
    pub price_cents: i64,
    /// `confirmed`, `in_progress`, `completed` or `cancelled`.
    pub status: String,
    /// When the work should happen (from the job).
    pub scheduled_for: Option<NaiveDateTime>,
    /// Started.
    pub started_at: Option<NaiveDateTime>,
    /// Completed.
    pub completed_at: Option<NaiveDateTime>,
    /// Cancelled.
    pub cancelled_at: Option<NaiveDateTime>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// A `booking_events` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = booking_events)]
#[diesel(treat_none_as_default_value = false)]
pub struct BookingEvent {
    /// Id.
    pub id: String,
    /// The booking.
    pub booking_id: String,
    /// Position in the booking's timeline, from 1.
    pub seq: i32,
    /// Who acted.
    pub actor_id: String,
    /// The state before (none at creation).
    pub from_status: Option<String>,
    /// The state after.
    pub to_status: String,
    /// Why (cancellations).
    pub reason: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// A `booking_locations` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = booking_locations)]
#[diesel(treat_none_as_default_value = false)]
pub struct LocationPoint {
    /// Id.
    pub id: String,
    /// The booking.
    pub booking_id: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// Heading in degrees.
    pub heading: Option<f64>,
    /// Speed in m/s.
    pub speed: Option<f64>,
    /// When.
    pub recorded_at: NaiveDateTime,
}
