//! Blocks: a blocked user may not open a conversation with, message, or
//! send an offer to the blocker (403 `blocked`), nor see them in the
//! provider directory; what they already had stays readable.

use quickfix_tests::{Session, TestApp, TestUser, assert_problem, job_body, json, stored};
use reqwest::Method;
use serde_json::{Value, json};

use crate::messaging::{send, start};

async fn block(app: &TestApp, who: &Session, whom: &str) -> reqwest::Response {
    app.send_json_as(
        &who.token,
        Method::POST,
        "/api/v1/users/me/blocks",
        &json!({"user_id": whom}),
    )
    .await
}

async fn message(app: &TestApp, from: &Session, conversation: &str) -> reqwest::Response {
    app.send_json_as(
        &from.token,
        Method::POST,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &json!({"body": "Are you there?"}),
    )
    .await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_blocked_provider_can_neither_message_nor_offer_but_reads_what_there_was() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let job = app
        .post_job(
            &customer,
            &job_body("Paint the hall", "painting", 38.7, -9.1),
        )
        .await;
    let job_id = job["id"].as_str().unwrap().to_owned();
    let conversation = start(&app, &provider, &customer).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    send(&app, &provider, &conversation, "Hello, I can help").await;

    assert_eq!(block(&app, &customer, &provider.id).await.status(), 204);
    assert_eq!(
        block(&app, &customer, &provider.id).await.status(),
        204,
        "twice is harmless"
    );

    assert_problem(
        message(&app, &provider, &conversation).await,
        403,
        "blocked",
    )
    .await;
    assert_problem(
        app.send_json_as(
            &provider.token,
            Method::POST,
            "/api/v1/conversations",
            &json!({"participant_id": customer.id}),
        )
        .await,
        403,
        "blocked",
    )
    .await;
    assert_problem(
        app.send_json_as(
            &provider.token,
            Method::POST,
            &format!("/api/v1/jobs/{job_id}/offers"),
            &json!({"price_cents": 9_000, "message": "Still keen"}),
        )
        .await,
        403,
        "blocked",
    )
    .await;
    let job_now = json(
        app.get_as(&customer.token, &format!("/api/v1/jobs/{job_id}"))
            .await,
    )
    .await;
    assert_eq!(
        job_now["offer_count"], 0,
        "a refused offer counts for nothing"
    );
    let history = json(
        app.get_as(
            &provider.token,
            &format!("/api/v1/conversations/{conversation}/messages"),
        )
        .await,
    )
    .await;
    assert_eq!(
        history["items"].as_array().unwrap().len(),
        1,
        "still readable"
    );
    assert_eq!(
        message(&app, &customer, &conversation).await.status(),
        201,
        "the blocker may still write"
    );

    let blocks = json(app.get_as(&customer.token, "/api/v1/users/me/blocks").await).await;
    assert_eq!(blocks["items"].as_array().unwrap().len(), 1);
    assert_eq!(blocks["items"][0]["user"]["id"], provider.id.as_str());
    assert!(blocks["items"][0]["created_at"].is_string());
    assert!(blocks["items"][0]["user"].get("email").is_none());

    let unblocked = app
        .request(
            Method::DELETE,
            &format!("/api/v1/users/me/blocks/{}", provider.id),
        )
        .bearer_auth(&customer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(unblocked.status(), 204);
    assert_eq!(message(&app, &provider, &conversation).await.status(), 201);
    app.offer(&provider, &job_id, 9_000).await;
}

#[tokio::test]
async fn the_directory_hides_a_provider_from_the_users_they_blocked() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let other = TestUser::customer().register(&app).await;
    let blocker = TestUser::provider().register(&app).await;
    let open = TestUser::provider().register(&app).await;
    assert_eq!(block(&app, &blocker, &customer.id).await.status(), 204);

    let seen = |viewer: Option<&Session>| {
        let request = app.request(Method::GET, "/api/v1/providers?limit=100");
        let request = match viewer {
            Some(viewer) => request.bearer_auth(&viewer.token),
            None => request,
        };
        async move { json(request.send().await.unwrap()).await }
    };
    let blocked_view = ids(&seen(Some(&customer)).await);
    assert!(!blocked_view.contains(&blocker.id), "{blocked_view:?}");
    assert!(blocked_view.contains(&open.id));
    assert!(ids(&seen(Some(&other)).await).contains(&blocker.id));
    assert!(ids(&seen(None).await).contains(&blocker.id));
    let forged = app
        .request(Method::GET, "/api/v1/providers")
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_problem(forged, 401, "unauthorized").await;
}

#[tokio::test]
async fn blocking_refuses_oneself_and_unknown_users_and_a_deletion_erases_blocks() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    assert_problem(block(&app, &customer, &customer.id).await, 409, "conflict").await;
    let unknown = "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10";
    assert_problem(block(&app, &customer, unknown).await, 404, "not_found").await;
    assert_problem(block(&app, &customer, "nobody").await, 404, "not_found").await;
    assert_problem(
        app.send_json_as(
            &customer.token,
            Method::POST,
            "/api/v1/users/me/blocks",
            &json!({}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/users/me/blocks").await,
        401,
        "unauthorized",
    )
    .await;
    let gone = app
        .request(
            Method::DELETE,
            &format!("/api/v1/users/me/blocks/{unknown}"),
        )
        .bearer_auth(&customer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204, "unblocking one not blocked is harmless");

    assert_eq!(block(&app, &customer, &provider.id).await.status(), 204);
    assert_eq!(block(&app, &provider, &customer.id).await.status(), 204);
    let deleted = app
        .send_json_as(
            &provider.token,
            Method::DELETE,
            "/api/v1/users/me",
            &json!({"current_password": provider.password}),
        )
        .await;
    assert_eq!(deleted.status(), 204);
    let left = stored::count(
        app.pool(),
        "SELECT COUNT(*) AS n FROM blocks WHERE blocker_id = $1 OR blocked_id = $1",
        &provider.id,
    )
    .await;
    assert_eq!(left, 0, "blocks both ways are erased");
}
