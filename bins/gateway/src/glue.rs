//! Adapters that let one crate's interface be served by another's, where
//! neither may depend on the other. They only translate; rules stay in the
//! crates.

use quickfix_bookings::BookingsState;
use quickfix_bookings::dto::LocationUpdateRequest;
use quickfix_messaging::{Hub, LocationFuture, LocationSink, LocationUpdate};
use quickfix_shared::auth::{AuthUser, LoginEndings};
use quickfix_shared::ids::UserId;
use quickfix_shared::outbox::SharedRelay;

/// Hands `location.update` socket frames to the bookings crate, the same
/// door `POST /bookings/{id}/location` uses.
pub struct BookingsLocationSink {
    relay: SharedRelay,
    state: BookingsState,
}

impl BookingsLocationSink {
    /// A sink storing through the bookings crate.
    pub fn new(relay: SharedRelay, state: BookingsState) -> Self {
        Self { relay, state }
    }
}

impl LocationSink for BookingsLocationSink {
    fn update(&self, provider: &AuthUser, update: LocationUpdate) -> LocationFuture {
        let (relay, state) = (self.relay.clone(), self.state.clone());
        let provider = provider.clone();
        Box::pin(async move {
            let request = LocationUpdateRequest {
                lat: update.lat,
                lng: update.lng,
                heading: None,
                speed: None,
            };
            quickfix_bookings::record_location(&relay, &state, provider, update.booking_id, request)
                .await
                .map(drop)
        })
    }
}

/// Ends the messaging crate's sockets of the logins the users crate ends,
/// on every instance (the hub's fan-out carries the order).
pub struct SocketsOfEndedLogins(pub Hub);

impl LoginEndings for SocketsOfEndedLogins {
    fn ended(&self, user: &UserId, session: Option<&str>) {
        self.0.end_logins(user, session);
    }
}
