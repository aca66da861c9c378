//! The jobs crate's timed rules, run by the durable scheduler: an offer's
//! expiry is scheduled with each of its rounds, a job's when it is posted
//! or its planned time changes. Each task re-checks its subject in its own
//! transaction: an offer answered, accepted or withdrawn, or a job booked
//! or cancelled before the task fires, is left alone.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_jobs_contract::{JobEvent, JobExpired, OfferExpired};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::events::{EventSet, SYSTEM_ACTOR};
use quickfix_shared::ids::{JobId, OfferId, UserId};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::tasks::TaskHandler;

use crate::error::JobsError;
use crate::service;
use crate::settings::JobRules;

/// `offer.expire`: an open offer whose last round went unanswered for
/// `jobs.offer_ttl_secs` becomes `expired`, with `offer.expired`.
pub struct OfferExpiryTask {
    relay: SharedRelay,
    rules: JobRules,
}

impl OfferExpiryTask {
    /// The handler, storing through `relay`.
    pub fn new(relay: SharedRelay, rules: JobRules) -> Arc<Self> {
        Arc::new(Self { relay, rules })
    }
}

impl TaskHandler for OfferExpiryTask {
    fn kind(&self) -> &'static str {
        service::OFFER_EXPIRE_TASK
    }

    fn run(&self, offer: String) -> BoxFuture<'static, Result<(), String>> {
        let (relay, ttl) = (Arc::clone(&self.relay), self.rules.offer_ttl);
        Box::pin(async move {
            relay
                .run(move |conn| {
                    let events = service::expire_offer(conn, &offer, ttl)?
                        .map(|(offer, job)| {
                            JobEvent::OfferExpired(OfferExpired {
                                offer_id: OfferId::from_db(offer.id),
                                job_id: JobId::from_db(job.id),
                                job_title: job.title,
                                customer_id: UserId::from_db(job.customer_id),
                                provider_id: UserId::from_db(offer.provider_id),
                            })
                            .into_event(Some(SYSTEM_ACTOR))
                        })
                        .into_iter()
                        .collect();
                    Ok::<_, JobsError>(((), events))
                })
                .await
                .map_err(|err| err.to_string())
        })
    }
}

/// `job.expire`: an open job open for `jobs.open_ttl_secs`, or whose
/// planned time passed `jobs.expire_after_schedule_secs` ago, becomes
/// `expired` and its open offers `rejected`, with `job.expired`.
pub struct JobExpiryTask {
    relay: SharedRelay,
    rules: JobRules,
}

impl JobExpiryTask {
    /// The handler, storing through `relay`.
    pub fn new(relay: SharedRelay, rules: JobRules) -> Arc<Self> {
        Arc::new(Self { relay, rules })
    }
}

impl TaskHandler for JobExpiryTask {
    fn kind(&self) -> &'static str {
        service::JOB_EXPIRE_TASK
    }

    fn run(&self, job: String) -> BoxFuture<'static, Result<(), String>> {
        let (relay, rules) = (Arc::clone(&self.relay), self.rules);
        Box::pin(async move {
            relay
                .run(move |conn| {
                    let events = service::expire_job(conn, &job, &rules)?
                        .map(|ended| {
                            JobEvent::Expired(JobExpired {
                                job_id: JobId::from_db(ended.job.id),
                                job_title: ended.job.title,
                                customer_id: UserId::from_db(ended.job.customer_id),
                                provider_ids: ended
                                    .provider_ids
                                    .into_iter()
                                    .map(UserId::from_db)
                                    .collect(),
                            })
                            .into_event(Some(SYSTEM_ACTOR))
                        })
                        .into_iter()
                        .collect();
                    Ok::<_, JobsError>(((), events))
                })
                .await
                .map_err(|err| err.to_string())
        })
    }
}

/// Schedules the expiry of every open job and offer that has none waiting
/// (at start); answers how many it scheduled.
pub async fn schedule_missing_expiries(pool: &DbPool, rules: JobRules) -> Result<usize, JobsError> {
    db::run(pool, move |conn| {
        service::schedule_missing_expiries(conn, &rules)
    })
    .await
}
