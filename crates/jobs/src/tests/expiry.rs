//! The timed rules of jobs: an offer whose last round went unanswered
//! expires, a job open too long or long past its planned time expires with
//! its open offers; anything answered, booked or moved meanwhile is left
//! alone (and its task moved to the new time).

use std::time::Duration as StdDuration;

use chrono::Duration;
use quickfix_jobs_contract::{JobStatus, OfferAcceptance, OfferStatus};
use quickfix_shared::db::{self, DbError};
use quickfix_shared::tasks::{self, Scheduler};

use super::{command, database, job_with_offers, relay, state};
use crate::dto::OfferRoundRequest;
use crate::settings::JobRules;
use crate::timed::{JobExpiryTask, OfferExpiryTask};
use crate::{Offers, commands, repository as repo, service};

fn rules(offer_ttl: Duration, open_ttl: Duration) -> JobRules {
    JobRules {
        offer_ttl,
        open_ttl,
        ..JobRules::default()
    }
}

/// A scheduler running both expiry tasks under `rules`.
fn scheduler(db: &quickfix_shared::testing::TestDatabase, rules: JobRules) -> Scheduler {
    let relay = relay(db);
    Scheduler::new(
        db.pool(),
        StdDuration::from_millis(10),
        chrono::TimeDelta::seconds(30),
    )
    .with(OfferExpiryTask::new(relay.clone(), rules))
    .with(JobExpiryTask::new(relay, rules))
}

#[tokio::test]
async fn an_unanswered_offer_expires_once_and_leaves_the_job_open() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 2).await;
    commands::counter_offer(
        &relay,
        &state(),
        customer,
        job.clone(),
        offers[0].1.clone(),
        OfferRoundRequest {
            price_cents: 100,
            message: None,
        },
    )
    .await
    .expect("countered");
    let (first, second) = (offers[0].1.to_string(), offers[1].1.to_string());
    let (expired, again, stored, job_row) = db::run(&db.pool(), move |conn| {
        let expired = service::expire_offer(conn, &first, Duration::zero())?;
        let again = service::expire_offer(conn, &first, Duration::zero())?;
        let stored = repo::find_offer_by_id(conn, &first)?.expect("stored");
        let job_row = repo::find_job(conn, &stored.job_id)?.expect("job");
        Ok::<_, crate::JobsError>((expired, again, stored, job_row))
    })
    .await
    .expect("ran");
    assert!(expired.is_some(), "a countered offer expires too");
    assert!(again.is_none(), "once");
    assert_eq!(stored.state(), Some(OfferStatus::Expired));
    assert_eq!(stored.counter_price_cents, None);
    assert_eq!(job_row.state(), Some(JobStatus::Open));
    assert_eq!(job_row.offer_count, 1, "the expired offer no longer counts");

    // An offer answered since waits for its new time: not expired, its
    // task moved to the last round plus the time to live.
    let ttl = Duration::hours(1);
    let (kept, due, last_round) = db::run(&db.pool(), move |conn| {
        let kept = service::expire_offer(conn, &second, ttl)?;
        let offer = repo::find_offer_by_id(conn, &second)?.expect("stored");
        let due = tasks::list_tasks(conn, true, None, 100)?
            .into_iter()
            .find(|t| t.subject_id == second)
            .map(|t| t.due_at);
        Ok::<_, crate::JobsError>((kept, due, offer.updated_at))
    })
    .await
    .expect("ran");
    assert!(kept.is_none());
    assert_eq!(due, Some(last_round + ttl));
}

#[tokio::test]
async fn an_accepted_offer_and_a_booked_job_are_left_alone_by_their_tasks() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 1).await;
    Offers::new(relay.clone())
        .accept(command(&customer, &job, &offers[0].1))
        .await
        .expect("accepted");
    let (offer, job_id) = (offers[0].1.to_string(), job.to_string());
    let expire_now = rules(Duration::zero(), Duration::zero());
    let (offer_expired, job_expired, job_row) = db::run(&db.pool(), move |conn| {
        let offer_expired = service::expire_offer(conn, &offer, Duration::zero())?;
        let job_expired = service::expire_job(conn, &job_id, &expire_now)?;
        let job_row = repo::find_job(conn, &job_id)?.expect("job");
        Ok::<_, crate::JobsError>((offer_expired, job_expired, job_row))
    })
    .await
    .expect("ran");
    assert!(offer_expired.is_none() && job_expired.is_none());
    assert_eq!(job_row.state(), Some(JobStatus::Booked));
}

#[tokio::test]
async fn the_scheduler_expires_a_stale_job_with_its_open_offers() {
    let db = database();
    let relay = relay(&db);
    let (_, job, offers) = job_with_offers(&relay, &db, 3).await;
    // The job was posted under the default rules; under rules where a job
    // expires as soon as it is posted, its task would have been due now.
    let job_id = job.to_string();
    db::run(&db.pool(), move |conn| {
        Ok::<_, DbError>(tasks::schedule(
            conn,
            service::JOB_EXPIRE_TASK,
            &job_id,
            db::now(),
        )?)
    })
    .await
    .expect("moved");
    let expire_now = rules(Duration::hours(1), Duration::zero());
    let ran = scheduler(&db, expire_now).run_due().await.expect("ran");
    assert!(ran >= 1);
    let job_id = job.to_string();
    let (job_row, stored) = db::run(&db.pool(), move |conn| {
        let job_row = repo::find_job(conn, &job_id)?.expect("job");
        let stored = repo::list_offers(conn, &job_id, None, None, 10)?;
        Ok::<_, DbError>((job_row, stored))
    })
    .await
    .expect("read");
    assert_eq!(job_row.state(), Some(JobStatus::Expired));
    assert_eq!(stored.len(), offers.len());
    assert!(
        stored
            .iter()
            .all(|o| o.state() == Some(OfferStatus::Rejected))
    );
}

#[tokio::test]
async fn a_job_whose_time_moved_later_waits_and_the_catch_up_adds_only_missing_tasks() {
    let db = database();
    let relay = relay(&db);
    let (_, job, offers) = job_with_offers(&relay, &db, 1).await;
    let job_id = job.to_string();
    let offer_id = offers[0].1.to_string();
    let defaults = JobRules::default();
    let (expired, waiting, added_first, added_again) = db::run(&db.pool(), move |conn| {
        let expired = service::expire_job(conn, &job_id, &defaults)?;
        let waiting = tasks::list_tasks(conn, true, None, 100)?;
        // A lost task (a restore from before the scheduler): the catch-up
        // schedules it again, once.
        tasks::cancel(conn, service::OFFER_EXPIRE_TASK, &offer_id)?;
        let added_first = service::schedule_missing_expiries(conn, &defaults)?;
        let added_again = service::schedule_missing_expiries(conn, &defaults)?;
        Ok::<_, crate::JobsError>((expired, waiting, added_first, added_again))
    })
    .await
    .expect("ran");
    assert!(expired.is_none(), "not due under the default rules");
    let job_task = waiting
        .iter()
        .find(|t| t.kind == service::JOB_EXPIRE_TASK)
        .expect("the job's task waits");
    assert!(job_task.due_at > db::now() + Duration::days(29));
    assert_eq!((added_first, added_again), (1, 0));
}
