//! Suspensions: an admin suspends an account with a reason and an optional
//! end; its tokens, refresh tokens and sockets end at once, login answers
//! 403 `account_suspended` with `until`, and the suspension ends by itself
//! at `until` or when lifted; each step is in the modlog.

use std::time::Duration;

use quickfix_tests::{Session, TestApp, TestUser, WsClient, assert_problem, json};
use reqwest::Method;
use serde_json::{Value, json};

async fn suspend(app: &TestApp, admin: &Session, user: &str, body: &Value) -> reqwest::Response {
    app.send_json_as(
        &admin.token,
        Method::POST,
        &format!("/api/v1/admin/users/{user}/suspend"),
        body,
    )
    .await
}

async fn login(app: &TestApp, user: &Session) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/login",
        &json!({"email": user.email, "password": user.password}),
    )
    .await
}

#[tokio::test]
async fn a_suspension_ends_every_token_and_socket_at_once_and_lifts_itself_at_until() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = TestUser::provider().register(&app).await;
    let mut socket = WsClient::connect(&app.ws_url(&user.token)).await;
    socket.send("ping", json!({})).await;
    socket.expect("pong").await;

    let until = chrono::Utc::now() + chrono::Duration::seconds(3);
    let until_text = until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let suspended = suspend(
        &app,
        &admin,
        &user.id,
        &json!({"reason": "  Abusive messages.  ", "until": until_text}),
    )
    .await;
    assert_eq!(suspended.status(), 200);
    let suspended = json(suspended).await;
    assert_eq!(suspended["is_active"], false);
    assert!(suspended["suspended_until"].is_string());

    assert!(
        socket.close_code(Duration::from_secs(2)).await.is_some(),
        "the socket is closed at once"
    );
    assert_problem(
        app.get_as(&user.token, "/api/v1/auth/me").await,
        401,
        "unauthorized",
    )
    .await;
    let refreshed = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(refreshed.status(), 401);
    let refused = assert_problem(login(&app, &user).await, 403, "account_suspended").await;
    assert!(refused["until"].is_string(), "{refused}");
    let wrong = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": user.email, "password": "not the password"}),
        )
        .await;
    assert_eq!(wrong.status(), 401, "a wrong password learns nothing of it");

    // The suspension ends by itself (the scheduler looks every 250 ms).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while login(&app, &user).await.status() != 200 {
        assert!(std::time::Instant::now() < deadline, "never lifted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let me = json(
        app.get_as(
            &admin.token,
            &format!("/api/v1/admin/users?q={}", user.email),
        )
        .await,
    )
    .await;
    assert_eq!(me["items"][0]["is_active"], true);
    assert!(me["items"][0]["suspended_until"].is_null());
    let log = json(
        app.get_as(
            &admin.token,
            &format!("/api/v1/admin/modlog?target_id={}", user.id),
        )
        .await,
    )
    .await;
    assert_eq!(log["items"][0]["action"], "suspend_user");
    assert_eq!(log["items"][0]["reason"], "Abusive messages.");
}

#[tokio::test]
async fn a_suspension_without_end_lasts_until_lifted() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = TestUser::customer().register(&app).await;
    let suspended = suspend(&app, &admin, &user.id, &json!({"reason": "Fraud"})).await;
    assert_eq!(suspended.status(), 200);
    assert!(json(suspended).await["suspended_until"].is_null());
    let refused = assert_problem(login(&app, &user).await, 403, "account_suspended").await;
    assert!(
        refused.as_object().unwrap().contains_key("until") && refused["until"].is_null(),
        "until is there, null: {refused}"
    );

    let lifted = app
        .post_as(
            &admin.token,
            &format!("/api/v1/admin/users/{}/unsuspend", user.id),
        )
        .await;
    assert_eq!(lifted.status(), 200);
    assert_eq!(json(lifted).await["is_active"], true);
    assert_eq!(login(&app, &user).await.status(), 200);
    let log = json(
        app.get_as(
            &admin.token,
            &format!("/api/v1/admin/modlog?target_id={}", user.id),
        )
        .await,
    )
    .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["unsuspend_user", "suspend_user"]);
}

#[tokio::test]
async fn suspensions_refuse_non_admins_bad_input_and_unknown_users() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = TestUser::customer().register(&app).await;
    let other = TestUser::provider().register(&app).await;
    let fine = json!({"reason": "Spam"});
    assert_problem(
        suspend(&app, &other, &user.id, &fine).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(
            &other.token,
            &format!("/api/v1/admin/users/{}/unsuspend", user.id),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let past = (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for bad in [
        json!({}),
        json!({"reason": ""}),
        json!({"reason": "x".repeat(501)}),
        json!({"reason": "Spam", "until": past}),
    ] {
        assert_problem(
            suspend(&app, &admin, &user.id, &bad).await,
            422,
            "validation_failed",
        )
        .await;
    }
    // Not a time at all: a value of the wrong type, as everywhere.
    assert_problem(
        suspend(
            &app,
            &admin,
            &user.id,
            &json!({"reason": "Spam", "until": "tomorrow"}),
        )
        .await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(
        suspend(&app, &admin, &admin.id, &fine).await,
        409,
        "conflict",
    )
    .await;
    let unknown = "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10";
    assert_problem(
        suspend(&app, &admin, unknown, &fine).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post_as(
            &admin.token,
            &format!("/api/v1/admin/users/{unknown}/unsuspend"),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.get_as(&user.token, "/api/v1/auth/me").await.status(),
        200,
        "refusals change nothing"
    );
}
