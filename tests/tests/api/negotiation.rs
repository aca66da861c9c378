//! Negotiation through the public API: counters, revisions, the provider's
//! accept of a counter, the rounds history, the round limit, the one
//! booking a race between every path to a booking leaves, and the expiry
//! of unanswered offers and stale jobs with durations shortened through
//! configuration (seconds).

use quickfix_tests::{Session, TestApp, TestUser, assert_problem, job_body, json, one_wins};
use reqwest::Method;
use serde_json::{Value, json};

/// A new customer's job with one offer of `price_cents` from a new
/// provider: `(customer, provider, job_id, offer_id)`.
async fn offered(app: &TestApp, price_cents: i64) -> (Session, Session, String, String) {
    let customer = TestUser::customer().register(app).await;
    let provider = TestUser::provider().register(app).await;
    let job = app
        .post_job(
            &customer,
            &job_body("Fix the boiler", "plumbing", 38.7, -9.1),
        )
        .await;
    let job_id = job["id"].as_str().unwrap().to_owned();
    let offer = app.offer(&provider, &job_id, price_cents).await;
    (
        customer,
        provider,
        job_id,
        offer["id"].as_str().unwrap().to_owned(),
    )
}

fn offer_path(job_id: &str, offer_id: &str, action: &str) -> String {
    format!("/api/v1/jobs/{job_id}/offers/{offer_id}/{action}")
}

/// Sends a round (`counter` or `revise`) of `price_cents` as `user`.
async fn round(
    app: &TestApp,
    user: &Session,
    path: &str,
    price_cents: i64,
    message: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"price_cents": price_cents});
    if let Some(message) = message {
        body["message"] = json!(message);
    }
    app.send_json_as(&user.token, Method::POST, path, &body)
        .await
}

