//! What the users crate does when another domain's event arrives.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_ratings_contract::RatingEvent;
use quickfix_shared::db::{self, DbError, DbPool};
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::outbox::Consumer;

use crate::service;

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
            let mut changes = Vec::new();
            for event in &events {
                if let Some(RatingEvent::AggregateChanged(change)) = RatingEvent::read(event)? {
                    changes.push(change);
                }
            }
            if changes.is_empty() {
                return Ok(());
            }
            db::run(&pool, move |conn| {
                db::write_transaction(conn, |conn| {
                    for change in &changes {
                        service::set_rating_aggregate(
                            conn,
                            &change.user_id,
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
