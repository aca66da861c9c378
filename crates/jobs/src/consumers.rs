//! What the jobs crate does when another domain's event arrives.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_bookings_contract::{BookingEvent, BookingStatus};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::JobId;
use quickfix_shared::outbox::Consumer;

use crate::dto::JobStatus;
use crate::error::JobsError;
use crate::service;

/// Mirrors a booking's end on its job: a completed booking completes the
/// job, a cancelled one cancels it. Idempotent: a job that is no longer
/// `booked` is left alone, so a repeated event changes nothing.
pub struct BookingMirror {
    pool: DbPool,
}

impl BookingMirror {
    /// The consumer, writing through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl Consumer for BookingMirror {
    fn name(&self) -> &'static str {
        "jobs.booking_mirror"
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let mut ended = Vec::new();
            for event in &events {
                let Some(BookingEvent::Updated(updated)) = BookingEvent::read(event)? else {
                    continue;
                };
                let to = match updated.booking.status {
                    BookingStatus::Completed => JobStatus::Completed,
                    BookingStatus::Cancelled => JobStatus::Cancelled,
                    BookingStatus::Confirmed | BookingStatus::InProgress => continue,
                };
                if let Some(job) = JobId::parse(&updated.booking.job_id) {
                    ended.push((job, to));
                }
            }
            if ended.is_empty() {
                return Ok(());
            }
            db::run(&pool, move |conn| {
                db::write_transaction(conn, |conn| {
                    for (job, to) in &ended {
                        service::mirror_booking_end(conn, job, *to)?;
                    }
                    Ok::<_, JobsError>(())
                })
            })
            .await
            .map_err(|err| err.to_string())
        })
    }
}
