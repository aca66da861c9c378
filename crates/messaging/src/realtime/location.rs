//! Live location over the socket. The bookings crate owns positions; this
//! crate only hands `location.update` frames to whatever the gateway
//! registers as the [`LocationSink`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::ids::BookingId;

/// A provider's position for a booking, from a `location.update` frame
/// (ranges already checked).
#[derive(Debug, Clone, PartialEq)]
pub struct LocationUpdate {
    /// The booking.
    pub booking_id: BookingId,
    /// Latitude, -90..90.
    pub lat: f64,
    /// Longitude, -180..180.
    pub lng: f64,
}

/// What a [`LocationSink`] answers.
pub type LocationFuture = Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send>>;

/// Stores a position exactly as `POST /bookings/{id}/location` does. The
/// implementation (the bookings crate, wired by the gateway) checks that
/// the caller is the booking's provider and that the booking is active, and
/// publishes `booking.location` on the event bus after storing; the
/// customer's `location` frame comes from that event, as it does for a
/// position posted over REST. Its errors become `error` frames with the
/// error's code (`not_found`, `forbidden`, `booking_not_active`, ...).
pub trait LocationSink: Send + Sync + 'static {
    /// Stores `update` from `provider`.
    fn update(&self, provider: &AuthUser, update: LocationUpdate) -> LocationFuture;
}

/// The sink as shared by the hub's sessions.
pub type SharedLocationSink = Arc<dyn LocationSink>;
