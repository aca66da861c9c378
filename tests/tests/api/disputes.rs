//! Disputes through the public API: the customer's dispute within the
//! window after completion, the admin's resolution, and what each outcome
//! does to the job, the ratings, account deletion and the timeline.

use quickfix_tests::{Session, TestApp, TestUser, assert_problem, json, one_wins};
use reqwest::Method;
use serde_json::{Value, json};

async fn dispute(app: &TestApp, who: &Session, booking: &str, reason: &str) -> reqwest::Response {
    app.send_json_as(
        &who.token,
        Method::POST,
        &format!("/api/v1/bookings/{booking}/dispute"),
        &json!({"reason": reason}),
    )
    .await
}

async fn resolve(app: &TestApp, who: &Session, booking: &str, body: &Value) -> reqwest::Response {
    app.send_json_as(
        &who.token,
        Method::POST,
        &format!("/api/v1/admin/bookings/{booking}/resolve"),
        body,
    )
    .await
}

async fn rate(app: &TestApp, who: &Session, booking: &str, stars: u8) -> reqwest::Response {
    app.send_json_as(
        &who.token,
        Method::POST,
        &format!("/api/v1/bookings/{booking}/ratings"),
        &json!({"stars": stars, "comment": "fine"}),
    )
    .await
}

async fn get(app: &TestApp, who: &Session, path: &str) -> Value {
    json(app.get_as(&who.token, path).await).await
}

#[tokio::test]
async fn a_dispute_upheld_as_completed_opens_rating_and_closes_the_window() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (customer, provider, booking) = app.completed_booking().await;
    let id = booking["id"].as_str().unwrap().to_owned();
    let job_path = format!("/api/v1/jobs/{}", booking["job_id"].as_str().unwrap());

    let disputed = dispute(&app, &customer, &id, "  The leak came back.  ").await;
    assert_eq!(disputed.status(), 200);
    let disputed = json(disputed).await;
    assert_eq!(disputed["status"], "disputed");
    assert_eq!(disputed["completed_at"], booking["completed_at"]);
    assert_eq!(
        get(&app, &customer, &job_path).await["status"],
        "booked",
        "the job is in hand again"
    );
    assert_problem(
        rate(&app, &provider, &id, 4).await,
        409,
        "booking_not_completed",
    )
    .await;
    assert_problem(
        rate(&app, &customer, &id, 2).await,
        409,
        "booking_not_completed",
    )
    .await;
    let refused = app
        .send_json_as(
            &customer.token,
            Method::DELETE,
            "/api/v1/users/me",
            &json!({"current_password": customer.password}),
        )
        .await;
    assert_problem(refused, 409, "account_has_active_bookings").await;
    let inbox = get(&app, &provider, "/api/v1/notifications").await;
    assert!(
        inbox["items"].as_array().unwrap().iter().any(|n| {
            n["kind"] == "booking.updated" && n["payload"]["booking"]["status"] == "disputed"
        }),
        "the provider hears of it: {inbox}"
    );

    let upheld = resolve(
        &app,
        &admin,
        &id,
        &json!({"outcome": "completed", "note": "The photos show a finished repair."}),
    )
    .await;
    assert_eq!(upheld.status(), 200);
    let upheld = json(upheld).await;
    assert_eq!(upheld["status"], "completed");
    assert_eq!(
        upheld["completed_at"], booking["completed_at"],
        "the work's time stands"
    );
    assert_eq!(get(&app, &customer, &job_path).await["status"], "completed");
    assert_eq!(rate(&app, &customer, &id, 3).await.status(), 201);
    assert_problem(
        dispute(&app, &customer, &id, "Again").await,
        409,
        "dispute_window_closed",
    )
    .await;

    let timeline = get(&app, &provider, &format!("/api/v1/bookings/{id}/events")).await;
    let moves: Vec<(Value, Value, Value)> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from"].clone(), e["to"].clone(), e["reason"].clone()))
        .collect();
    assert_eq!(
        &moves[moves.len() - 2..],
        [
            (
                json!("completed"),
                json!("disputed"),
                json!("The leak came back.")
            ),
            (
                json!("disputed"),
                json!("completed"),
                json!("The photos show a finished repair.")
            ),
        ]
    );
    assert_eq!(
        timeline["items"].as_array().unwrap().last().unwrap()["actor_id"],
        admin.id.as_str()
    );
}

