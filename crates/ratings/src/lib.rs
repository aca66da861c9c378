#![doc = include_str!("../README.md")]

pub mod dto;
pub mod error;
pub mod models;
pub mod repository;
mod routes;
pub mod schema;
pub mod service;

use std::time::Duration as StdDuration;

use chrono::Duration;
use quickfix_shared::events::DomainEvent;
use quickfix_shared::outbox::SharedRelay;
use serde_json::json;

pub use routes::configure;
pub use service::overall_average;

/// This crate's tables (`ratings`, `rating_pairs`), from `migrations/ratings/`.
pub const MIGRATIONS: quickfix_shared::db::CrateMigrations = quickfix_shared::db::CrateMigrations {
    owner: "ratings",
    common: diesel_migrations::embed_migrations!("../../migrations/ratings/common"),
    sqlite: None,
    postgres: None,
};

/// The crate's state, shared by its handlers as app data.
#[derive(Debug, Clone)]
pub struct RatingsState {
    /// How long after completion a lone rating is revealed anyway.
    pub reveal_after: Duration,
}

/// The events of a reveal, stored in its transaction: `rating.created` for
/// each rating revealed, `rating.aggregate_changed` for each rated user.
pub fn revealed_events(revealed: &service::Revealed) -> Vec<DomainEvent> {
    let created = revealed.ratings.iter().map(|rating| {
        DomainEvent::new(
            "rating.created",
            json!({
                "rating_id": rating.id,
                "booking_id": rating.booking_id,
                "rater_id": rating.rater_id,
                "rated_user_id": rating.rated_id,
                "stars": rating.stars,
            }),
        )
        .about("rating", rating.id.clone())
    });
    created
        .chain(revealed.aggregates.iter().map(aggregate_event))
        .collect()
}

/// The `rating.aggregate_changed` event of a user's new aggregate.
pub fn aggregate_event(change: &service::AggregateChange) -> DomainEvent {
    DomainEvent::new(
        "rating.aggregate_changed",
        json!({
            "user_id": change.user_id,
            "avg": change.avg,
            "count": change.count,
            "version": change.version,
        }),
    )
    .about("user", change.user_id.clone())
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
