#![doc = include_str!("../README.md")]

pub mod dto;
pub mod error;
pub mod lifecycle;
pub mod models;
pub mod repository;
mod routes;
pub mod schema;
pub mod service;

use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::events::DomainEvent;
use quickfix_shared::ids::BookingId;
use quickfix_shared::outbox::SharedRelay;
use serde_json::json;

pub use error::BookingsError;
pub use routes::configure;
pub use service::{BookingFacts, LocationPolicy, booking_facts, count_by_status};

use crate::dto::{LocationResponse, LocationUpdateRequest};

/// This crate's tables (`bookings`, `booking_events`, `booking_locations`), from `migrations/bookings/`.
pub const MIGRATIONS: quickfix_shared::db::CrateMigrations = quickfix_shared::db::CrateMigrations {
    owner: "bookings",
    common: diesel_migrations::embed_migrations!("../../migrations/bookings/common"),
    sqlite: None,
    postgres: None,
};

/// The crate's state, shared by its handlers as app data.
#[derive(Debug, Clone)]
pub struct BookingsState {
    /// The deployment's currency.
    pub currency: String,
    /// How live location is bounded.
    pub location: LocationPolicy,
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
            let event = DomainEvent::new(
                "booking.location",
                json!({
                    "booking_id": booking.id,
                    "customer_id": booking.customer_id,
                    "provider_id": booking.provider_id,
                    "lat": location.lat,
                    "lng": location.lng,
                    "heading": location.heading,
                    "speed": location.speed,
                    "at": location.at,
                }),
            )
            .about("booking", booking.id.clone())
            .by(user.id.to_string());
            Ok::<_, BookingsError>((location, vec![event]))
        })
        .await?;
    Ok(location)
}

/// The `booking.updated` event of a booking's creation or transition, to
/// store in the change's transaction (the jobs crate mirrors a booking's
/// end from it; messaging notifies and pushes it).
pub fn booking_updated(booking: &models::Booking, currency: &str, actor: &str) -> DomainEvent {
    DomainEvent::new(
        "booking.updated",
        json!({
            "booking": dto::BookingResponse::of(booking, currency),
            "actor_id": actor,
            "customer_id": booking.customer_id,
            "provider_id": booking.provider_id,
        }),
    )
    .about("booking", booking.id.clone())
    .by(actor)
}
