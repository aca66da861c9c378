//! What the users crate does when another domain's event arrives.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_shared::db::{self, DbError, DbPool};
use quickfix_shared::events::DomainEvent;
use quickfix_shared::ids::UserId;
use quickfix_shared::outbox::Consumer;
use serde::Deserialize;

use crate::service;

/// The `data` of `rating.aggregate_changed` (ratings crate).
#[derive(Debug, Deserialize)]
struct AggregateChanged {
    user_id: String,
    avg: Option<f64>,
    count: i32,
    version: i64,
}

/// Keeps the profile's `rating_avg` and `rating_count` equal to the ratings
/// crate's aggregates. Order-insensitive and idempotent: an aggregate older
/// than the stored one (a lower version) changes nothing.
pub struct RatingAggregates {
    pool: DbPool,
}

impl RatingAggregates {
    /// The consumer, writing through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl Consumer for RatingAggregates {
    fn name(&self) -> &'static str {
        "users.rating_aggregates"
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let changes: Vec<AggregateChanged> = events
                .into_iter()
                .filter(|event| event.kind == "rating.aggregate_changed")
                .map(|event| serde_json::from_value(event.payload))
                .collect::<Result<_, _>>()
                .map_err(|err| format!("a rating.aggregate_changed event does not parse: {err}"))?;
            if changes.is_empty() {
                return Ok(());
            }
            db::run(&pool, move |conn| {
                db::write_transaction(conn, |conn| {
                    for change in &changes {
                        let Some(user) = UserId::parse(&change.user_id) else {
                            continue;
                        };
                        service::set_rating_aggregate(
                            conn,
                            &user,
                            change.avg,
                            change.count,
                            change.version,
                        )?;
                    }
                    Ok::<_, DbError>(())
                })
            })
            .await
            .map_err(|err| err.to_string())
        })
    }
}
