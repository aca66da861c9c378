//! The WebSocket: authentication, frames, pushes, catch-up, and fan-out
//! across instances through Redis.

use std::time::Duration;

use quickfix_bookings_contract::{
    BookingEvent, BookingId, BookingLocated, BookingStatus, BookingUpdated, UserId,
};
use quickfix_shared::events::EventSet;
use quickfix_tests::{Session, TestApp, TestUser, WsClient, assert_problem, booking_view, json};
use reqwest::Method;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::messaging::{send, start};

const QUIET: Duration = Duration::from_millis(300);

async fn socket(app: &TestApp, user: &Session) -> WsClient {
    WsClient::connect(&app.ws_url(&user.token)).await
}

async fn pair(app: &TestApp) -> (Session, Session, String) {
    let customer = TestUser::customer().register(app).await;
    let provider = TestUser::provider().register(app).await;
    let id = start(app, &customer, &provider).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (customer, provider, id)
}

#[tokio::test]
async fn an_upgrade_without_a_valid_token_is_a_401_problem() {
    let app = TestApp::spawn().await;
    let user = TestUser::customer().register(&app).await;
    let upgrade = |url: String| {
        app.client
            .get(url)
            .header("Connection", "Upgrade")
            .header("Upgrade", "websocket")
            .header("Sec-WebSocket-Version", "13")
            .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send()
    };
    let base = format!("{}/api/v1/ws", app.address);
    for url in [
        base.clone(),
        format!("{base}?access_token=not.a.jwt"),
        format!("{base}?access_token={}x", user.token),
    ] {
        assert_problem(upgrade(url).await.unwrap(), 401, "unauthorized").await;
    }
    let refused = tokio_tungstenite::connect_async(format!(
        "{}?access_token=bad",
        base.replacen("http", "ws", 1)
    ))
    .await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401);
        }
        other => panic!("expected a refused upgrade, got {other:?}"),
    }
    let not_an_upgrade = app
        .get(&format!("/api/v1/ws?access_token={}", user.token))
        .await;
    assert_problem(not_an_upgrade, 400, "bad_request").await;
}

#[tokio::test]
async fn the_token_may_come_as_the_bearer_subprotocol() {
    let app = TestApp::spawn().await;
    let user = TestUser::customer().register(&app).await;
    let mut request = format!("{}/api/v1/ws", app.address.replacen("http", "ws", 1))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        format!("bearer, {}", user.token).parse().unwrap(),
    );
    let (stream, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "bearer");
    let mut client = WsClient::from_stream(stream);
    client.send("ping", json!({})).await;
    assert_eq!(
        client.expect("pong").await,
        json!({"type": "pong", "data": {}})
    );
}

#[tokio::test]
async fn a_socket_send_is_acked_and_pushed_to_every_other_socket_of_both_users() {
    let app = TestApp::spawn().await;
    let (customer, provider, id) = pair(&app).await;
    let mut sender = socket(&app, &customer).await;
    let mut sender_tablet = socket(&app, &customer).await;
    let mut recipient = socket(&app, &provider).await;

    sender
        .send(
            "message.send",
            json!({"conversation_id": id, "body": "Hello from the socket", "client_msg_id": "c-1"}),
        )
        .await;
    let ack = sender.expect("message.ack").await;
    assert_eq!(ack["data"]["client_msg_id"], "c-1");
    let message = ack["data"]["message"].clone();
    assert_eq!(message["body"], "Hello from the socket");
    assert_eq!(message["sender_id"], customer.id.as_str());
    for client in [&mut sender_tablet, &mut recipient] {
        let created = client.expect("message.created").await;
        assert_eq!(created["data"]["message"], message);
    }
    let notification = recipient.expect("notification").await;
    assert_eq!(
        notification["data"]["notification"]["kind"],
        "message.created"
    );
    sender.expect_none("message.created", QUIET).await;

    let page = json(
        app.get_as(
            &provider.token,
            &format!("/api/v1/conversations/{id}/messages"),
        )
        .await,
    )
    .await;
    assert_eq!(page["items"][0], message, "stored as by REST");

    sender
        .send(
            "message.send",
            json!({"conversation_id": id, "body": "Hello from the socket", "client_msg_id": "c-1"}),
        )
        .await;
    let resent = sender.expect("message.ack").await;
    assert_eq!(
        resent["data"]["message"], message,
        "a resend is not stored twice"
    );
    recipient.expect_none("message.created", QUIET).await;
}

