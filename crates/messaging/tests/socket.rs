//! The socket's heartbeat and idle timeout, against the crate's own routes
//! (no gateway) with short timings.
#![expect(
    clippy::unwrap_used,
    reason = "a failed unwrap fails the test, which is the point"
)]

use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use futures_util::{SinkExt, StreamExt};
use quickfix_messaging::{Hub, MessagingConfig, MessagingState};
use quickfix_shared::auth::{JwtKeys, Role};
use quickfix_shared::ids::UserId;
use quickfix_shared::outbox::Relay;
use quickfix_shared::storage::LocalStorage;
use quickfix_shared::testing::TestDatabase;
use quickfix_users_contract::FixedDirectory;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use utoipa_actix_web::AppExt;

const SECRET: &[u8] = b"a-test-secret-that-is-long-enough-32";

/// Serves the crate's routes with the given socket timings; answers the
/// socket URL of a fresh user.
async fn serve(config: MessagingConfig, db: &TestDatabase) -> String {
    let pool = web::Data::new(db.pool());
    let keys = web::Data::new(JwtKeys::new(SECRET, 900));
    let state = web::Data::new(MessagingState::new(
        config,
        Arc::new(LocalStorage::new(
            std::env::temp_dir().join("qf-messaging-socket-test"),
        )),
        Hub::in_process(),
        Relay::new(db.pool()),
        Arc::new(FixedDirectory::default()),
    ));
    let server = HttpServer::new(move || {
        App::new()
            .into_utoipa_app()
            .app_data(pool.clone())
            .app_data(keys.clone())
            .app_data(state.clone())
            .service(utoipa_actix_web::scope("/api/v1").configure(quickfix_messaging::configure))
            .into_app()
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    let token = JwtKeys::new(SECRET, 900)
        .issue(&UserId::generate(), Role::Customer, "session")
        .unwrap();
    format!("ws://127.0.0.1:{port}/api/v1/ws?access_token={token}")
}

fn quick() -> MessagingConfig {
    MessagingConfig {
        heartbeat: Duration::from_millis(100),
        idle_timeout: Duration::from_millis(450),
        ..MessagingConfig::default()
    }
}

#[tokio::test]
async fn a_silent_socket_is_pinged_and_then_closed_as_idle() {
    let db = TestDatabase::new(&[
        quickfix_shared::db::MIGRATIONS,
        quickfix_messaging::MIGRATIONS,
    ]);
    let url = serve(quick(), &db).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    // Not reading means not answering pings either.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let mut pings = 0;
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(3), socket.next()).await {
            Ok(Some(Ok(Message::Ping(_)))) => pings += 1,
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => {}
            other => panic!("expected a close, got {other:?}"),
        }
    };
    assert!(pings >= 1, "the server pinged first");
    assert_eq!(close.unwrap().code, CloseCode::Away);
}

#[tokio::test]
async fn a_socket_that_answers_pings_stays_open() {
    let db = TestDatabase::new(&[
        quickfix_shared::db::MIGRATIONS,
        quickfix_messaging::MIGRATIONS,
    ]);
    let url = serve(quick(), &db).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let until = tokio::time::Instant::now() + Duration::from_millis(1000);
    let mut pings = 0;
    // Reading answers each ping with a pong (tungstenite does it).
    while let Ok(Some(frame)) = tokio::time::timeout_at(until, socket.next()).await {
        match frame.unwrap() {
            Message::Ping(_) => pings += 1,
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
    assert!(pings >= 5, "pinged every 100 ms, got {pings}");
    socket
        .send(Message::text(r#"{"type":"ping"}"#))
        .await
        .unwrap();
    loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(text) => {
                assert_eq!(text.as_str(), r#"{"type":"pong","data":{}}"#);
                break;
            }
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}
