#![doc = include_str!("../README.md")]

pub mod commands;
pub mod dto;
pub mod error;
pub mod export;
pub mod following;
pub(crate) mod models;
pub(crate) mod repository;
mod routes;
pub(crate) mod schema;
pub(crate) mod service;
pub mod settings;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use quickfix_bookings_contract::{BookingDirectory, BookingFacts};
use quickfix_ratings_contract::{AggregateChanged, RatingCreated, RatingEvent};
use quickfix_shared::ApiError;
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::{BookingId, RatingId, UserId};
use quickfix_shared::outbox::SharedRelay;
use quickfix_users_contract::AccountDirectory;

pub use quickfix_ratings_contract as contract;
pub use routes::configure;

/// This crate's tables (`ratings`, `rating_pairs`), from `migrations/ratings/`.
pub const MIGRATIONS: quickfix_shared::db::CrateMigrations = quickfix_shared::db::CrateMigrations {
    owner: "ratings",
    common: diesel_migrations::embed_migrations!("../../migrations/ratings/common"),
    sqlite: None,
    postgres: None,
};

/// The crate's state, shared by its handlers as app data.
#[derive(Clone)]
pub struct RatingsState {
    /// How long after completion a lone rating is revealed anyway.
    pub reveal_after: Duration,
    /// The bookings crate's answers (a booking's parties and state).
    pub bookings: Arc<dyn BookingDirectory>,
    /// The users crate's answers (whether an account is active).
    pub accounts: Arc<dyn AccountDirectory>,
}

impl RatingsState {
    /// The facts of a booking; 404 when there is none.
    pub async fn booking(&self, id: BookingId) -> Result<BookingFacts, ApiError> {
        self.bookings
            .facts(id)
            .await?
            .ok_or_else(|| error::RatingsError::NotFound("booking").into())
    }
}

/// The events of a reveal, stored in its transaction: `rating.created` for
/// each rating revealed, `rating.aggregate_changed` for each rated user.
pub fn revealed_events(revealed: &service::Revealed) -> Vec<DomainEvent> {
    let created = revealed.ratings.iter().map(|rating| {
        RatingEvent::Created(RatingCreated {
            rating_id: RatingId::from_db(rating.id.clone()),
            booking_id: BookingId::from_db(rating.booking_id.clone()),
            rater_id: UserId::from_db(rating.rater_id.clone()),
            rated_user_id: UserId::from_db(rating.rated_id.clone()),
            stars: rating.stars,
        })
        .into_event(None)
    });
    created
        .chain(revealed.aggregates.iter().map(aggregate_event))
        .collect()
}

/// The `rating.aggregate_changed` event of a user's new aggregate.
pub fn aggregate_event(change: &service::AggregateChange) -> DomainEvent {
    RatingEvent::AggregateChanged(AggregateChanged {
        user_id: UserId::from_db(change.user_id.clone()),
        avg: change.avg,
        count: change.count,
        version: change.version,
    })
    .into_event(None)
}

/// Reveals the ratings whose period has passed by `at`, with their events;
/// answers how many.
pub async fn reveal_due(
    relay: &SharedRelay,
    at: chrono::NaiveDateTime,
    reveal_after: Duration,
) -> Result<usize, error::RatingsError> {
    relay
        .run(move |conn| {
            let revealed = service::reveal_due(conn, at, reveal_after)?;
            let events = revealed_events(&revealed);
            Ok::<_, error::RatingsError>((revealed.ratings.len(), events))
        })
        .await
}

/// Starts the task that reveals ratings whose reveal period has passed,
/// every `every`, so revealing by time never waits for a request.
pub fn spawn_reveal_task(relay: SharedRelay, reveal_after: Duration, every: StdDuration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match reveal_due(&relay, service::now(), reveal_after).await {
                Ok(0) => {}
                Ok(revealed) => {
                    tracing::info!(revealed, "ratings revealed after the reveal period");
                }
                Err(err) => tracing::warn!(error = %err, "rating reveal pass failed"),
            }
        }
    });
}

/// The average of every revealed rating, for admin statistics.
pub async fn overall_average(
    pool: &quickfix_shared::db::DbPool,
) -> Result<Option<f64>, quickfix_shared::db::DbError> {
    quickfix_shared::db::run(pool, service::overall_average).await
}
