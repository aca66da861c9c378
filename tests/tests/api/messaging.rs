//! Conversations, messages, read markers, attachments and notifications
//! over REST.

use std::time::Duration;

use quickfix_bookings_contract::{BookingEvent, BookingStatus, BookingUpdated};
use quickfix_jobs_contract::{
    AcceptedOffer, BookingId, JobCancelled, JobEvent, JobId, OfferCreated, OfferId, UserId,
};
use quickfix_ratings_contract::{RatingCreated, RatingEvent, RatingId};
use quickfix_shared::events::EventSet;
use quickfix_shared::outbox::SharedRelay;
use quickfix_tests::{Session, TestApp, TestUser, assert_problem, booking_view, json};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// Starts (or finds) a conversation and returns its JSON.
pub async fn start(app: &TestApp, from: &Session, to: &Session) -> Value {
    let response = app
        .send_json_as(
            &from.token,
            Method::POST,
            "/api/v1/conversations",
            &json!({"participant_id": to.id}),
        )
        .await;
    assert!(
        response.status() == 201 || response.status() == 200,
        "{}",
        response.status()
    );
    json(response).await
}

/// Sends a message over REST and returns it.
pub async fn send(app: &TestApp, from: &Session, conversation: &str, body: &str) -> Value {
    let response = post_message(app, from, conversation, json!({ "body": body })).await;
    assert_eq!(response.status(), 201);
    json(response).await
}

async fn post_message(app: &TestApp, from: &Session, conversation: &str, body: Value) -> Response {
    app.send_json_as(
        &from.token,
        Method::POST,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &body,
    )
    .await
}

async fn conversations(app: &TestApp, user: &Session, query: &str) -> Value {
    let response = app
        .get_as(&user.token, &format!("/api/v1/conversations{query}"))
        .await;
    assert_eq!(response.status(), 200);
    json(response).await
}

async fn mark_read(app: &TestApp, user: &Session, conversation: &str, message: &str) -> Response {
    app.send_json_as(
        &user.token,
        Method::POST,
        &format!("/api/v1/conversations/{conversation}/read"),
        &json!({ "message_id": message }),
    )
    .await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_pair_has_one_conversation_per_job_whoever_starts_it() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().named("Ana").register(&app).await;
    let provider = TestUser::provider().named("Rui").register(&app).await;

    let first = app
        .send_json_as(
            &customer.token,
            Method::POST,
            "/api/v1/conversations",
            &json!({"participant_id": provider.id}),
        )
        .await;
    assert_eq!(first.status(), 201);
    let first = json(first).await;
    assert_eq!(first["unread_count"], 0);
    assert!(first["last_message"].is_null());
    assert!(first["job_id"].is_null());
    let names: Vec<&str> = first["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Ana") && names.contains(&"Rui"),
        "{names:?}"
    );

    let again = app
        .send_json_as(
            &provider.token,
            Method::POST,
            "/api/v1/conversations",
            &json!({"participant_id": customer.id}),
        )
        .await;
    assert_eq!(again.status(), 200, "the reversed pair finds the same one");
    assert_eq!(json(again).await["id"], first["id"]);

    let job = uuid::Uuid::now_v7().to_string();
    let about_job = app
        .send_json_as(
            &customer.token,
            Method::POST,
            "/api/v1/conversations",
            &json!({"participant_id": provider.id, "job_id": job.to_uppercase()}),
        )
        .await;
    assert_eq!(about_job.status(), 201, "another job, another conversation");
    let about_job = json(about_job).await;
    assert_eq!(about_job["job_id"], job, "job ids are normalised");
    assert_ne!(about_job["id"], first["id"]);
}

