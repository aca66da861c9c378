//! Open sockets end with their login: logout, password change and
//! deactivation close them within 1 s (4401), on every instance, and at
//! most `quota.sockets_per_user` stay open (the oldest closes, 4409).
//!
//! The tests wait up to [`MARGIN`] so they hold on a busy 2-core box; the
//! benchmark (`docs/benchmarks.md`) reports the real figure.

use std::time::{Duration, Instant};

use quickfix_tests::{Session, TestApp, TestUser, WsClient, json};
use reqwest::Method;
use serde_json::json;

/// What a test allows for the contract's 1 s.
const MARGIN: Duration = Duration::from_secs(3);

async fn socket(url: &str) -> WsClient {
    WsClient::connect(url).await
}

async fn conversation(app: &TestApp, a: &Session, b: &Session) -> String {
    let started = app
        .send_json_as(
            &a.token,
            Method::POST,
            "/api/v1/conversations",
            &json!({"participant_id": b.id}),
        )
        .await;
    json(started).await["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn logout_closes_that_logins_sockets_and_nothing_sent_after_is_acted_on() {
    let app = TestApp::spawn().await;
    let ana = TestUser::customer().register(&app).await;
    let bob = TestUser::provider().register(&app).await;
    let id = conversation(&app, &ana, &bob).await;
    let second_login = app.login(&ana.email, &ana.password, &ana.id).await;
    let mut ended = socket(&app.ws_url(&ana.token)).await;
    let mut other_login = socket(&app.ws_url(&second_login.token)).await;

    let started = Instant::now();
    let logout = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": ana.refresh}),
        )
        .await;
    assert_eq!(logout.status(), 204);
    ended
        .send(
            "message.send",
            json!({"conversation_id": id, "body": "after logout", "client_msg_id": "late"}),
        )
        .await;
    assert_eq!(ended.close_code(MARGIN).await, Some(4401));
    assert!(started.elapsed() < MARGIN);
    let messages = json(
        app.get_as(&bob.token, &format!("/api/v1/conversations/{id}/messages"))
            .await,
    )
    .await;
    assert_eq!(
        messages["items"].as_array().unwrap().len(),
        0,
        "not acted on"
    );

    other_login.send("ping", json!({})).await;
    other_login.expect("pong").await;
}

#[tokio::test]
async fn a_password_change_or_a_deactivation_closes_every_socket_of_the_user() {
    let app = TestApp::spawn().await;
    let ana = TestUser::customer().register(&app).await;
    let mut first = socket(&app.ws_url(&ana.token)).await;
    let mut second = socket(&app.ws_url(&ana.token)).await;
    let changed = app
        .send_json_as(
            &ana.token,
            Method::PUT,
            "/api/v1/users/me/password",
            &json!({"current_password": ana.password, "new_password": "another-good-one"}),
        )
        .await;
    assert_eq!(changed.status(), 204);
    assert_eq!(first.close_code(MARGIN).await, Some(4401));
    assert_eq!(second.close_code(MARGIN).await, Some(4401));

    let admin = app.admin().await;
    let bob = TestUser::provider().register(&app).await;
    let mut bobs = socket(&app.ws_url(&bob.token)).await;
    let deactivated = app
        .send_json_as(
            &admin.token,
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", bob.id),
            &json!({"is_active": false}),
        )
        .await;
    assert_eq!(deactivated.status(), 200);
    assert_eq!(bobs.close_code(MARGIN).await, Some(4401));
}

#[tokio::test]
async fn one_socket_more_than_the_quota_closes_the_users_oldest() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.enabled = true;
        s.quota.sockets_per_user = 2;
    })
    .await;
    let ana = TestUser::customer().register(&app).await;
    let mut oldest = socket(&app.ws_url(&ana.token)).await;
    let mut middle = socket(&app.ws_url(&ana.token)).await;
    let mut newest = socket(&app.ws_url(&ana.token)).await;
    assert_eq!(oldest.close_code(MARGIN).await, Some(4409));
    for open in [&mut middle, &mut newest] {
        open.send("ping", json!({})).await;
        open.expect("pong").await;
    }
}

#[tokio::test]
async fn a_logout_on_one_instance_closes_the_socket_on_another_through_redis() {
    let Some((instance_a, instance_b)) = quickfix_tests::redis_pair().await else {
        return;
    };
    let ana = TestUser::customer().register(&instance_a).await;
    let mut on_b = socket(&instance_b.ws_url(&ana.token)).await;
    on_b.send("ping", json!({})).await;
    on_b.expect("pong").await;

    let started = Instant::now();
    let logout = instance_a
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": ana.refresh}),
        )
        .await;
    assert_eq!(logout.status(), 204);
    assert_eq!(on_b.close_code(MARGIN).await, Some(4401));
    let took = started.elapsed();
    assert!(took < MARGIN, "closed after {took:?}");
    let refused = instance_a
        .client
        .get(format!("{}/api/v1/auth/me", instance_b.address))
        .bearer_auth(&ana.token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401, "instance B forgot the login at once");
    drop(instance_b);
}
