//! Domain events: stored with their change, read by admins at
//! `/admin/events`, and delivered after a crash that left them undelivered.

use std::time::Duration;

use quickfix_jobs_contract::{JobEvent, JobId, OfferCreated, OfferId, UserId};
use quickfix_ratings_contract::{AggregateChanged, RatingEvent};
use quickfix_shared::events::EventSet;
use quickfix_shared::outbox::Relay;
use quickfix_shared::testing::TestDatabase;
use quickfix_tests::{TestApp, TestUser, assert_problem, job_body, json, test_settings};
use quickfix_users::commands::NewAccount;

#[tokio::test]
async fn admins_read_the_event_log_newest_first_with_filters() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let job = app
        .post_job(&customer, &job_body("Fix the tap", "plumbing", 38.7, -9.1))
        .await;
    let offer = app
        .offer(&provider, job["id"].as_str().unwrap(), 9000)
        .await;

    let log = json(app.get_as(&admin.token, "/api/v1/admin/events").await).await;
    let newest = &log["items"][0];
    assert_eq!(newest["kind"], "offer.created");
    assert_eq!(
        newest["subject"],
        serde_json::json!({"kind": "offer", "id": offer["id"]})
    );
    assert_eq!(newest["actor_id"], provider.id);
    assert_eq!(newest["data"]["customer_id"], customer.id);
    assert_eq!(newest["parked"], serde_json::json!([]));

    let by_kind = json(
        app.get_as(&admin.token, "/api/v1/admin/events?kind=job.cancelled")
            .await,
    )
    .await;
    assert_eq!(by_kind["items"].as_array().unwrap().len(), 0);
    let by_subject = json(
        app.get_as(
            &admin.token,
            &format!(
                "/api/v1/admin/events?subject_id={}",
                offer["id"].as_str().unwrap()
            ),
        )
        .await,
    )
    .await;
    assert_eq!(by_subject["items"].as_array().unwrap().len(), 1);

    assert_problem(
        app.get_as(&customer.token, "/api/v1/admin/events").await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get_as(&admin.token, "/api/v1/admin/events?limit=0")
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as(&admin.token, "/api/v1/admin/events?cursor=not-issued")
            .await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(app.get("/api/v1/admin/events").await, 401, "unauthorized").await;

    // Pages neither skip nor repeat (a second event: the offer withdrawn).
    let withdrawn = app
        .post_as(
            &provider.token,
            &format!(
                "/api/v1/jobs/{}/offers/{}/withdraw",
                job["id"].as_str().unwrap(),
                offer["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(withdrawn.status(), 200);
    let log = json(app.get_as(&admin.token, "/api/v1/admin/events").await).await;
    assert_eq!(log["items"][0]["kind"], "offer.withdrawn");
    let first = json(
        app.get_as(&admin.token, "/api/v1/admin/events?limit=1")
            .await,
    )
    .await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = json(
        app.get_as(
            &admin.token,
            &format!("/api/v1/admin/events?limit=1&cursor={cursor}"),
        )
        .await,
    )
    .await;
    assert_eq!(first["items"][0], log["items"][0]);
    assert_eq!(second["items"][0], log["items"][1]);
}

#[tokio::test]
async fn an_event_committed_before_a_crash_is_delivered_after_the_restart() {
    let db = TestDatabase::new(quickfix_gateway::app::MIGRATIONS);
    let password = "a-good-password";
    let hash = quickfix_users::passwords::hash_password("test", password.into(), 4)
        .await
        .unwrap();
    // What a crash between the commit and the delivery leaves: the account
    // and the event committed, no gateway running, no consumer reached.
    let pool = db.pool();
    // Made through a relay no consumer listens to.
    let bare = Relay::new(pool.clone());
    let customer = quickfix_users::commands::create_account(
        &bare,
        NewAccount {
            email: "crash@example.com".to_owned(),
            password_hash: hash,
            role: quickfix_shared::auth::Role::Customer,
            name: "Crash".to_owned(),
            phone: None,
            profile: Default::default(),
            verified: false,
        },
    )
    .await
    .unwrap();
    let event = JobEvent::OfferCreated(OfferCreated {
        offer_id: OfferId::generate(),
        job_id: JobId::generate(),
        job_title: "Leaking tap".to_owned(),
        customer_id: customer.clone(),
        provider_id: customer.clone(),
        price_cents: 5000,
    });
    // The event is stored and reaches nobody.
    bare.emit(vec![event.into_event(None)]).await.unwrap();
    drop(pool);

    let uploads = tempfile::tempdir().unwrap();
    let settings = test_settings(db.url(), &uploads.path().display().to_string());
    let app = TestApp::start(settings, db, uploads).await;
    let session = app
        .login("crash@example.com", password, customer.as_str())
        .await;
    let mut delivered = false;
    for _ in 0..100 {
        let notes = json(app.get_as(&session.token, "/api/v1/notifications").await).await;
        if notes["items"].as_array().unwrap().len() == 1 {
            assert_eq!(notes["items"][0]["kind"], "offer.created");
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        delivered,
        "the restarted gateway's sweeper delivered the stored event"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let notes = json(app.get_as(&session.token, "/api/v1/notifications").await).await;
    assert_eq!(notes["items"].as_array().unwrap().len(), 1, "and only once");
}

#[tokio::test]
async fn rating_aggregates_apply_in_version_order_whatever_order_they_arrive_in() {
    let app = TestApp::spawn().await;
    let provider = TestUser::provider().register(&app).await;
    let change = |avg: f64, count: i32, version: i64| {
        RatingEvent::AggregateChanged(AggregateChanged {
            user_id: UserId::from_db(provider.id.clone()),
            avg: Some(avg),
            count,
            version,
        })
        .into_event(None)
    };
    let newer = change(4.5, 2, 200);
    app.relay().emit(vec![newer.clone()]).await.unwrap();
    app.relay().emit(vec![change(1.0, 1, 100)]).await.unwrap();
    app.relay().deliver(vec![newer]).await;
    let profile = json(app.get(&format!("/api/v1/providers/{}", provider.id)).await).await;
    assert_eq!(profile["rating_avg"], 4.5, "{profile}");
    assert_eq!(profile["rating_count"], 2);
}
