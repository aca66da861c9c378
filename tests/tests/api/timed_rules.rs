//! Timed rules on the durable scheduler, with durations shortened through
//! configuration (seconds): reminders before a booking's planned time and
//! the no-show cancellation after it; a booking moved by hand before its
//! task fires is left alone.

use std::time::Duration;

use quickfix_tests::{Session, TestApp, TestUser, job_body, json};
use serde_json::Value;

/// A booking planned `in_secs` from now between a new customer and provider.
async fn planned_booking(app: &TestApp, in_secs: i64) -> (Session, Session, Value) {
    let customer = TestUser::customer().register(app).await;
    let provider = TestUser::provider().register(app).await;
    let mut body = job_body("Planned work", "plumbing", 38.7, -9.1);
    let planned = chrono::Utc::now() + chrono::Duration::seconds(in_secs);
    body["scheduled_for"] =
        Value::String(planned.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    let job = app.post_job(&customer, &body).await;
    let job_id = job["id"].as_str().unwrap().to_owned();
    let offer = app.offer(&provider, &job_id, 8_000).await;
    let booking = app
        .accept(&customer, &job_id, offer["id"].as_str().unwrap())
        .await;
    (customer, provider, booking)
}

#[tokio::test]
async fn both_parties_are_reminded_before_the_planned_time() {
    let app = TestApp::spawn_with(|s| s.bookings.reminder_before_secs = 2).await;
    let (customer, provider, booking) = planned_booking(&app, 3).await;
    let booking_id = booking["id"].as_str().unwrap().to_owned();
    for party in [&customer, &provider] {
        let seen = app
            .wait_until(party, "/api/v1/notifications", |page| {
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|n| n["kind"] == "booking.reminder")
            })
            .await;
        let reminder = seen["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "booking.reminder")
            .cloned()
            .unwrap();
        assert_eq!(reminder["payload"]["booking_id"], booking_id.as_str());
        assert!(reminder["payload"]["scheduled_for"].is_string());
    }
}

#[tokio::test]
async fn a_booking_never_started_is_cancelled_as_a_no_show_and_a_started_one_is_left_alone() {
    let app = TestApp::spawn_with(|s| s.bookings.no_show_after_secs = 1).await;
    let (customer, _, booking) = planned_booking(&app, 2).await;
    let (_, worker, started) = planned_booking(&app, 2).await;
    let started_id = started["id"].as_str().unwrap().to_owned();
    let start = app
        .post_as(
            &worker.token,
            &format!("/api/v1/bookings/{started_id}/start"),
        )
        .await;
    assert_eq!(start.status(), 200);

    let id = booking["id"].as_str().unwrap().to_owned();
    let cancelled = app
        .wait_until(&customer, &format!("/api/v1/bookings/{id}"), |b| {
            b["status"] == "cancelled"
        })
        .await;
    assert_eq!(cancelled["cancel_reason"], "no_show");
    let timeline = json(
        app.get_as(&customer.token, &format!("/api/v1/bookings/{id}/events"))
            .await,
    )
    .await;
    let last = timeline["items"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last["to"], "cancelled");
    assert_eq!(last["reason"], "no_show");
    assert_eq!(last["actor_id"], "00000000-0000-0000-0000-000000000000");
    let job = json(
        app.get_as(
            &customer.token,
            &format!("/api/v1/jobs/{}", booking["job_id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(job["status"], "cancelled", "the job follows its booking");

    let admin = app.admin().await;
    app.wait_until(&admin, "/api/v1/admin/tasks", |page| {
        page["items"].as_array().unwrap().iter().any(|t| {
            t["kind"] == "booking.no_show"
                && t["subject_id"] == started_id.as_str()
                && t["done_at"].is_string()
        })
    })
    .await;
    let still = json(
        app.get_as(&worker.token, &format!("/api/v1/bookings/{started_id}"))
            .await,
    )
    .await;
    assert_eq!(
        still["status"], "in_progress",
        "started by hand: left alone"
    );
}

#[tokio::test]
async fn two_instances_on_one_database_remind_once() {
    let app = TestApp::spawn_with(|s| s.bookings.reminder_before_secs = 2).await;
    let _sibling = app.spawn_sibling(|_| {}).await;
    let mut bookings = Vec::new();
    for _ in 0..4 {
        bookings.push(planned_booking(&app, 3).await);
    }
    for (customer, _, booking) in &bookings {
        let id = booking["id"].as_str().unwrap();
        app.wait_until(customer, "/api/v1/notifications", |page| {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "booking.reminder" && n["payload"]["booking_id"] == id)
        })
        .await;
    }
    // Both schedulers looked many times meanwhile.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for (customer, provider, _) in &bookings {
        for party in [customer, provider] {
            let page = json(app.get_as(&party.token, "/api/v1/notifications").await).await;
            let reminders = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["kind"] == "booking.reminder")
                .count();
            assert_eq!(reminders, 1, "reminded once");
        }
    }
}

/// What a killed server leaves: an offer made and its expiry scheduled,
/// then no server while the expiry falls due. The next server to start
/// runs the task late, once.
#[tokio::test]
async fn tasks_that_fell_due_while_no_server_ran_run_after_the_restart() {
    use quickfix_jobs::dto::{CreateJobRequest, CreateOfferRequest, LocationInput};
    use quickfix_shared::auth::{AuthUser, Role};
    use quickfix_shared::ids::UserId;
    use quickfix_shared::testing::TestDatabase;
    use quickfix_tests::{stored, test_settings};

    let db = TestDatabase::new(quickfix_gateway::app::MIGRATIONS);
    let uploads = tempfile::tempdir().unwrap();
    let mut settings = test_settings(db.url(), &uploads.path().display().to_string());
    settings.jobs.offer_ttl_secs = 1;
    let state = quickfix_jobs::JobsState {
        currency: "EUR".to_owned(),
        rules: settings.jobs.rules(),
        accounts: std::sync::Arc::new(quickfix_users::contract::FixedDirectory::default()),
    };
    let user = |role| AuthUser {
        id: UserId::generate(),
        role,
        session: String::new(),
        must_verify_email: false,
    };
    let pool = db.pool();
    let relay = quickfix_shared::outbox::Relay::new(pool.clone());
    let job = quickfix_jobs::commands::create_job(
        &pool,
        &state,
        user(Role::Customer),
        CreateJobRequest {
            title: "Fix the gate".to_owned(),
            description: "It sticks.".to_owned(),
            category: "carpentry".to_owned(),
            budget_cents: None,
            location: LocationInput {
                address: "1 Main St".to_owned(),
                lat: 38.7,
                lng: -9.1,
            },
            scheduled_for: None,
        },
    )
    .await
    .unwrap();
    let offer = quickfix_jobs::commands::create_offer(
        &relay,
        &state,
        user(Role::Provider),
        quickfix_shared::ids::JobId::from_db(job.id),
        CreateOfferRequest {
            price_cents: 7_000,
            message: "Tomorrow.".to_owned(),
            eta: None,
        },
    )
    .await
    .unwrap();
    drop((relay, pool));
    // Down while the offer's time runs out.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let app = TestApp::start(settings, db, uploads).await;
    let status = "SELECT status AS value FROM offers WHERE id = $1";
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while stored::text(app.pool(), status, &offer.id).await.as_deref() != Some("expired") {
        assert!(std::time::Instant::now() < deadline, "never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Later passes of the scheduler find nothing more to do.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let runs = stored::count(
        app.pool(),
        "SELECT COUNT(*) AS n FROM scheduled_tasks \
         WHERE subject_id = $1 AND done_at IS NOT NULL AND attempts = 1",
        &offer.id,
    )
    .await;
    assert_eq!(runs, 1, "run once, and done");
    let events = stored::count(
        app.pool(),
        "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = $1",
        "offer.expired",
    )
    .await;
    assert_eq!(events, 1);
}
