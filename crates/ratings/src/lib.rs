#![doc = include_str!("../README.md")]

pub mod commands;
pub mod dto;
pub mod error;
pub mod export;
pub mod following;
pub(crate) mod models;
pub mod moderation;
pub(crate) mod repository;
mod routes;
pub(crate) mod schema;
pub(crate) mod service;
pub mod settings;
#[cfg(test)]
mod tests;
pub mod voiding;

use std::sync::Arc;

use chrono::Duration;
use futures_util::future::BoxFuture;
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

/// The scheduler's handler of `rating.reveal`: a lone rating is revealed
/// when its period has passed (the task was scheduled with the rating, in
/// its transaction), with its events.
pub struct RevealTask {
    relay: SharedRelay,
    reveal_after: Duration,
}

impl RevealTask {
    /// The handler, storing through `relay`.
    pub fn new(relay: SharedRelay, reveal_after: Duration) -> Arc<Self> {
        Arc::new(Self {
            relay,
            reveal_after,
        })
    }
}

impl quickfix_shared::tasks::TaskHandler for RevealTask {
    fn kind(&self) -> &'static str {
        service::REVEAL_TASK
    }

    fn run(&self, booking: String) -> BoxFuture<'static, Result<(), String>> {
        let (relay, reveal_after) = (Arc::clone(&self.relay), self.reveal_after);
        Box::pin(async move {
            relay
                .run(move |conn| {
                    let revealed =
                        service::reveal_booking(conn, &booking, service::now(), reveal_after)?;
                    let events = revealed_events(&revealed);
                    Ok::<_, error::RatingsError>(((), events))
                })
                .await
                .map_err(|err| err.to_string())
        })
    }
}

/// Schedules the reveal of every booking with a hidden rating (at start,
/// for ratings made before the scheduler); answers how many bookings.
pub async fn schedule_hidden_reveals(
    pool: &quickfix_shared::db::DbPool,
    reveal_after: Duration,
) -> Result<usize, error::RatingsError> {
    quickfix_shared::db::run(pool, move |conn| {
        service::schedule_hidden_reveals(conn, reveal_after)
    })
    .await
}

/// The average of every revealed rating, for admin statistics.
pub async fn overall_average(
    pool: &quickfix_shared::db::DbPool,
) -> Result<Option<f64>, quickfix_shared::db::DbError> {
    quickfix_shared::db::run(pool, service::overall_average).await
}
