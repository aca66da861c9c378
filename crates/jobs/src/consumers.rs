//! What the jobs crate does when another domain's event arrives.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_bookings_contract::BookingEvent;
use quickfix_jobs_contract::{JobCancelled, JobEvent, OfferWithdrawn};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::{JobId, OfferId, UserId};
use quickfix_shared::outbox::Consumer;
use quickfix_users_contract::AccountEvent;

use crate::error::JobsError;
use crate::service;

/// Mirrors a booking's state on its job: a completed booking completes
/// the job, a cancelled one cancels it, a disputed one makes it `booked`
/// again until the dispute is resolved (so an account in a dispute cannot
/// be deleted). Each job keeps the version of the booking state it shows,
/// so a repeated or late event changes nothing.
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
            let mut states = Vec::new();
            for event in &events {
                let Some(BookingEvent::Updated(updated)) = BookingEvent::read(event)? else {
                    continue;
                };
                if let Some(job) = JobId::parse(&updated.booking.job_id) {
                    let version = db::stored_time(updated.booking.updated_at);
                    states.push((job, updated.booking.status, version));
                }
            }
            if states.is_empty() {
                return Ok(());
            }
            db::run(&pool, move |conn| {
                db::write_transaction(conn, |conn| {
                    for (job, status, version) in &states {
                        service::mirror_booking(conn, job, *status, *version)?;
                    }
                    Ok::<_, JobsError>(())
                })
            })
            .await
            .map_err(|err| err.to_string())
        })
    }
}

/// Follows `user.deleted`: the account's open jobs are cancelled and its
/// pending offers withdrawn, each with its event. A repeat finds nothing
/// left to do.
pub struct DeletedAccounts {
    relay: quickfix_shared::outbox::SharedRelay,
}

impl DeletedAccounts {
    /// The consumer, storing through `relay`.
    pub fn new(relay: quickfix_shared::outbox::SharedRelay) -> Arc<Self> {
        Arc::new(Self { relay })
    }
}

impl Consumer for DeletedAccounts {
    fn name(&self) -> &'static str {
        "jobs.deleted_accounts"
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        let relay = Arc::clone(&self.relay);
        Box::pin(async move {
            for event in &events {
                let Some(AccountEvent::Deleted(deleted)) = AccountEvent::read(event)? else {
                    continue;
                };
                let user = deleted.user_id;
                relay
                    .run(move |conn| {
                        let done = service::withdraw_everything(conn, &user)?;
                        Ok::<_, JobsError>(((), withdrawal_events(&done, &user)))
                    })
                    .await
                    .map_err(|err| err.to_string())?;
            }
            Ok(())
        })
    }
}

/// The events of what a deleted account left behind, undone.
fn withdrawal_events(done: &service::Withdrawn, user: &UserId) -> Vec<DomainEvent> {
    let cancelled = done.cancelled.iter().map(|(job, providers)| {
        JobEvent::Cancelled(JobCancelled {
            job_id: JobId::from_db(job.id.clone()),
            customer_id: UserId::from_db(job.customer_id.clone()),
            provider_ids: providers.iter().cloned().map(UserId::from_db).collect(),
        })
        .into_event(Some(user.as_str()))
    });
    let withdrawn = done.withdrawn.iter().map(|(offer, job)| {
        JobEvent::OfferWithdrawn(OfferWithdrawn {
            offer_id: OfferId::from_db(offer.id.clone()),
            job_id: JobId::from_db(job.id.clone()),
            customer_id: UserId::from_db(job.customer_id.clone()),
            provider_id: user.clone(),
        })
        .into_event(Some(user.as_str()))
    });
    cancelled.chain(withdrawn).collect()
}