fn kinds(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_counter_and_a_revision_then_the_provider_accepts_the_counter() {
    let app = TestApp::spawn().await;
    let (customer, provider, job_id, offer_id) = offered(&app, 10_000).await;
    let counter = offer_path(&job_id, &offer_id, "counter");
    let revise = offer_path(&job_id, &offer_id, "revise");

    let countered = round(&app, &customer, &counter, 8_000, Some("Can you do 80?")).await;
    assert_eq!(countered.status(), 200);
    let countered = json(countered).await;
    assert_eq!(countered["status"], "countered");
    assert_eq!(countered["counter_price_cents"], 8_000);
    assert_eq!(
        countered["price_cents"], 10_000,
        "the provider's last price"
    );
    assert_eq!(countered["counters"], 1);

    let revised = round(&app, &provider, &revise, 9_000, None).await;
    assert_eq!(revised.status(), 200);
    let revised = json(revised).await;
    assert_eq!(revised["status"], "pending");
    assert_eq!(revised["price_cents"], 9_000);
    assert!(revised["counter_price_cents"].is_null());

    assert_eq!(
        round(&app, &customer, &counter, 8_500, None).await.status(),
        200
    );
    let booked = app
        .post_as(
            &provider.token,
            &offer_path(&job_id, &offer_id, "accept-counter"),
        )
        .await;
    assert_eq!(booked.status(), 201);
    let booking = json(booked).await;
    assert_eq!(booking["price_cents"], 8_500, "booked at the counter price");
    assert_eq!(booking["status"], "confirmed");
    assert_eq!(booking["offer_id"], offer_id.as_str());

    let rounds = json(
        app.get_as(&provider.token, &offer_path(&job_id, &offer_id, "rounds"))
            .await,
    )
    .await;
    let seen: Vec<(String, i64)> = rounds["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["at"].is_string());
            (
                r["by"].as_str().unwrap().to_owned(),
                r["price_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("provider".to_owned(), 10_000),
            ("customer".to_owned(), 8_000),
            ("provider".to_owned(), 9_000),
            ("customer".to_owned(), 8_500),
        ]
    );
    assert_eq!(rounds["items"][1]["message"], "Can you do 80?");
    assert!(rounds["items"][2]["message"].is_null());

    let job = json(
        app.get_as(&customer.token, &format!("/api/v1/jobs/{job_id}"))
            .await,
    )
    .await;
    assert_eq!(job["status"], "booked");
    let provider_inbox =
        kinds(&json(app.get_as(&provider.token, "/api/v1/notifications").await).await);
    assert_eq!(
        provider_inbox
            .iter()
            .filter(|k| *k == "offer.countered")
            .count(),
        2
    );
    let customer_inbox =
        kinds(&json(app.get_as(&customer.token, "/api/v1/notifications").await).await);
    assert!(customer_inbox.iter().any(|k| k == "offer.revised"));
    assert!(customer_inbox.iter().any(|k| k == "offer.created"));
}

#[tokio::test]
async fn the_owner_accepts_a_countered_offer_at_the_providers_price() {
    let app = TestApp::spawn().await;
    let (customer, _, job_id, offer_id) = offered(&app, 10_000).await;
    let counter = offer_path(&job_id, &offer_id, "counter");
    assert_eq!(
        round(&app, &customer, &counter, 7_000, None).await.status(),
        200
    );
    let booking = app.accept(&customer, &job_id, &offer_id).await;
    assert_eq!(booking["price_cents"], 10_000);
}

#[tokio::test]
async fn wrong_roles_owners_and_states_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (customer, provider, job_id, offer_id) = offered(&app, 10_000).await;
    let stranger = TestUser::customer().register(&app).await;
    let rival = TestUser::provider().register(&app).await;
    let counter = offer_path(&job_id, &offer_id, "counter");
    let revise = offer_path(&job_id, &offer_id, "revise");
    let accept_counter = offer_path(&job_id, &offer_id, "accept-counter");
    let rounds = offer_path(&job_id, &offer_id, "rounds");

    assert_problem(
        round(&app, &provider, &counter, 9_000, None).await,
        403,
        "forbidden",
    )
    .await;
    // The job is public, its offers its owner's: as with accept, a
    // customer who does not own it is refused, not misled.
    assert_problem(
        round(&app, &stranger, &counter, 9_000, None).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        round(&app, &customer, &revise, 9_000, None).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        round(&app, &provider, &revise, 9_000, None).await,
        409,
        "offer_not_pending",
    )
    .await;
    assert_problem(
        app.post_as(&provider.token, &accept_counter).await,
        409,
        "offer_not_pending",
    )
    .await;
    assert_problem(app.get_as(&stranger.token, &rounds).await, 404, "not_found").await;
    assert_problem(app.get_as(&rival.token, &rounds).await, 404, "not_found").await;
    let unknown = offer_path(&job_id, "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10", "counter");
    assert_problem(
        round(&app, &customer, &unknown, 9_000, None).await,
        404,
        "not_found",
    )
    .await;

    for bad in [
        json!({"price_cents": 0}),
        json!({"price_cents": 100_000_001}),
        json!({"price_cents": 5_000, "message": ""}),
        json!({"price_cents": 5_000, "message": "x".repeat(2001)}),
        json!({}),
    ] {
        let response = app
            .send_json_as(&customer.token, Method::POST, &counter, &bad)
            .await;
        assert_problem(response, 422, "validation_failed").await;
    }

    assert_eq!(
        round(&app, &customer, &counter, 8_000, None).await.status(),
        200
    );
    assert_problem(
        round(&app, &customer, &counter, 7_000, None).await,
        409,
        "offer_not_pending",
    )
    .await;
    assert_problem(
        round(&app, &rival, &revise, 9_000, None).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post_as(&rival.token, &accept_counter).await,
        404,
        "not_found",
    )
    .await;
    let offer = json(
        app.get_as(&customer.token, &format!("/api/v1/jobs/{job_id}/offers"))
            .await,
    )
    .await;
    assert_eq!(offer["items"][0]["status"], "countered");
    assert_eq!(offer["items"][0]["counter_price_cents"], 8_000);
    let history = json(app.get_as(&customer.token, &rounds).await).await;
    assert_eq!(
        history["items"].as_array().unwrap().len(),
        2,
        "refusals add no round"
    );
}

#[tokio::test]
async fn the_round_limit_refuses_one_counter_more() {
    let app = TestApp::spawn_with(|s| s.jobs.max_rounds = 2).await;
    let (customer, provider, job_id, offer_id) = offered(&app, 10_000).await;
    let counter = offer_path(&job_id, &offer_id, "counter");
    let revise = offer_path(&job_id, &offer_id, "revise");
    for price in [8_000, 8_500] {
        assert_eq!(
            round(&app, &customer, &counter, price, None).await.status(),
            200
        );
        assert_eq!(
            round(&app, &provider, &revise, price + 1_000, None)
                .await
                .status(),
            200
        );
    }
    assert_problem(
        round(&app, &customer, &counter, 9_000, None).await,
        409,
        "too_many_rounds",
    )
    .await;
    let still = app.accept(&customer, &job_id, &offer_id).await;
    assert_eq!(
        still["price_cents"], 9_500,
        "the last revision still stands"
    );
}

/// Ten countered offers on one job, each raced by the owner's accept and
/// its provider's accept-counter: twenty paths to a booking, one wins.
#[tokio::test]
async fn twenty_racing_accepts_and_accept_counters_make_exactly_one_booking() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let job = app
        .post_job(&customer, &job_body("Contested", "cleaning", 1.0, 1.0))
        .await;
    let job_id = job["id"].as_str().unwrap().to_owned();
    let mut racers = Vec::new();
    for _ in 0..10 {
        let provider = TestUser::provider().register(&app).await;
        let offer = app.offer(&provider, &job_id, 6_000).await;
        let offer_id = offer["id"].as_str().unwrap().to_owned();
        let counter = offer_path(&job_id, &offer_id, "counter");
        assert_eq!(
            round(&app, &customer, &counter, 5_000, None).await.status(),
            200
        );
        racers.push((
            customer.token.clone(),
            offer_path(&job_id, &offer_id, "accept"),
        ));
        racers.push((
            provider.token,
            offer_path(&job_id, &offer_id, "accept-counter"),
        ));
    }
    let attempts = racers.iter().map(|(token, path)| app.post_as(token, path));
    one_wins(attempts, 201, 409).await;
    let bookings = json(app.get_as(&customer.token, "/api/v1/bookings").await).await;
    assert_eq!(bookings["items"].as_array().unwrap().len(), 1);
    let offers = json(
        app.get_as(
            &customer.token,
            &format!("/api/v1/jobs/{job_id}/offers?limit=100"),
        )
        .await,
    )
    .await;
    let count = |status: &str| {
        offers["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["status"] == status)
            .count()
    };
    assert_eq!((count("accepted"), count("rejected")), (1, 9));
}

#[tokio::test]
async fn an_unanswered_offer_expires_and_both_parties_hear_of_it() {
    let app = TestApp::spawn_with(|s| s.jobs.offer_ttl_secs = 1).await;
    let (customer, provider, job_id, offer_id) = offered(&app, 10_000).await;
    let offers = format!("/api/v1/jobs/{job_id}/offers");
    app.wait_until(&customer, &offers, |page| {
        page["items"][0]["status"] == "expired"
    })
    .await;
    for party in [&customer, &provider] {
        let inbox = app
            .wait_until(party, "/api/v1/notifications", |page| {
                kinds(page).iter().any(|k| k == "offer.expired")
            })
            .await;
        let expired = inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "offer.expired")
            .unwrap();
        assert_eq!(expired["payload"]["offer_id"], offer_id.as_str());
    }
    let job = json(
        app.get_as(&customer.token, &format!("/api/v1/jobs/{job_id}"))
            .await,
    )
    .await;
    assert_eq!(job["status"], "open", "the job stays open");
    assert_problem(
        app.post_as(&customer.token, &offer_path(&job_id, &offer_id, "accept"))
            .await,
        409,
        "offer_not_pending",
    )
    .await;
    let again = app.offer(&provider, &job_id, 9_000).await;
    assert_eq!(
        again["status"], "pending",
        "an expired offer is no longer the open one"
    );
}