#[tokio::test]
async fn rest_messages_are_pushed_like_socket_ones() {
    let app = TestApp::spawn().await;
    let (customer, provider, id) = pair(&app).await;
    let mut sender_socket = socket(&app, &customer).await;
    let mut recipient = socket(&app, &provider).await;
    let message = send(&app, &customer, &id, "sent over REST").await;
    for client in [&mut sender_socket, &mut recipient] {
        assert_eq!(
            client.expect("message.created").await["data"]["message"],
            message
        );
    }
}

#[tokio::test]
async fn typing_is_relayed_to_the_others_and_read_markers_are_stored_and_relayed() {
    let app = TestApp::spawn().await;
    let (customer, provider, id) = pair(&app).await;
    let mut typist = socket(&app, &customer).await;
    let mut typist_phone = socket(&app, &customer).await;
    let mut other = socket(&app, &provider).await;

    typist
        .send("typing", json!({"conversation_id": id, "is_typing": true}))
        .await;
    let typing = other.expect("typing").await;
    assert_eq!(
        typing["data"],
        json!({"conversation_id": id, "user_id": customer.id, "is_typing": true})
    );
    typist_phone.expect_none("typing", QUIET).await;

    let message = send(&app, &customer, &id, "read me").await;
    other
        .send(
            "read",
            json!({"conversation_id": id, "message_id": message["id"]}),
        )
        .await;
    let read = typist.expect("read").await;
    assert_eq!(
        read["data"],
        json!({"conversation_id": id, "user_id": provider.id, "message_id": message["id"]})
    );
    let listed = json(app.get_as(&provider.token, "/api/v1/conversations").await).await;
    assert_eq!(listed["items"][0]["unread_count"], 0, "stored");

    let over_rest = app
        .send_json_as(
            &customer.token,
            Method::POST,
            &format!("/api/v1/conversations/{id}/read"),
            &json!({"message_id": message["id"]}),
        )
        .await;
    assert_eq!(over_rest.status(), 204);
    assert_eq!(
        other.expect("read").await["data"]["user_id"],
        customer.id.as_str()
    );
}

