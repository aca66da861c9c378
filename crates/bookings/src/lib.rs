#![doc = include_str!("../README.md")]

pub mod commands;
pub mod consumers;
pub mod dto;
pub mod error;
pub mod export;
pub mod lifecycle;
pub(crate) mod models;
pub(crate) mod repository;
mod routes;
pub(crate) mod schema;
pub(crate) mod service;
pub mod settings;
#[cfg(test)]
mod tests;
pub mod timed;

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_bookings_contract::{
    BookingDirectory, BookingEvent, BookingFacts, BookingLocated, BookingUpdated,
};
use quickfix_jobs_contract::OfferAcceptance;
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::{BookingId, UserId};
use quickfix_shared::outbox::SharedRelay;

pub use error::BookingsError;
pub use quickfix_bookings_contract as contract;
pub use routes::configure;
pub use service::LocationPolicy;

use crate::dto::{LocationResponse, LocationUpdateRequest};

/// This crate's tables (`bookings`, `booking_events`, `booking_locations`), from `migrations/bookings/`.
pub const MIGRATIONS: quickfix_shared::db::CrateMigrations = quickfix_shared::db::CrateMigrations {
    owner: "bookings",
    common: diesel_migrations::embed_migrations!("../../migrations/bookings/common"),
    sqlite: Some(diesel_migrations::embed_migrations!(
        "../../migrations/bookings/sqlite"
    )),
    postgres: Some(diesel_migrations::embed_migrations!(
        "../../migrations/bookings/postgres"
    )),
};

/// When a booking's timed rules fire, from its `scheduled_for`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingTimers {
    /// Both parties are reminded this long before.
    pub reminder_before: chrono::Duration,
    /// A booking never started is cancelled (`no_show`) this long after.
    pub no_show_after: chrono::Duration,
    /// The customer may dispute a completion this long after it.
    pub dispute_window: chrono::Duration,
}

impl Default for BookingTimers {
    fn default() -> Self {
        settings::BookingsSettings::default().timers()
    }
}

/// The crate's state, shared by its handlers as app data.
#[derive(Clone)]
pub struct BookingsState {
    /// The deployment's currency.
    pub currency: String,
    /// How live location is bounded.
    pub location: LocationPolicy,
    /// When the timed rules fire.
    pub timers: BookingTimers,
    /// The jobs crate's accept command.
    pub offers: Arc<dyn OfferAcceptance>,
}

/// Records a provider's position and publishes `booking.location`: the one
/// door for positions, used by the REST route and by the real-time layer.
pub async fn record_location(
    relay: &SharedRelay,
    state: &BookingsState,
    user: AuthUser,
    id: BookingId,
    update: LocationUpdateRequest,
) -> Result<LocationResponse, ApiError> {
    use validator::Validate;
    update
        .validate()
        .map_err(quickfix_shared::extract::validation_error)?;
    let policy = state.location;
    let location = relay
        .run(move |conn| {
            let (booking, point) = service::record_location(conn, &user, &id, &update, policy)?;
            let location = LocationResponse::from(&point);
            let event = BookingEvent::Located(BookingLocated {
                booking_id: BookingId::from_db(booking.id.clone()),
                customer_id: UserId::from_db(booking.customer_id.clone()),
                provider_id: UserId::from_db(booking.provider_id.clone()),
                lat: location.lat,
                lng: location.lng,
                heading: location.heading,
                speed: location.speed,
                at: location.at,
            })
            .into_event(Some(user.id.as_str()));
            Ok::<_, BookingsError>((location, vec![event]))
        })
        .await?;
    Ok(location)
}

/// The `booking.updated` event of a booking's creation or transition, to
/// store in the change's transaction (the jobs crate mirrors a booking's
/// end from it; messaging notifies and pushes it).
pub fn booking_updated(booking: &models::Booking, currency: &str, actor: &str) -> DomainEvent {
    BookingEvent::Updated(BookingUpdated {
        booking: dto::booking_view(booking, currency),
        actor_id: UserId::from_db(actor.to_owned()),
        customer_id: UserId::from_db(booking.customer_id.clone()),
        provider_id: UserId::from_db(booking.provider_id.clone()),
    })
    .into_event(Some(actor))
}

/// The bookings crate's answers to other crates, read through `pool`.
pub struct Bookings {
    pool: DbPool,
}

impl Bookings {
    /// The directory reading through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl BookingDirectory for Bookings {
    fn facts(&self, id: BookingId) -> BoxFuture<'static, Result<Option<BookingFacts>, ApiError>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            db::run(&pool, move |conn| service::booking_facts(conn, &id))
                .await
                .map_err(ApiError::from)
        })
    }
}

/// Bookings per state, for admin statistics.
pub async fn count_by_status(
    pool: &quickfix_shared::db::DbPool,
) -> Result<std::collections::HashMap<String, i64>, quickfix_shared::db::DbError> {
    quickfix_shared::db::run(pool, service::count_by_status).await
}