#[tokio::test]
async fn a_stale_job_expires_with_its_offers_and_a_cancelled_one_is_left_alone() {
    let app = TestApp::spawn_with(|s| s.jobs.open_ttl_secs = 1).await;
    let (customer, provider, job_id, _) = offered(&app, 10_000).await;
    let left = app
        .post_job(
            &customer,
            &job_body("Changed my mind", "plumbing", 38.7, -9.1),
        )
        .await;
    let left_id = left["id"].as_str().unwrap().to_owned();
    let cancel = app
        .post_as(&customer.token, &format!("/api/v1/jobs/{left_id}/cancel"))
        .await;
    assert_eq!(cancel.status(), 200);

    app.wait_until(&customer, &format!("/api/v1/jobs/{job_id}"), |job| {
        job["status"] == "expired"
    })
    .await;
    let offers = json(
        app.get_as(&provider.token, &format!("/api/v1/jobs/{job_id}/offers"))
            .await,
    )
    .await;
    assert_eq!(offers["items"][0]["status"], "rejected");
    for party in [&customer, &provider] {
        app.wait_until(party, "/api/v1/notifications", |page| {
            kinds(page).iter().any(|k| k == "job.expired")
        })
        .await;
    }
    let admin = app.admin().await;
    app.wait_until(&admin, "/api/v1/admin/tasks", |page| {
        page["items"].as_array().unwrap().iter().any(|t| {
            t["kind"] == "job.expire"
                && t["subject_id"] == job_id.as_str()
                && t["done_at"].is_string()
        })
    })
    .await;
    let still = json(
        app.get_as(&customer.token, &format!("/api/v1/jobs/{left_id}"))
            .await,
    )
    .await;
    assert_eq!(
        still["status"], "cancelled",
        "cancelled by hand: left alone"
    );
}