#[tokio::test]
async fn bad_frames_are_answered_with_error_frames_and_the_socket_stays_open() {
    let app = TestApp::spawn().await;
    let (customer, _provider, id) = pair(&app).await;
    let (a, b, foreign) = pair(&app).await;
    drop((a, b));
    let mut client = socket(&app, &customer).await;

    client.send_text("not json").await;
    assert_eq!(client.expect("error").await["data"]["code"], "bad_frame");
    client.send("dance", json!({})).await;
    assert_eq!(client.expect("error").await["data"]["code"], "unknown_type");
    client
        .send(
            "message.send",
            json!({"conversation_id": id, "body": "", "client_msg_id": "c-9"}),
        )
        .await;
    let invalid = client.expect("error").await;
    assert_eq!(invalid["data"]["code"], "validation_failed");
    assert_eq!(invalid["data"]["ref"], "c-9");
    assert!(
        invalid["data"]["message"]
            .as_str()
            .unwrap()
            .contains("body")
    );
    client
        .send_text(
            &json!({"type": "typing", "ref": "t-1", "data": {"conversation_id": id}}).to_string(),
        )
        .await;
    let missing = client.expect("error").await;
    assert_eq!(missing["data"]["code"], "validation_failed");
    assert_eq!(missing["data"]["ref"], "t-1");
    client
        .send("typing", json!({"conversation_id": id, "is_typing": "yes"}))
        .await;
    assert_eq!(client.expect("error").await["data"]["code"], "bad_frame");
    client
        .send(
            "message.send",
            json!({"conversation_id": foreign, "body": "hi", "client_msg_id": "c-10"}),
        )
        .await;
    assert_eq!(client.expect("error").await["data"]["code"], "not_found");
    client
        .send(
            "read",
            json!({"conversation_id": id, "message_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(client.expect("error").await["data"]["code"], "not_found");
    client
        .send(
            "location.update",
            json!({"booking_id": uuid::Uuid::now_v7(), "lat": 38.7, "lng": -9.1}),
        )
        .await;
    assert_eq!(client.expect("error").await["data"]["code"], "not_found");

    client.send("ping", json!({})).await;
    client.expect("pong").await;
}

#[tokio::test]
async fn booking_changes_locations_and_notifications_from_the_outbox_are_pushed() {
    let app = TestApp::spawn().await;
    let relay = app.relay().clone();
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let mut customer_socket = socket(&app, &customer).await;
    let mut provider_socket = socket(&app, &provider).await;
    let booking = booking_view(&customer.id, &provider.id, BookingStatus::InProgress);
    let (customer_id, provider_id) = (
        UserId::from_db(customer.id.clone()),
        UserId::from_db(provider.id.clone()),
    );
    relay
        .emit(vec![
            BookingEvent::Updated(BookingUpdated {
                booking: booking.clone(),
                actor_id: provider_id.clone(),
                customer_id: customer_id.clone(),
                provider_id: provider_id.clone(),
            })
            .into_event(Some(&provider.id)),
        ])
        .await
        .unwrap();
    for client in [&mut customer_socket, &mut provider_socket] {
        assert_eq!(
            client.expect("booking.updated").await["data"]["booking"],
            serde_json::to_value(&booking).unwrap()
        );
    }
    let pushed = customer_socket.expect("notification").await;
    assert_eq!(pushed["data"]["notification"]["kind"], "booking.updated");
    provider_socket.expect_none("notification", QUIET).await;

    let at = "2026-11-21T10:00:00Z".parse().unwrap();
    relay
        .emit(vec![
            BookingEvent::Located(BookingLocated {
                booking_id: BookingId::from_db(booking.id.clone()),
                customer_id,
                provider_id,
                lat: 38.71,
                lng: -9.14,
                heading: None,
                speed: None,
                at,
            })
            .into_event(Some(&provider.id)),
        ])
        .await
        .unwrap();
    let location = customer_socket.expect("location").await;
    assert_eq!(
        location["data"],
        json!({"booking_id": booking.id, "lat": 38.71, "lng": -9.14, "at": "2026-11-21T10:00:00Z"})
    );
    provider_socket.expect_none("location", QUIET).await;
}

#[tokio::test]
async fn catching_up_after_a_reconnect_loses_and_duplicates_nothing() {
    let app = TestApp::spawn().await;
    let (customer, provider, id) = pair(&app).await;
    let mut seen: Vec<String> = Vec::new();
    let mut all: Vec<String> = Vec::new();

    let mut recipient = socket(&app, &provider).await;
    for n in 0..3 {
        all.push(
            send(&app, &customer, &id, &format!("before {n}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        let frame = recipient.expect("message.created").await;
        seen.push(frame["data"]["message"]["id"].as_str().unwrap().to_owned());
    }
    drop(recipient);

    // While the recipient is away, messages arrive by REST and by socket,
    // some of them concurrently.
    let mut sender = socket(&app, &customer).await;
    for n in 0..3 {
        sender
            .send(
                "message.send",
                json!({"conversation_id": id, "body": format!("away {n}"), "client_msg_id": format!("away-{n}")}),
            )
            .await;
        all.push(
            sender.expect("message.ack").await["data"]["message"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let concurrent = (0..6).map(|n| {
        let from = if n % 2 == 0 { &customer } else { &provider };
        send(&app, from, &id, "concurrent")
    });
    for message in futures_util::future::join_all(concurrent).await {
        all.push(message["id"].as_str().unwrap().to_owned());
    }

    let mut recipient = socket(&app, &provider).await;
    let mut caught_up = Vec::new();
    let last_seen = seen.last().unwrap().clone();
    let mut url = format!("/api/v1/conversations/{id}/messages?after={last_seen}&limit=2");
    loop {
        let page = json(app.get_as(&provider.token, &url).await).await;
        for item in page["items"].as_array().unwrap() {
            caught_up.push(item["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                url = format!(
                    "/api/v1/conversations/{id}/messages?after={last_seen}&limit=2&cursor={cursor}"
                );
            }
            None => break,
        }
    }
    let live = send(&app, &customer, &id, "after the reconnect").await;
    all.push(live["id"].as_str().unwrap().to_owned());
    assert_eq!(
        recipient.expect("message.created").await["data"]["message"]["id"],
        live["id"]
    );
    seen.extend(caught_up);
    seen.push(live["id"].as_str().unwrap().to_owned());

    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "nothing twice: {seen:?}");
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(unique, expected, "nothing lost");

    let newest_first = json(
        app.get_as(
            &provider.token,
            &format!("/api/v1/conversations/{id}/messages?limit=100"),
        )
        .await,
    )
    .await;
    let mut stored: Vec<String> = newest_first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    stored.reverse();
    assert_eq!(stored, seen, "catch-up order is the conversation's order");
}

#[tokio::test]
async fn an_event_on_one_instance_reaches_sockets_on_another_through_redis() {
    let Some((instance_a, instance_b)) = quickfix_tests::redis_pair().await else {
        return;
    };
    let relay = instance_a.relay().clone();
    let (customer, provider, id) = pair(&instance_a).await;

    let mut on_b = WsClient::connect(&instance_b.ws_url(&provider.token)).await;
    let mut sender_on_b = WsClient::connect(&instance_b.ws_url(&customer.token)).await;
    let message = send(&instance_a, &customer, &id, "across instances").await;
    assert_eq!(
        on_b.expect("message.created").await["data"]["message"],
        message
    );
    assert_eq!(
        sender_on_b.expect("message.created").await["data"]["message"],
        message
    );
    let notification = on_b.expect("notification").await;
    assert_eq!(
        notification["data"]["notification"]["kind"],
        "message.created"
    );

    // And the other way: a socket send on B reaches a socket on A.
    let mut on_a = WsClient::connect(&instance_a.ws_url(&customer.token)).await;
    on_b.send(
        "message.send",
        json!({"conversation_id": id, "body": "back again", "client_msg_id": "x-1"}),
    )
    .await;
    let ack = on_b.expect("message.ack").await;
    assert_eq!(
        on_a.expect("message.created").await["data"]["message"],
        ack["data"]["message"]
    );
    on_b.expect_none("message.created", QUIET).await;

    let booking = booking_view(&customer.id, &provider.id, BookingStatus::Confirmed);
    let updated = BookingEvent::Updated(BookingUpdated {
        booking: booking.clone(),
        actor_id: UserId::from_db(customer.id.clone()),
        customer_id: UserId::from_db(customer.id.clone()),
        provider_id: UserId::from_db(provider.id.clone()),
    });
    relay
        .emit(vec![updated.into_event(Some(&customer.id))])
        .await
        .unwrap();
    assert_eq!(
        on_b.expect("booking.updated").await["data"]["booking"]["id"],
        booking.id.as_str()
    );
    drop(instance_b);
}

#[tokio::test]
async fn a_socket_closes_with_4001_when_its_token_expires() {
    // Tokens that expired 57 s ago still pass the 60 s leeway for three
    // seconds: room for a busy box to register and connect first.
    let app = TestApp::spawn_with(|s| s.auth.access_ttl_secs = -57).await;
    let user = TestUser::customer().register(&app).await;
    let mut client = socket(&app, &user).await;
    client.send("ping", json!({})).await;
    client.expect("pong").await;
    assert_eq!(client.close_code(Duration::from_secs(8)).await, Some(4001));
}

#[test]
fn the_asyncapi_document_describes_every_frame_type() {
    let document = include_str!("../../../docs/asyncapi.yaml");
    assert!(document.starts_with("asyncapi: 3.0.0"));
    for kind in [
        "message.send",
        "typing",
        "read",
        "location.update",
        "ping",
        "message.ack",
        "message.created",
        "location",
        "pong",
        "notification",
        "booking.updated",
        "error",
    ] {
        assert!(
            document.contains(&format!("name: {kind}\n")),
            "{kind} has no message in docs/asyncapi.yaml"
        );
        assert!(
            document.contains(&format!("const: {kind}\n")),
            "{kind} has no schema in docs/asyncapi.yaml"
        );
    }
}

#[tokio::test]
async fn a_provider_shares_location_over_the_socket_and_the_customer_follows() {
    let app = TestApp::spawn().await;
    let (customer, provider, booking) = app.booking().await;
    let id = booking["id"].as_str().unwrap();
    let mut customer_socket = WsClient::connect(&app.ws_url(&customer.token)).await;
    let mut provider_socket = WsClient::connect(&app.ws_url(&provider.token)).await;

    provider_socket
        .send(
            "location.update",
            json!({"booking_id": id, "lat": 38.71, "lng": -9.13}),
        )
        .await;
    let frame = customer_socket.expect("location").await;
    assert_eq!(frame["data"]["booking_id"], id);
    assert_eq!(frame["data"]["lat"], 38.71);
    assert!(frame["data"]["at"].is_string());
    let track = json(
        app.get_as(&customer.token, &format!("/api/v1/bookings/{id}/location"))
            .await,
    )
    .await;
    assert_eq!(track["latest"]["lng"], -9.13);

    customer_socket
        .send(
            "location.update",
            json!({"booking_id": id, "lat": 1.0, "lng": 1.0}),
        )
        .await;
    assert_eq!(
        customer_socket.expect("error").await["data"]["code"],
        "forbidden"
    );
    provider_socket
        .send(
            "location.update",
            json!({"booking_id": id, "lat": 1.0, "lng": 1.0}),
        )
        .await;
    assert_eq!(
        provider_socket.expect("error").await["data"]["code"],
        "rate_limited"
    );
}
