//! The job mirrors its booking from `booking.updated` events, whatever
//! their order: a disputed booking makes its job `booked` again, the
//! resolution ends it, and a late or repeated older state changes nothing.

use chrono::{Duration, Utc};
use quickfix_bookings_contract::{BookingEvent, BookingResponse, BookingStatus, BookingUpdated};
use quickfix_jobs_contract::{JobStatus, OfferAcceptance};
use quickfix_shared::db::{self, DbError};
use quickfix_shared::events::EventSet;
use quickfix_shared::ids::{JobId, UserId};
use quickfix_shared::outbox::SharedRelay;

use super::{command, database, job_with_offers, relay};
use crate::consumers::BookingMirror;
use crate::{Offers, repository as repo};

/// `booking.updated` for the booking of `job` in `status`, as it was
/// `age_secs` after a fixed start.
fn updated(
    job: &JobId,
    status: BookingStatus,
    age_secs: i64,
) -> quickfix_shared::events::DomainEvent {
    let start = Utc::now() - Duration::hours(1);
    let (customer, provider) = (UserId::generate(), UserId::generate());
    let mut booking = BookingResponse::sample(&customer, &provider, status);
    booking.job_id = job.to_string();
    booking.updated_at = start + Duration::seconds(age_secs);
    BookingEvent::Updated(BookingUpdated {
        booking,
        actor_id: customer.clone(),
        customer_id: customer,
        provider_id: provider,
    })
    .into_event(None)
}

async fn job_state(db: &quickfix_shared::testing::TestDatabase, job: &JobId) -> Option<JobStatus> {
    let id = job.to_string();
    db::run(&db.pool(), move |conn| {
        Ok::<_, DbError>(repo::find_job(conn, &id)?.and_then(|j| j.state()))
    })
    .await
    .expect("read")
}

async fn booked_job(relay: &SharedRelay, db: &quickfix_shared::testing::TestDatabase) -> JobId {
    let (customer, job, offers) = job_with_offers(relay, db, 1).await;
    Offers::new(relay.clone())
        .accept(command(&customer, &job, &offers[0].1))
        .await
        .expect("accepted");
    job
}

#[tokio::test]
async fn a_dispute_books_the_job_again_until_its_resolution_whatever_the_order() {
    let db = database();
    let relay = relay(&db);
    relay.register(BookingMirror::new(db.pool()));
    let job = booked_job(&relay, &db).await;

    relay
        .deliver(vec![updated(&job, BookingStatus::Completed, 10)])
        .await;
    assert_eq!(job_state(&db, &job).await, Some(JobStatus::Completed));
    relay
        .deliver(vec![updated(&job, BookingStatus::Disputed, 20)])
        .await;
    assert_eq!(
        job_state(&db, &job).await,
        Some(JobStatus::Booked),
        "in dispute"
    );
    // The completion again (a redelivery): older than the dispute.
    relay
        .deliver(vec![updated(&job, BookingStatus::Completed, 10)])
        .await;
    assert_eq!(job_state(&db, &job).await, Some(JobStatus::Booked));
    relay
        .deliver(vec![updated(&job, BookingStatus::Cancelled, 30)])
        .await;
    assert_eq!(
        job_state(&db, &job).await,
        Some(JobStatus::Cancelled),
        "resolved so"
    );
    relay
        .deliver(vec![updated(&job, BookingStatus::Disputed, 20)])
        .await;
    assert_eq!(
        job_state(&db, &job).await,
        Some(JobStatus::Cancelled),
        "late: ignored"
    );
}

#[tokio::test]
async fn an_open_job_is_never_moved_by_a_booking_event() {
    let db = database();
    let relay = relay(&db);
    relay.register(BookingMirror::new(db.pool()));
    let (_, job, _) = job_with_offers(&relay, &db, 1).await;
    relay
        .deliver(vec![updated(&job, BookingStatus::Completed, 10)])
        .await;
    assert_eq!(job_state(&db, &job).await, Some(JobStatus::Open));
}

#[tokio::test]
async fn a_job_booked_before_booking_ids_were_recorded_still_follows_its_booking() {
    use diesel::prelude::*;

    let db = database();
    let relay = relay(&db);
    relay.register(BookingMirror::new(db.pool()));
    let job = booked_job(&relay, &db).await;
    let id = job.to_string();
    db::run(&db.pool(), move |conn| {
        diesel::update(crate::schema::jobs::table.find(&id))
            .set(crate::schema::jobs::booking_id.eq(None::<String>))
            .execute(conn)
            .map_err(DbError::Query)
    })
    .await
    .expect("an older row");
    relay
        .deliver(vec![updated(&job, BookingStatus::Completed, 10)])
        .await;
    assert_eq!(job_state(&db, &job).await, Some(JobStatus::Completed));
}
