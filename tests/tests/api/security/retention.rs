//! Data that outlives its purpose is deleted: an ended booking's location
//! trail at once, old notifications, ended logins and idempotency records
//! by the periodic purge.

use quickfix_gateway::app::{Retention, purge_expired};
use quickfix_tests::{TestApp, TestUser, assert_problem, json, stored};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn an_ended_bookings_trail_is_deleted_and_reads_as_empty() {
    let app = TestApp::spawn_with(|s| s.bookings.location_interval_ms = 0).await;
    for ending in ["complete", "cancel"] {
        let (customer, provider, booking) = app.booking().await;
        let id = booking["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/bookings/{id}/location");
        for lat in [38.70, 38.71] {
            let sent = app
                .send_json_as(
                    &provider.token,
                    Method::POST,
                    &path,
                    &json!({"lat": lat, "lng": -9.1}),
                )
                .await;
            assert_eq!(sent.status(), 202);
        }
        let live = json(app.get_as(&customer.token, &path).await).await;
        assert_eq!(live["trail"].as_array().unwrap().len(), 2);
        if ending == "complete" {
            app.post_as(&provider.token, &format!("/api/v1/bookings/{id}/start"))
                .await;
            app.post_as(&provider.token, &format!("/api/v1/bookings/{id}/complete"))
                .await;
        } else {
            let cancelled = app
                .send_json_as(
                    &customer.token,
                    Method::POST,
                    &format!("/api/v1/bookings/{id}/cancel"),
                    &json!({"reason": "plans changed"}),
                )
                .await;
            assert_eq!(cancelled.status(), 200);
        }
        for viewer in [&customer, &provider] {
            let ended = json(app.get_as(&viewer.token, &path).await).await;
            assert!(ended["latest"].is_null(), "after {ending}: {ended}");
            assert_eq!(ended["trail"], json!([]), "after {ending}");
        }
        let kept = stored::count(
            app.pool(),
            "SELECT COUNT(*) AS n FROM booking_locations WHERE booking_id = $1",
            &id,
        )
        .await;
        assert_eq!(kept, 0, "the rows are gone after {ending}");
    }
}

#[tokio::test]
async fn the_purge_deletes_old_notifications_ended_logins_idempotency_records_emails_and_tokens() {
    let app = TestApp::spawn_with(|s| s.auth.reset_ttl_secs = 1).await;
    let ana = TestUser::customer().register(&app).await;
    let bob = TestUser::provider().register(&app).await;
    let reset = app
        .post_json("/api/v1/auth/password-reset", &json!({"email": ana.email}))
        .await;
    assert_eq!(reset.status(), 202);
    let started = app
        .send_json_as(
            &ana.token,
            Method::POST,
            "/api/v1/conversations",
            &json!({"participant_id": bob.id}),
        )
        .await;
    let id = json(started).await["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/conversations/{id}/messages");
    let first = app
        .request(Method::POST, &path)
        .bearer_auth(&ana.token)
        .header("Idempotency-Key", "k-1")
        .json(&json!({"body": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    // Notifications are stored beside the response (they are the
    // recipient's, not the caller's): wait for Bob's.
    let mut stored = 0;
    for _ in 0..100 {
        let notifications = json(app.get_as(&bob.token, "/api/v1/notifications").await).await;
        stored = notifications["items"].as_array().unwrap().len();
        if stored == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(stored, 1);

    // Bob's second login ends; Ana's login rotates once (its used token
    // must survive: presenting it again is how reuse is caught).
    let ended = app.login(&bob.email, &bob.password, &bob.id).await;
    let logout = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": ended.refresh}),
        )
        .await;
    assert_eq!(logout.status(), 204);
    let rotated = json(
        app.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": ana.refresh}),
        )
        .await,
    )
    .await;
    assert!(rotated["refresh_token"].is_string());

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = chrono::Duration::seconds(1);
    let retention = Retention {
        notifications: second,
        sessions: second,
        refresh_ttl: app_refresh_ttl(&app),
        idempotency: second,
        sent_emails: second,
    };
    // Two instances purging at once share the work and neither fails.
    let (a, b) = tokio::join!(
        purge_expired(app.pool(), retention),
        purge_expired(app.pool(), retention)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let [idempotency, notes, sessions, emails, tokens] = [
        a.idempotency + b.idempotency,
        a.notifications + b.notifications,
        a.sessions + b.sessions,
        a.sent_emails + b.sent_emails,
        a.account_tokens + b.account_tokens,
    ];
    assert!(
        idempotency >= 1 && notes == 1 && sessions == 1,
        "{idempotency} {notes} {sessions}"
    );
    // Both verification emails and the reset email went out (as files)
    // more than a second ago; the reset link expired, the others not.
    assert_eq!((emails, tokens), (3, 1), "emails {emails}, tokens {tokens}");

    let notifications = json(app.get_as(&bob.token, "/api/v1/notifications").await).await;
    assert_eq!(notifications["items"].as_array().unwrap().len(), 0);
    let sessions = json(app.get_as(&bob.token, "/api/v1/auth/sessions").await).await;
    assert_eq!(
        sessions["items"].as_array().unwrap().len(),
        1,
        "the live login stays"
    );
    assert_problem(
        app.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": ana.refresh}),
        )
        .await,
        401,
        "refresh_token_reused",
    )
    .await;
    let again = app
        .request(Method::POST, &path)
        .bearer_auth(&bob.token)
        .header("Idempotency-Key", "k-1")
        .json(&json!({"body": "a different body"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201, "the key's record is gone");

    let again = purge_expired(app.pool(), retention).await.unwrap();
    assert_eq!(again.total(), 0, "a second pass finds nothing: {again:?}");
}

fn app_refresh_ttl(app: &TestApp) -> chrono::Duration {
    chrono::Duration::seconds(app.settings.auth.refresh_ttl_secs)
}