#[tokio::test]
async fn a_dispute_resolved_as_cancelled_cancels_the_job_and_voids_the_ratings() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (customer, provider, booking) = app.completed_booking().await;
    let id = booking["id"].as_str().unwrap().to_owned();
    assert_eq!(rate(&app, &customer, &id, 1).await.status(), 201);
    assert_eq!(rate(&app, &provider, &id, 5).await.status(), 201);
    let ratings_of = |user: &Session| format!("/api/v1/users/{}/ratings", user.id);
    let before = get(&app, &customer, &ratings_of(&provider)).await;
    assert_eq!(
        before["items"].as_array().unwrap().len(),
        1,
        "both rated: revealed"
    );

    assert_eq!(
        dispute(&app, &customer, &id, "Nothing was fixed.")
            .await
            .status(),
        200
    );
    let cancelled = resolve(
        &app,
        &admin,
        &id,
        &json!({"outcome": "cancelled", "note": "No work was done."}),
    )
    .await;
    assert_eq!(cancelled.status(), 200);
    let cancelled = json(cancelled).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "dispute");
    assert!(cancelled["cancelled_at"].is_string());
    let job_path = format!("/api/v1/jobs/{}", booking["job_id"].as_str().unwrap());
    assert_eq!(get(&app, &customer, &job_path).await["status"], "cancelled");

    for (rated, viewer) in [(&provider, &customer), (&customer, &provider)] {
        let page = app
            .wait_until(viewer, &ratings_of(rated), |page| {
                page["items"].as_array().unwrap().is_empty()
            })
            .await;
        assert_eq!(page["summary"]["count"], 0, "{page}");
        let profile = app
            .wait_until(viewer, &format!("/api/v1/users/{}", rated.id), |p| {
                p["rating_count"] == 0
            })
            .await;
        assert!(profile["rating_avg"].is_null());
    }
    let of_booking = get(&app, &customer, &format!("/api/v1/bookings/{id}/ratings")).await;
    assert_eq!(of_booking["items"].as_array().unwrap().len(), 0);
    assert_problem(
        rate(&app, &customer, &id, 1).await,
        409,
        "booking_not_completed",
    )
    .await;
    let stats = get(&app, &admin, "/api/v1/admin/stats").await;
    assert_eq!(stats["bookings"]["cancelled"], 1);
    assert_eq!(stats["bookings"]["disputed"], 0);
}

#[tokio::test]
async fn disputes_and_resolutions_refuse_wrong_parties_states_and_input() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (customer, provider, live) = app.booking().await;
    let live = live["id"].as_str().unwrap().to_owned();
    let (owner, worker, done) = app.completed_booking().await;
    let done = done["id"].as_str().unwrap().to_owned();
    let stranger = TestUser::customer().register(&app).await;
    let reason = "It was not done.";

    assert_problem(
        dispute(&app, &customer, &live, reason).await,
        409,
        "invalid_transition",
    )
    .await;
    assert_problem(
        dispute(&app, &worker, &done, reason).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(dispute(&app, &admin, &done, reason).await, 403, "forbidden").await;
    assert_problem(
        dispute(&app, &stranger, &done, reason).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        dispute(&app, &provider, &done, reason).await,
        404,
        "not_found",
    )
    .await;
    let unknown = "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10";
    assert_problem(
        dispute(&app, &owner, unknown, reason).await,
        404,
        "not_found",
    )
    .await;
    for bad in [
        json!({}),
        json!({"reason": ""}),
        json!({"reason": "x".repeat(2001)}),
    ] {
        let response = app
            .send_json_as(
                &owner.token,
                Method::POST,
                &format!("/api/v1/bookings/{done}/dispute"),
                &bad,
            )
            .await;
        assert_problem(response, 422, "validation_failed").await;
    }
    let note = json!({"outcome": "completed", "note": "Checked."});
    assert_problem(
        resolve(&app, &admin, &done, &note).await,
        409,
        "invalid_transition",
    )
    .await;

    assert_eq!(dispute(&app, &owner, &done, reason).await.status(), 200);
    assert_problem(resolve(&app, &owner, &done, &note).await, 403, "forbidden").await;
    assert_problem(resolve(&app, &worker, &done, &note).await, 403, "forbidden").await;
    assert_problem(
        resolve(&app, &admin, unknown, &note).await,
        404,
        "not_found",
    )
    .await;
    for bad in [
        json!({"outcome": "refunded", "note": "Checked."}),
        json!({"outcome": "completed"}),
        json!({"outcome": "completed", "note": ""}),
        json!({"note": "Checked."}),
    ] {
        assert_problem(
            resolve(&app, &admin, &done, &bad).await,
            422,
            "validation_failed",
        )
        .await;
    }
    assert_problem(
        app.send_json_as(
            &owner.token,
            Method::POST,
            &format!("/api/v1/bookings/{done}/cancel"),
            &json!({"reason": "Never mind"}),
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    let still = get(&app, &owner, &format!("/api/v1/bookings/{done}")).await;
    assert_eq!(still["status"], "disputed", "refusals change nothing");
    let listed = get(&app, &admin, "/api/v1/bookings?status=disputed").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["id"], done.as_str());
}

#[tokio::test]
async fn after_the_window_a_dispute_is_refused() {
    let app = TestApp::spawn_with(|s| s.bookings.dispute_window_secs = 0).await;
    let (customer, _, booking) = app.completed_booking().await;
    let id = booking["id"].as_str().unwrap();
    assert_problem(
        dispute(&app, &customer, id, "Too late?").await,
        409,
        "dispute_window_closed",
    )
    .await;
    let still = get(&app, &customer, &format!("/api/v1/bookings/{id}")).await;
    assert_eq!(still["status"], "completed");
}

/// The customer's dispute races itself: one wins, the others find the
/// booking disputed.
#[tokio::test]
async fn racing_disputes_dispute_once() {
    let app = TestApp::spawn().await;
    let (customer, _, booking) = app.completed_booking().await;
    let id = booking["id"].as_str().unwrap().to_owned();
    let attempts = (0..8).map(|_| dispute(&app, &customer, &id, "Bad work"));
    one_wins(attempts, 200, 409).await;
    let timeline = get(&app, &customer, &format!("/api/v1/bookings/{id}/events")).await;
    let disputes = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to"] == "disputed")
        .count();
    assert_eq!(disputes, 1);
}