#[tokio::test]
async fn racing_starts_make_exactly_one_conversation() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let attempts = (0..8).map(|n| {
        let (from, to) = if n % 2 == 0 {
            (&customer, &provider)
        } else {
            (&provider, &customer)
        };
        app.request(Method::POST, "/api/v1/conversations")
            .bearer_auth(&from.token)
            .json(&json!({"participant_id": to.id}))
            .send()
    });
    let responses: Vec<Response> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    let mut ids = Vec::new();
    for response in responses {
        ids.push(json(response).await["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn conversations_with_yourself_strangers_or_inactive_users_are_refused() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let post = |body: Value| {
        let request = app
            .request(Method::POST, "/api/v1/conversations")
            .bearer_auth(&customer.token)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let problem = assert_problem(
        post(json!({"participant_id": customer.id})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "participant_id");
    assert_problem(
        post(json!({"participant_id": uuid::Uuid::now_v7().to_string()})).await,
        404,
        "not_found",
    )
    .await;
    let problem = assert_problem(
        post(json!({"participant_id": "nobody", "job_id": "job-1"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
    assert_problem(post(json!({})).await, 422, "validation_failed").await;
    assert_problem(post(json!({"participant_id": 7})).await, 400, "bad_request").await;
    let unauthenticated = app
        .post_json(
            "/api/v1/conversations",
            &json!({"participant_id": provider.id}),
        )
        .await;
    assert_problem(unauthenticated, 401, "unauthorized").await;

    let admin = app.admin().await;
    let deactivated = app
        .send_json_as(
            &admin.token,
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", provider.id),
            &json!({"is_active": false}),
        )
        .await;
    assert_eq!(deactivated.status(), 200);
    assert_problem(
        post(json!({"participant_id": provider.id})).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn messages_page_newest_first_and_catch_up_oldest_first() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let conversation = start(&app, &customer, &provider).await;
    let id = conversation["id"].as_str().unwrap();
    let mut sent = Vec::new();
    for n in 0..5 {
        let from = if n % 2 == 0 { &customer } else { &provider };
        let message = send(&app, from, id, &format!("message {n}")).await;
        assert_eq!(message["conversation_id"], id);
        assert_eq!(message["sender_id"], from.id.as_str());
        assert!(message["attachment"].is_null());
        assert!(message["created_at"].as_str().unwrap().ends_with('Z'));
        sent.push(message["id"].as_str().unwrap().to_owned());
    }

    let path = format!("/api/v1/conversations/{id}/messages");
    let mut newest_first = Vec::new();
    let mut url = format!("{path}?limit=2");
    loop {
        let page = json(app.get_as(&provider.token, &url).await).await;
        newest_first.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("{path}?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut expected = sent.clone();
    expected.reverse();
    assert_eq!(newest_first, expected);

    let after = json(
        app.get_as(&customer.token, &format!("{path}?after={}", sent[1]))
            .await,
    )
    .await;
    assert_eq!(
        ids(&after),
        sent[2..].to_vec(),
        "oldest first, after the anchor"
    );
    assert!(after["next_cursor"].is_null());
    let first_page = json(
        app.get_as(
            &customer.token,
            &format!("{path}?after={}&limit=2", sent[0]),
        )
        .await,
    )
    .await;
    assert_eq!(ids(&first_page), sent[1..3].to_vec());
    let cursor = first_page["next_cursor"].as_str().unwrap();
    let second_page = json(
        app.get_as(
            &customer.token,
            &format!("{path}?after={}&limit=2&cursor={cursor}", sent[0]),
        )
        .await,
    )
    .await;
    assert_eq!(ids(&second_page), sent[3..].to_vec());

    let other = start(&app, &customer, &TestUser::provider().register(&app).await).await;
    let foreign = send(&app, &customer, other["id"].as_str().unwrap(), "elsewhere").await;
    let problem = assert_problem(
        app.get_as(
            &customer.token,
            &format!("{path}?after={}", foreign["id"].as_str().unwrap()),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("message"));
    assert_problem(
        app.get_as(&customer.token, &format!("{path}?after=nope"))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as(&customer.token, &format!("{path}?cursor=garbage"))
            .await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get_as(&customer.token, &format!("{path}?limit=0"))
            .await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn strangers_get_404_for_everything_in_a_conversation() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let stranger = TestUser::customer().register(&app).await;
    let conversation = start(&app, &customer, &provider).await;
    let id = conversation["id"].as_str().unwrap();
    let message = send(&app, &customer, id, "private").await;
    let message_id = message["id"].as_str().unwrap();

    assert_problem(
        app.get_as(
            &stranger.token,
            &format!("/api/v1/conversations/{id}/messages"),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        post_message(&app, &stranger, id, json!({"body": "hi"})).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        mark_read(&app, &stranger, id, message_id).await,
        404,
        "not_found",
    )
    .await;
    let listed = conversations(&app, &stranger, "").await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    for path in [
        "/api/v1/conversations/not-a-uuid/messages".to_owned(),
        format!("/api/v1/conversations/{}/messages", uuid::Uuid::now_v7()),
    ] {
        assert_problem(app.get_as(&customer.token, &path).await, 404, "not_found").await;
    }
}

#[tokio::test]
async fn message_bodies_are_validated_in_characters() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let id = start(&app, &customer, &provider).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let longest = "é".repeat(4000);
    assert_eq!(send(&app, &customer, &id, &longest).await["body"], longest);
    for bad in [
        json!(""),
        json!("   \n\t"),
        json!("a\u{0}b"),
        json!("x".repeat(4001)),
    ] {
        let problem = assert_problem(
            post_message(&app, &customer, &id, json!({ "body": bad })).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "body");
    }
    assert_problem(
        post_message(&app, &customer, &id, json!({})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        post_message(&app, &customer, &id, json!({"body": 5})).await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_message() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let id = start(&app, &customer, &provider).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/conversations/{id}/messages");
    let post = |body: &'static str| {
        app.request(Method::POST, &path)
            .bearer_auth(&customer.token)
            .header("Idempotency-Key", "msg-1")
            .json(&json!({ "body": body }))
            .send()
    };
    let first = post("hello").await.unwrap();
    assert_eq!(first.status(), 201);
    let first = json(first).await;
    let replay = post("hello").await.unwrap();
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(json(replay).await, first);
    assert_problem(
        post("something else").await.unwrap(),
        422,
        "idempotency_key_reused",
    )
    .await;
    let page = json(app.get_as(&customer.token, &path).await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn unread_counts_follow_read_markers_that_never_move_back() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let id = start(&app, &customer, &provider).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut sent = Vec::new();
    for n in 0..3 {
        sent.push(send(&app, &customer, &id, &format!("m{n}")).await["id"].clone());
    }
    let mine = send(&app, &provider, &id, "my own").await;

    let listed = conversations(&app, &provider, "").await;
    assert_eq!(
        listed["items"][0]["unread_count"], 3,
        "own messages are never unread"
    );
    assert_eq!(listed["items"][0]["last_message"]["id"], mine["id"]);
    assert_eq!(
        conversations(&app, &customer, "").await["items"][0]["unread_count"],
        1
    );

    let second = sent[1].as_str().unwrap();
    assert_eq!(mark_read(&app, &provider, &id, second).await.status(), 204);
    assert_eq!(
        conversations(&app, &provider, "").await["items"][0]["unread_count"],
        1
    );
    assert_eq!(
        mark_read(&app, &provider, &id, sent[0].as_str().unwrap())
            .await
            .status(),
        204
    );
    assert_eq!(
        conversations(&app, &provider, "").await["items"][0]["unread_count"],
        1,
        "a marker never moves backwards"
    );
    assert_eq!(
        mark_read(&app, &provider, &id, mine["id"].as_str().unwrap())
            .await
            .status(),
        204
    );
    assert_eq!(
        conversations(&app, &provider, "").await["items"][0]["unread_count"],
        0
    );

    let other = start(&app, &provider, &TestUser::customer().register(&app).await).await;
    let foreign = send(&app, &provider, other["id"].as_str().unwrap(), "x").await;
    assert_problem(
        mark_read(&app, &provider, &id, foreign["id"].as_str().unwrap()).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        mark_read(&app, &provider, &id, "nope").await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn conversations_are_listed_by_latest_activity() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let mut started = Vec::new();
    for _ in 0..3 {
        let provider = TestUser::provider().register(&app).await;
        started.push(
            start(&app, &customer, &provider).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let listed = conversations(&app, &customer, "").await;
    let newest_first: Vec<String> = started.iter().rev().cloned().collect();
    assert_eq!(ids(&listed), newest_first);

    let message = send(&app, &customer, &started[0], "bump").await;
    let mut paged = Vec::new();
    let mut query = "?limit=1".to_owned();
    loop {
        let page = conversations(&app, &customer, &query).await;
        paged.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        paged,
        vec![started[0].clone(), started[2].clone(), started[1].clone()]
    );
    let listed = conversations(&app, &customer, "").await;
    assert_eq!(listed["items"][0]["last_message"]["id"], message["id"]);
    assert_eq!(
        listed["items"][0]["last_activity_at"],
        message["created_at"]
    );
    assert!(listed["items"][1]["last_message"].is_null());
}

fn png() -> Vec<u8> {
    quickfix_tests::tiny_png()
}

async fn upload(
    app: &TestApp,
    user: &Session,
    conversation: &str,
    file: Option<(Vec<u8>, &str)>,
    body: Option<&str>,
) -> Response {
    let mut form = reqwest::multipart::Form::new();
    if let Some((bytes, name)) = file {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    }
    if let Some(body) = body {
        form = form.text("body", body.to_owned());
    }
    app.request(
        Method::POST,
        &format!("/api/v1/conversations/{conversation}/attachments"),
    )
    .bearer_auth(&user.token)
    .multipart(form)
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn attachments_are_sniffed_stored_and_served_to_participants_only() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let stranger = TestUser::provider().register(&app).await;
    let id = start(&app, &customer, &provider).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = upload(
        &app,
        &customer,
        &id,
        Some((png(), "../../photos/leak \"1\".txt")),
        Some("the leak"),
    )
    .await;
    assert_eq!(response.status(), 201);
    let message = json(response).await;
    assert_eq!(message["body"], "the leak");
    let attachment = &message["attachment"];
    assert_eq!(attachment["filename"], "leak _1_.txt");
    assert_eq!(
        attachment["content_type"], "image/png",
        "judged from the bytes"
    );
    assert_eq!(attachment["size"], png().len());
    let url = attachment["url"].as_str().unwrap();
    assert_eq!(
        url,
        format!("/api/v1/attachments/{}", attachment["id"].as_str().unwrap())
    );

    let download = app.get_as(&provider.token, url).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/png");
    assert_eq!(download.bytes().await.unwrap().to_vec(), png());
    assert_problem(app.get_as(&stranger.token, url).await, 404, "not_found").await;
    assert_problem(app.get(url).await, 401, "unauthorized").await;
    assert_problem(
        app.get_as(&provider.token, "/api/v1/attachments/nope")
            .await,
        404,
        "not_found",
    )
    .await;

    let listed = conversations(&app, &provider, "").await;
    assert_eq!(
        listed["items"][0]["last_message"]["attachment"],
        *attachment
    );
    let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
    let response = upload(&app, &provider, &id, Some((pdf, "quote.pdf")), None).await;
    assert_eq!(response.status(), 201);
    let message = json(response).await;
    assert_eq!(message["body"], "");
    assert_eq!(message["attachment"]["content_type"], "application/pdf");

    assert_problem(
        upload(&app, &stranger, &id, Some((png(), "x.png")), None).await,
        404,
        "not_found",
    )
    .await;
    let text = upload(
        &app,
        &customer,
        &id,
        Some((b"just text".to_vec(), "a.png")),
        None,
    )
    .await;
    let problem = assert_problem(text, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "file");
    let missing = upload(&app, &customer, &id, None, Some("no file")).await;
    assert_problem(missing, 422, "validation_failed").await;
    let long_body = "b".repeat(4001);
    let too_long = upload(
        &app,
        &customer,
        &id,
        Some((png(), "x.png")),
        Some(&long_body),
    )
    .await;
    assert_problem(too_long, 422, "validation_failed").await;
    let mut huge = png();
    huge.resize(10 * 1024 * 1024 + 1, 0);
    assert_problem(
        upload(&app, &customer, &id, Some((huge, "big.png")), None).await,
        413,
        "payload_too_large",
    )
    .await;
    let not_multipart = app
        .send_json_as(
            &customer.token,
            Method::POST,
            &format!("/api/v1/conversations/{id}/attachments"),
            &json!({"file": "x"}),
        )
        .await;
    assert_problem(not_multipart, 415, "unsupported_media_type").await;
}

async fn notifications(app: &TestApp, user: &Session, query: &str) -> Value {
    let response = app
        .get_as(&user.token, &format!("/api/v1/notifications{query}"))
        .await;
    assert_eq!(response.status(), 200);
    json(response).await
}

/// Waits until `user` has `count` notifications.
async fn await_notifications(app: &TestApp, user: &Session, count: usize) -> Value {
    for _ in 0..100 {
        let page = notifications(app, user, "").await;
        if page["items"].as_array().unwrap().len() >= count {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{count} notifications did not arrive");
}

/// Publishes `offer.created` of an offer by `provider` on a job of
/// `customer`.
async fn publish_offer(relay: &SharedRelay, customer: &Session, provider: &Session) {
    let event = JobEvent::OfferCreated(OfferCreated {
        offer_id: OfferId::generate(),
        job_id: JobId::generate(),
        job_title: "t".to_owned(),
        customer_id: UserId::from_db(customer.id.clone()),
        provider_id: UserId::from_db(provider.id.clone()),
        price_cents: 1,
    });
    relay
        .emit(vec![event.into_event(Some(&provider.id))])
        .await
        .unwrap();
}

#[tokio::test]
async fn domain_events_become_notifications_for_the_right_user() {
    let app = TestApp::spawn().await;
    let relay = app.relay().clone();
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let (customer_id, provider_id) = (
        UserId::from_db(customer.id.clone()),
        UserId::from_db(provider.id.clone()),
    );
    let booking = booking_view(&customer.id, &provider.id, BookingStatus::InProgress);
    let booking_id = BookingId::from_db(booking.id.clone());
    let (job_id, offer_id) = (JobId::generate(), OfferId::generate());
    let events = vec![
        JobEvent::OfferCreated(OfferCreated {
            offer_id: offer_id.clone(),
            job_id: job_id.clone(),
            job_title: "Leaking tap".to_owned(),
            customer_id: customer_id.clone(),
            provider_id: provider_id.clone(),
            price_cents: 5000,
        })
        .into_event(Some(&provider.id)),
        JobEvent::OfferAccepted(AcceptedOffer {
            offer_id,
            job_id: job_id.clone(),
            booking_id: booking_id.clone(),
            customer_id: customer_id.clone(),
            provider_id: provider_id.clone(),
            price_cents: 5000,
            scheduled_for: None,
            rejected_provider_ids: Vec::new(),
        })
        .into_event(Some(&customer.id)),
        BookingEvent::Updated(BookingUpdated {
            booking,
            actor_id: provider_id.clone(),
            customer_id: customer_id.clone(),
            provider_id: provider_id.clone(),
        })
        .into_event(Some(&provider.id)),
        RatingEvent::Created(RatingCreated {
            rating_id: RatingId::generate(),
            booking_id,
            rater_id: customer_id.clone(),
            rated_user_id: provider_id,
            stars: 5,
        })
        .into_event(None),
        JobEvent::Cancelled(JobCancelled {
            job_id,
            customer_id,
            provider_ids: Vec::new(),
        })
        .into_event(Some(&customer.id)),
    ];
    for event in events {
        relay.emit(vec![event]).await.unwrap();
    }

    let for_customer = await_notifications(&app, &customer, 2).await;
    let kinds: Vec<&str> = for_customer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["booking.updated", "offer.created"],
        "newest first"
    );
    assert_eq!(
        for_customer["items"][1]["payload"]["job_title"],
        "Leaking tap"
    );
    assert!(for_customer["items"][0]["read_at"].is_null());
    // The accepted offer also opened its booking (the bookings crate
    // consumes `offer.accepted`), whose `booking.updated` by the customer
    // tells the provider.
    let for_provider = await_notifications(&app, &provider, 3).await;
    let mut kinds: Vec<&str> = for_provider["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        vec!["booking.updated", "offer.accepted", "rating.created"]
    );

    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        notifications(&app, &customer, "").await["items"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "the actor of a booking change and unknown kinds notify nobody else"
    );
}

#[tokio::test]
async fn notifications_are_read_one_by_one_or_all_by_their_owner_only() {
    let app = TestApp::spawn().await;
    let relay = app.relay().clone();
    let customer = TestUser::customer().register(&app).await;
    let other = TestUser::customer().register(&app).await;
    for _ in 0..3 {
        publish_offer(&relay, &customer, &other).await;
    }
    let page = await_notifications(&app, &customer, 3).await;
    let first = page["items"][0]["id"].as_str().unwrap().to_owned();
    let read = |user: &Session, path: String| {
        let request = app
            .request(Method::POST, &path)
            .bearer_auth(&user.token)
            .json(&json!({}));
        async move { request.send().await.unwrap() }
    };
    assert_problem(
        read(&other, format!("/api/v1/notifications/{first}/read")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        read(&customer, "/api/v1/notifications/nope/read".into()).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        read(&customer, format!("/api/v1/notifications/{first}/read"))
            .await
            .status(),
        204
    );
    assert_eq!(
        read(&customer, format!("/api/v1/notifications/{first}/read"))
            .await
            .status(),
        204,
        "twice is harmless"
    );
    let unread = notifications(&app, &customer, "?unread=true").await;
    assert_eq!(unread["items"].as_array().unwrap().len(), 2);
    let paged = notifications(&app, &customer, "?unread=true&limit=1").await;
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
    assert!(paged["next_cursor"].is_string());
    let all = notifications(&app, &customer, "").await;
    assert!(all["items"][0]["read_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        read(&customer, "/api/v1/notifications/read-all".into())
            .await
            .status(),
        204
    );
    assert!(
        notifications(&app, &customer, "?unread=true").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_problem(
        app.get_as(&customer.token, "/api/v1/notifications?unread=maybe")
            .await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(app.get("/api/v1/notifications").await, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_message_notifies_its_recipient_not_its_sender() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let id = start(&app, &customer, &provider).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let message = send(&app, &customer, &id, "are you free on Monday?").await;
    let page = await_notifications(&app, &provider, 1).await;
    assert_eq!(page["items"][0]["kind"], "message.created");
    assert_eq!(page["items"][0]["payload"]["message"], message);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        notifications(&app, &customer, "").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
