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
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::events::{DomainEvent, SharedEventBus};
use serde_json::json;

pub use routes::configure;
pub use service::overall_average;

use crate::models::Rating;

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

/// Publishes `rating.created` for each newly revealed rating.
pub fn publish_revealed(bus: &SharedEventBus, revealed: &[Rating]) {
    for rating in revealed {
        bus.publish(DomainEvent::new(
            "rating.created",
            json!({
                "rating_id": rating.id,
                "booking_id": rating.booking_id,
                "rater_id": rating.rater_id,
                "rated_user_id": rating.rated_id,
                "stars": rating.stars,
            }),
        ));
    }
}

/// Starts the task that reveals ratings whose reveal period has passed,
/// every `every`, so revealing by time never waits for a request.
pub fn spawn_reveal_task(
    pool: DbPool,
    bus: SharedEventBus,
    reveal_after: Duration,
    every: StdDuration,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let revealed = db::run(&pool, move |conn| {
                service::reveal_due(conn, service::now(), reveal_after)
            })
            .await;
            match revealed {
                Ok(revealed) if revealed.is_empty() => {}
                Ok(revealed) => {
                    tracing::info!(
                        revealed = revealed.len(),
                        "ratings revealed after the reveal period"
                    );
                    publish_revealed(&bus, &revealed);
                }
                Err(err) => tracing::warn!(error = %err, "rating reveal pass failed"),
            }
        }
    });
}