#[tokio::test]
async fn a_countered_offer_stays_the_providers_open_one_until_withdrawn_or_the_job_is_cancelled() {
    let app = TestApp::spawn().await;
    let (customer, provider, job_id, offer_id) = offered(&app, 10_000).await;
    let counter = offer_path(&job_id, &offer_id, "counter");
    assert_eq!(
        round(&app, &customer, &counter, 8_000, None).await.status(),
        200
    );
    let twin = app
        .send_json_as(
            &provider.token,
            Method::POST,
            &format!("/api/v1/jobs/{job_id}/offers"),
            &json!({"price_cents": 9_000, "message": "Another try"}),
        )
        .await;
    assert_problem(twin, 409, "offer_exists").await;
    let withdrawn = app
        .post_as(&provider.token, &offer_path(&job_id, &offer_id, "withdraw"))
        .await;
    assert_eq!(withdrawn.status(), 200);
    assert_eq!(json(withdrawn).await["status"], "withdrawn");

    let again = app.offer(&provider, &job_id, 9_000).await;
    let again_id = again["id"].as_str().unwrap();
    let counter = offer_path(&job_id, again_id, "counter");
    assert_eq!(
        round(&app, &customer, &counter, 8_500, None).await.status(),
        200
    );
    let cancelled = app
        .post_as(&customer.token, &format!("/api/v1/jobs/{job_id}/cancel"))
        .await;
    assert_eq!(cancelled.status(), 200);
    let offers = json(
        app.get_as(&provider.token, &format!("/api/v1/jobs/{job_id}/offers"))
            .await,
    )
    .await;
    let states: Vec<&str> = offers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"rejected") && states.contains(&"withdrawn"),
        "{states:?}"
    );
    let job = json(
        app.get_as(&customer.token, &format!("/api/v1/jobs/{job_id}"))
            .await,
    )
    .await;
    assert_eq!(
        job["offer_count"], 1,
        "the withdrawn offer left the count, the rejected one stays in it"
    );
}
