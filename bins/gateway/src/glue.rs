//! Adapters that let one crate's interface be served by another's, where
//! neither may depend on the other. They only translate; rules stay in the
//! crates.

use std::sync::Arc;

use quickfix_bookings::BookingsState;
use quickfix_bookings::dto::LocationUpdateRequest;
use quickfix_jobs::JobsState;
use quickfix_messaging::{Hub, LocationFuture, LocationSink, LocationUpdate};
use quickfix_ratings::RatingsState;
use quickfix_shared::auth::{AuthUser, LoginEndings};
use quickfix_shared::db::DbPool;
use quickfix_shared::ids::UserId;
use quickfix_shared::outbox::SharedRelay;
use quickfix_users::contract::{AccountDirectory, EmailDirectory};

use crate::settings::Settings;

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

/// The crates' states wired to one another through their contracts'
/// traits, as `serve` and `seed` both use them.
pub struct Crates {
    /// The jobs crate's state.
    pub jobs: JobsState,
    /// The bookings crate's state (with the jobs crate's accept command).
    pub bookings: BookingsState,
    /// The ratings crate's state (with the bookings and users directories).
    pub ratings: RatingsState,
    /// The users crate's answers, for messaging.
    pub accounts: Arc<dyn AccountDirectory>,
    /// Where the users crate says emails go, for the email notifications.
    pub emails: Arc<dyn EmailDirectory>,
    /// Whether the ratings crate runs in this process (`ratings.enabled`).
    pub with_ratings: bool,
}

impl Crates {
    /// The states of `settings`, reading through `pool`, storing events
    /// through `relay`.
    pub fn wire(settings: &Settings, pool: &DbPool, relay: &SharedRelay) -> Self {
        let currency = settings.app.currency.clone();
        let users = quickfix_users::Accounts::new(pool.clone());
        let accounts: Arc<dyn AccountDirectory> = users.clone();
        let emails: Arc<dyn EmailDirectory> = users;
        Self {
            jobs: JobsState {
                currency: currency.clone(),
                rules: settings.jobs.rules(),
                accounts: Arc::clone(&accounts),
            },
            bookings: BookingsState {
                offers: quickfix_jobs::Offers::new(Arc::clone(relay)),
                currency,
                location: settings.bookings.location_policy(),
                timers: settings.bookings.timers(),
            },
            ratings: RatingsState {
                reveal_after: settings.ratings.reveal_after(),
                bookings: quickfix_bookings::Bookings::new(pool.clone()),
                accounts: Arc::clone(&accounts),
            },
            accounts,
            emails,
            with_ratings: settings.ratings.enabled,
        }
    }

    /// Registers the consumers by which one domain follows another's
    /// events (the users' rating aggregates, the job's mirror of its
    /// booking, the booking of an accepted offer, the ratings a dispute
    /// voids when ratings run here); the notifier is the server's own.
    pub fn register_consumers(&self, pool: &DbPool, relay: &SharedRelay) {
        relay.register(quickfix_users::consumers::RatingAggregates::new(
            pool.clone(),
        ));
        relay.register(quickfix_jobs::consumers::BookingMirror::new(pool.clone()));
        relay.register(quickfix_jobs::consumers::DeletedAccounts::new(Arc::clone(
            relay,
        )));
        relay.register(quickfix_messaging::DeletedAccounts::new(pool.clone()));
        relay.register(quickfix_bookings::consumers::BookingOpener::new(
            relay,
            self.bookings.currency.clone(),
            self.bookings.timers,
        ));
        if self.with_ratings {
            relay.register(quickfix_ratings::voiding::VoidedBookings::new(relay));
        }
    }
}
