//! Who may rate, the double-blind reveal and the aggregates' events.

use quickfix_bookings_contract::BookingStatus;
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, Role};

use super::{World, database, user, world};
use crate::commands;
use crate::dto::{CreateRatingRequest, RatingResponse};

impl World {
    /// `who` rates this world's booking with `stars`.
    async fn rate(&self, who: &AuthUser, stars: u8) -> Result<RatingResponse, ApiError> {
        let request = CreateRatingRequest {
            stars,
            comment: Some("  On time.  ".to_owned()),
        };
        commands::rate(
            &self.state,
            &self.relay,
            who.clone(),
            self.booking.clone(),
            request,
        )
        .await
    }

    /// The kinds of the events delivered so far, sorted.
    fn sorted_kinds(&self) -> Vec<String> {
        let mut kinds = self.events.kinds();
        kinds.sort();
        kinds
    }
}

#[tokio::test]
async fn ratings_stay_hidden_until_both_parties_rated_then_reveal_together() {
    let db = database();
    let w = world(&db, BookingStatus::Completed, 0);
    let first = w.rate(&w.customer, 4).await.expect("rated");
    assert_eq!(first.stars, 4);
    assert_eq!(first.comment.as_deref(), Some("On time."), "trimmed");
    assert!(w.events.kinds().is_empty(), "a lone rating reveals nothing");

    w.rate(&w.provider, 5).await.expect("rated");
    assert_eq!(
        w.sorted_kinds(),
        [
            "rating.aggregate_changed",
            "rating.aggregate_changed",
            "rating.created",
            "rating.created"
        ],
        "both revealed, both aggregates moved"
    );
}

#[tokio::test]
async fn a_party_rates_once_an_outsider_is_404_and_an_unfinished_booking_409() {
    let db = database();
    let w = world(&db, BookingStatus::Completed, 0);
    w.rate(&w.customer, 3).await.expect("rated");
    let again = w.rate(&w.customer, 3).await.expect_err("once");
    assert_eq!(again.status().as_u16(), 409, "{again}");
    let outsider = w
        .rate(&user(Role::Customer), 3)
        .await
        .expect_err("not a party");
    assert_eq!(outsider.status().as_u16(), 404);

    let started = world(&db, BookingStatus::InProgress, 0);
    let early = started
        .rate(&started.customer, 5)
        .await
        .expect_err("not completed");
    assert_eq!(early.status().as_u16(), 409);
}

#[tokio::test]
async fn a_lone_rating_is_revealed_once_the_period_passed() {
    let db = database();
    let w = world(&db, BookingStatus::Completed, 8);
    w.rate(&w.customer, 2).await.expect("rated");
    assert_eq!(
        w.sorted_kinds(),
        ["rating.aggregate_changed", "rating.created"],
        "completed eight days ago: the seven-day period is over"
    );

    let fresh = world(&db, BookingStatus::Completed, 0);
    fresh.rate(&fresh.customer, 2).await.expect("rated");
    let later = crate::service::now() + chrono::Duration::days(8);
    let revealed = crate::reveal_due(&fresh.relay, later, fresh.state.reveal_after)
        .await
        .expect("revealed");
    assert!(revealed >= 1, "the reveal task finds it once due");
    assert!(fresh.events.kinds().contains(&"rating.created".to_owned()));
}

#[tokio::test]
async fn a_lone_ratings_reveal_is_a_scheduled_task_the_other_rating_cancels() {
    use quickfix_shared::tasks::{self, Scheduler};

    let db = database();
    let mut w = world(&db, BookingStatus::Completed, 0);
    w.state.reveal_after = chrono::Duration::seconds(1);
    w.rate(&w.customer, 4).await.expect("rated");
    let pending = |pool: quickfix_shared::db::DbPool| async move {
        quickfix_shared::db::run(&pool, |conn| tasks::list_tasks(conn, true, None, 10))
            .await
            .expect("listed")
    };
    let waiting = pending(db.pool()).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].kind, "rating.reveal");
    assert_eq!(waiting[0].subject_id, w.booking.as_str());

    let scheduler = Scheduler::new(
        db.pool(),
        std::time::Duration::from_millis(10),
        chrono::TimeDelta::seconds(5),
    )
    .with(crate::RevealTask::new(
        w.relay.clone(),
        w.state.reveal_after,
    ));
    assert_eq!(scheduler.run_due().await.expect("ran"), 0, "not due yet");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(scheduler.run_due().await.expect("ran"), 1);
    assert!(w.events.kinds().contains(&"rating.created".to_owned()));
    assert!(pending(db.pool()).await.is_empty(), "done");

    let both = world(&db, BookingStatus::Completed, 0);
    both.rate(&both.customer, 5).await.expect("rated");
    both.rate(&both.provider, 5).await.expect("rated");
    let left: Vec<_> = pending(db.pool())
        .await
        .into_iter()
        .filter(|t| t.subject_id == both.booking.as_str())
        .collect();
    assert!(
        left.is_empty(),
        "the second rating revealed both: no task waits"
    );
}
