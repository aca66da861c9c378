//! Email notifications and their preferences: offers, acceptances and
//! booking changes by email, unread messages batched per conversation.

use std::time::Duration;

use quickfix_tests::smtp::SmtpSink;
use quickfix_tests::{TestApp, TestUser, WsClient, assert_problem, job_body, json};
use reqwest::Method;
use serde_json::json;

use crate::messaging::{send, start};

async fn app_mailing_to(sink: &SmtpSink, message_delay_secs: i64) -> TestApp {
    let url = sink.url();
    TestApp::spawn_with(|s| {
        s.email.smtp_url = Some(url);
        s.email.message_delay_secs = message_delay_secs;
    })
    .await
}

/// The messages to `address` whose subject contains `subject`.
fn with_subject(sink: &SmtpSink, address: &str, subject: &str) -> usize {
    sink.to(address)
        .iter()
        .filter(|m| m.header("Subject").is_some_and(|s| s.contains(subject)))
        .count()
}

#[tokio::test]
async fn preferences_start_all_on_and_a_put_changes_only_what_it_names() {
    let app = TestApp::spawn().await;
    let ana = TestUser::customer().register(&app).await;
    let path = "/api/v1/users/me/notification-preferences";
    let all_on = json(app.get_as(&ana.token, path).await).await;
    assert_eq!(
        all_on,
        json!({"email": {"offer.created": true, "offer.accepted": true, "booking.updated": true, "message.created": true}})
    );
    let put = app
        .send_json_as(
            &ana.token,
            Method::PUT,
            path,
            &json!({"email": {"message.created": false}}),
        )
        .await;
    assert_eq!(put.status(), 200);
    let now = json(put).await;
    assert_eq!(now["email"]["message.created"], false);
    assert_eq!(now["email"]["offer.created"], true, "the others stay");
    assert_eq!(json(app.get_as(&ana.token, path).await).await, now);
    // Racing changes of one account's choices all land; one of them wins.
    let bodies: Vec<_> = (0..8)
        .map(|i| json!({"email": {"offer.accepted": i % 2 == 0, "booking.updated": false}}))
        .collect();
    let racing = bodies
        .iter()
        .map(|body| app.send_json_as(&ana.token, Method::PUT, path, body));
    for answer in futures_util::future::join_all(racing).await {
        assert_eq!(answer.status(), 200);
    }
    let after = json(app.get_as(&ana.token, path).await).await;
    assert_eq!(after["email"]["booking.updated"], false);
    let bad = app
        .send_json_as(
            &ana.token,
            Method::PUT,
            path,
            &json!({"email": {"offer.created": "yes"}}),
        )
        .await;
    assert_eq!(bad.status(), 400, "a wrong type is a malformed body");
    let missing = app
        .send_json_as(&ana.token, Method::PUT, path, &json!({}))
        .await;
    assert_problem(missing, 422, "validation_failed").await;
    assert_eq!(app.get(path).await.status(), 401);
}

#[tokio::test]
async fn offers_acceptances_and_booking_changes_are_emailed_as_chosen() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink, 300).await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().named("Bea Costa").register(&app).await;
    let quiet = TestUser::provider().register(&app).await;
    let job = app
        .post_job(&customer, &job_body("Fix the sink", "plumbing", 38.7, -9.1))
        .await;
    let job_id = job["id"].as_str().unwrap();
    let offer = app.offer(&provider, job_id, 12_345).await;
    let offered = sink.wait_for_subject(&customer.email, "New offer").await;
    assert!(
        offered
            .text()
            .contains("Bea Costa offered to do \"Fix the sink\" for 123.45")
    );
    assert!(
        offered
            .text()
            .contains(&format!("http://localhost:3000/jobs/{job_id}"))
    );

    // The customer turns offer emails off: the next offer sends none.
    let off = app
        .send_json_as(
            &customer.token,
            Method::PUT,
            "/api/v1/users/me/notification-preferences",
            &json!({"email": {"offer.created": false}}),
        )
        .await;
    assert_eq!(off.status(), 200);
    app.offer(&quiet, job_id, 9_000).await;

    let booking = app
        .accept(&customer, job_id, offer["id"].as_str().unwrap())
        .await;
    let booking_id = booking["id"].as_str().unwrap();
    for party in [&customer, &provider] {
        let accepted = sink.wait_for_subject(&party.email, "Offer accepted").await;
        assert!(accepted.text().contains(&format!("/bookings/{booking_id}")));
    }
    let started = app
        .post_as(
            &provider.token,
            &format!("/api/v1/bookings/{booking_id}/start"),
        )
        .await;
    assert_eq!(started.status(), 200);
    sink.wait_for_subject(&customer.email, "now in progress")
        .await;
    sink.wait_for_subject(&provider.email, "now in progress")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        with_subject(&sink, &customer.email, "New offer"),
        1,
        "turned off"
    );
    assert_eq!(with_subject(&sink, &provider.email, "now in progress"), 1);
    assert_eq!(
        with_subject(&sink, &customer.email, "now confirmed"),
        0,
        "the acceptance's email announces the booking"
    );
    assert_eq!(with_subject(&sink, &customer.email, "Offer accepted"), 1);
}

#[tokio::test]
async fn unread_messages_are_emailed_once_per_conversation_after_the_delay() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink, 1).await;
    let customer = TestUser::customer().named("Ana Lima").register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let online = TestUser::provider().register(&app).await;
    let conversation = start(&app, &customer, &provider).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for body in ["Hello there", "Are you free on Monday?", "It is urgent"] {
        send(&app, &customer, &conversation, body).await;
    }
    // A recipient with a socket open reads as it comes: no email.
    let _socket = WsClient::connect(&app.ws_url(&online.token)).await;
    let other = start(&app, &customer, &online).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    send(&app, &customer, &other, "You are online").await;

    let digest = sink.wait_for_subject(&provider.email, "new messages").await;
    let text = digest.text();
    for body in ["Hello there", "Are you free on Monday?", "It is urgent"] {
        assert!(text.contains(body), "{body} is in the digest");
    }
    assert!(text.contains("Ana Lima"));
    assert!(
        digest
            .header("Subject")
            .unwrap()
            .starts_with("3 new messages")
    );
    assert!(text.contains(&format!("/conversations/{conversation}")));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(with_subject(&sink, &provider.email, "new message"), 1);
    assert_eq!(with_subject(&sink, &online.email, "new message"), 0);
}

#[tokio::test]
async fn a_conversation_read_before_the_delay_is_not_emailed() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink, 2).await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let conversation = start(&app, &customer, &provider).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let message = send(&app, &customer, &conversation, "Read me soon").await;
    let read = app
        .send_json_as(
            &provider.token,
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/read"),
            &json!({"message_id": message["id"]}),
        )
        .await;
    assert!(read.status().is_success(), "{}", read.status());
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(with_subject(&sink, &provider.email, "new message"), 0);
}
