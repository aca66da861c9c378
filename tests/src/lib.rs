//! The end-to-end harness: the real gateway on a random port with a fresh
//! database per test (SQLite by default, PostgreSQL when
//! `QUICKFIX_TEST_POSTGRES_URL` is set), dropped when the test ends.

pub mod oidc;
pub mod smtp;

use std::collections::HashMap;

use actix_web::dev::ServerHandle;
use quickfix_gateway::Application;
use quickfix_gateway::settings::{AppEnv, Settings};
use quickfix_shared::db::DbPool;
use quickfix_shared::testing::TestDatabase;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

/// A running gateway for one test.
pub struct TestApp {
    handle: ServerHandle,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The port the gateway listens on.
    pub port: u16,
    /// An HTTP client without proxies.
    pub client: reqwest::Client,
    /// The settings the gateway runs with.
    pub settings: Settings,
    pool: DbPool,
    relay: quickfix_shared::outbox::SharedRelay,
    _uploads: tempfile::TempDir,
    /// The test's database; dropped (and deleted) after the server stops.
    pub db: TestDatabase,
}

impl TestApp {
    /// A gateway with test settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A gateway with test settings adjusted by `customize`.
    pub async fn spawn_with(customize: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDatabase::new(quickfix_gateway::app::MIGRATIONS);
        let uploads = tempfile::tempdir().expect("an upload directory");
        let mut settings = test_settings(db.url(), &uploads.path().display().to_string());
        customize(&mut settings);
        Self::start(settings, db, uploads).await
    }

    /// A gateway over an existing database (for several instances on one).
    pub async fn start(settings: Settings, db: TestDatabase, uploads: tempfile::TempDir) -> Self {
        init_test_logs();
        let application = Application::build(settings.clone())
            .await
            .expect("the gateway starts");
        let port = application.port();
        let handle = application.handle();
        let pool = application.pool().clone();
        let relay = std::sync::Arc::clone(application.relay());
        tokio::spawn(application.run_until_stopped());
        Self {
            handle,
            address: format!("http://127.0.0.1:{port}"),
            port,
            client: http_client(),
            settings,
            pool,
            relay,
            _uploads: uploads,
            db,
        }
    }

    /// The outbox relay the gateway delivers domain events with.
    pub fn relay(&self) -> &quickfix_shared::outbox::SharedRelay {
        &self.relay
    }

    /// The pool the gateway uses, for assertions on stored state.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// A request to a path of this gateway.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("GET sent")
    }

    /// `GET path` with a bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> Response {
        self.request(Method::GET, path)
            .bearer_auth(token)
            .send()
            .await
            .expect("GET sent")
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("POST sent")
    }

    /// A JSON body sent with a bearer token and any method.
    pub async fn send_json_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Response {
        self.request(method, path)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sending the stop command happens on the call; the returned future
        // only waits for completion, which a dropping test need not do.
        drop(self.handle.stop(false));
    }
}

/// Test settings: port 0, one worker, cheap bcrypt, no rate limits.
pub fn test_settings(database_url: &str, uploads: &str) -> Settings {
    let mut settings = Settings::load_from(&HashMap::new()).expect("default settings");
    settings.database.url = database_url.to_owned();
    settings.database.connect_timeout_secs = 2;
    settings.server.port = 0;
    settings.server.workers = Some(1);
    settings.auth.bcrypt_cost = 4;
    settings.rate_limit.enabled = false;
    settings.storage.path = uploads.to_owned();
    settings.email.dir = format!("{uploads}/mail");
    settings.email.poll_interval_ms = 50;
    settings.email.retry_base_secs = 1;
    settings.app.env = AppEnv::Test;
    settings
}

/// Reads a response's JSON body, failing the test with the text otherwise.
pub async fn json(response: Response) -> Value {
    let text = response.text().await.expect("a body");
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("not JSON ({err}): {text}"))
}

/// Asserts a problem+json answer with the given status and code, and returns it.
pub async fn assert_problem(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(
        response.status().as_u16(),
        status,
        "status of {}",
        response.url()
    );
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body = json(response).await;
    assert_eq!(body["code"], code, "problem: {body}");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    assert!(body["request_id"].is_string(), "request_id missing: {body}");
    body
}

/// A registered user with live tokens.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user's id.
    pub id: String,
    /// The email registered.
    pub email: String,
    /// The password registered.
    pub password: String,
    /// An access token.
    pub token: String,
    /// A refresh token.
    pub refresh: String,
}

/// A user to register: `TestUser::customer().register(&app)`.
#[derive(Debug, Clone)]
pub struct TestUser {
    role: &'static str,
    email: String,
    name: String,
}

impl TestUser {
    /// A customer with a unique email.
    pub fn customer() -> Self {
        Self::with_role("customer")
    }

    /// A provider with a unique email.
    pub fn provider() -> Self {
        Self::with_role("provider")
    }

    fn with_role(role: &'static str) -> Self {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        Self {
            role,
            email: format!("{role}-{tag}@example.com"),
            name: format!("Test {role}"),
        }
    }

    /// Sets the display name.
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// Registers through the API.
    pub async fn register(self, app: &TestApp) -> Session {
        let password = "a-good-password".to_owned();
        let response = app
            .post_json(
                "/api/v1/auth/register",
                &serde_json::json!({
                    "email": self.email,
                    "password": password,
                    "role": self.role,
                    "name": self.name,
                }),
            )
            .await;
        assert_eq!(response.status(), 201, "registration failed");
        let body = json(response).await;
        Session {
            id: body["user"]["id"].as_str().expect("an id").to_owned(),
            email: self.email,
            password,
            token: body["access_token"].as_str().expect("a token").to_owned(),
            refresh: body["refresh_token"]
                .as_str()
                .expect("a refresh token")
                .to_owned(),
        }
    }
}

impl TestApp {
    /// An admin made the way `quickfix create-admin` makes one, logged in.
    pub async fn admin(&self) -> Session {
        let email = format!("admin-{}@example.com", uuid::Uuid::now_v7().simple());
        let password = "an-admin-password".to_owned();
        let user = quickfix_gateway::admin::create_admin(
            self.pool(),
            &self.settings,
            email.clone(),
            password.clone(),
            "Admin".to_owned(),
        )
        .await
        .expect("admin created");
        self.login(&email, &password, user.as_str()).await
    }

    /// Logs in through the API.
    pub async fn login(&self, email: &str, password: &str, id: &str) -> Session {
        let response = self
            .post_json(
                "/api/v1/auth/login",
                &serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(response.status(), 200, "login failed");
        let body = json(response).await;
        Session {
            id: id.to_owned(),
            email: email.to_owned(),
            password: password.to_owned(),
            token: body["access_token"].as_str().expect("a token").to_owned(),
            refresh: body["refresh_token"]
                .as_str()
                .expect("a refresh token")
                .to_owned(),
        }
    }
}

/// What a started gateway hands back.
struct Launched {
    handle: ServerHandle,
    port: u16,
}

/// Sends the gateway's logs to the test output when `QUICKFIX_TEST_LOG`
/// holds a filter (`QUICKFIX_TEST_LOG=warn cargo test ...`).
fn init_test_logs() {
    if let Ok(filter) = std::env::var("QUICKFIX_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
}

async fn launch(settings: Settings) -> Launched {
    init_test_logs();
    let application = Application::build(settings)
        .await
        .expect("the gateway starts");
    let launched = Launched {
        handle: application.handle(),
        port: application.port(),
    };
    tokio::spawn(application.run_until_stopped());
    launched
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

impl TestApp {
    /// A second gateway instance on this one's database and upload
    /// directory, with this one's settings adjusted by `customize`. Drop it
    /// before this one (declare it after).
    pub async fn spawn_sibling(&self, customize: impl FnOnce(&mut Settings)) -> Sibling {
        let mut settings = self.settings.clone();
        customize(&mut settings);
        let launched = launch(settings).await;
        Sibling {
            handle: launched.handle,
            address: format!("http://127.0.0.1:{}", launched.port),
        }
    }

    /// The WebSocket URL of this gateway with `token` as `access_token`.
    pub fn ws_url(&self, token: &str) -> String {
        ws_url(&self.address, token)
    }
}

/// Another gateway instance sharing a [`TestApp`]'s database.
pub struct Sibling {
    handle: ServerHandle,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
}

impl Sibling {
    /// The WebSocket URL of this instance with `token` as `access_token`.
    pub fn ws_url(&self, token: &str) -> String {
        ws_url(&self.address, token)
    }
}

impl Drop for Sibling {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

fn ws_url(address: &str, token: &str) -> String {
    format!(
        "{}/api/v1/ws?access_token={token}",
        address.replacen("http://", "ws://", 1)
    )
}

/// A WebSocket test client speaking the `{type, data}` frames.
pub struct WsClient {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

/// How long a test waits for a frame it expects.
pub const FRAME_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl WsClient {
    /// Connects to `url`, failing the test if the upgrade is refused.
    pub async fn connect(url: &str) -> Self {
        let (stream, response) = tokio_tungstenite::connect_async(url)
            .await
            .expect("the WebSocket upgrade succeeds");
        assert_eq!(response.status(), 101);
        Self { stream }
    }

    /// Wraps an already upgraded stream.
    pub fn from_stream(
        stream: tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    ) -> Self {
        Self { stream }
    }

    /// Sends a frame `{type, data}`.
    pub async fn send(&mut self, kind: &str, data: Value) {
        self.send_text(&serde_json::json!({"type": kind, "data": data}).to_string())
            .await;
    }

    /// Sends raw text.
    pub async fn send_text(&mut self, text: &str) {
        use futures_util::SinkExt;
        self.stream
            .send(tokio_tungstenite::tungstenite::Message::text(text))
            .await
            .expect("frame sent");
    }

    /// The next JSON frame within `wait`, or `None` (control frames are
    /// skipped; a close is `None`).
    pub async fn next_within(&mut self, wait: std::time::Duration) -> Option<Value> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??
                .ok()?;
            match message {
                Message::Text(text) => {
                    return Some(serde_json::from_str(&text).expect("frames are JSON"));
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The next frame of type `kind`, skipping others; fails the test after
    /// [`FRAME_WAIT`].
    pub async fn expect(&mut self, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + FRAME_WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self
                .next_within(left)
                .await
                .unwrap_or_else(|| panic!("no `{kind}` frame arrived"));
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Asserts that no frame of type `kind` arrives within `wait`.
    pub async fn expect_none(&mut self, kind: &str, wait: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                None => return,
                Some(frame) if frame["type"] == kind => panic!("unexpected frame: {frame}"),
                Some(_) => continue,
            }
        }
    }

    /// The close frame's code, waiting up to `wait`, skipping other frames.
    pub async fn close_code(&mut self, wait: std::time::Duration) -> Option<u16> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }
}

/// A job body at a given place, for tests.
pub fn job_body(title: &str, category: &str, lat: f64, lng: f64) -> serde_json::Value {
    serde_json::json!({
        "title": title,
        "description": format!("{title}, please help"),
        "category": category,
        "budget_cents": 15000,
        "location": {"address": "Rua Augusta 100, Lisboa", "lat": lat, "lng": lng},
    })
}

impl TestApp {
    /// Posts a job as `customer` and returns its JSON.
    pub async fn post_job(
        &self,
        customer: &Session,
        body: &serde_json::Value,
    ) -> serde_json::Value {
        let response = self
            .send_json_as(&customer.token, reqwest::Method::POST, "/api/v1/jobs", body)
            .await;
        assert_eq!(response.status(), 201, "job not created");
        json(response).await
    }

    /// Makes an offer as `provider` and returns its JSON.
    pub async fn offer(
        &self,
        provider: &Session,
        job_id: &str,
        price_cents: i64,
    ) -> serde_json::Value {
        let response = self
            .send_json_as(
                &provider.token,
                reqwest::Method::POST,
                &format!("/api/v1/jobs/{job_id}/offers"),
                &serde_json::json!({"price_cents": price_cents, "message": "I can do it"}),
            )
            .await;
        assert_eq!(response.status(), 201, "offer not created");
        json(response).await
    }
}

impl TestApp {
    /// Accepts an offer as `customer` and returns the booking's JSON.
    pub async fn accept(
        &self,
        customer: &Session,
        job_id: &str,
        offer_id: &str,
    ) -> serde_json::Value {
        let response = self
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/jobs/{job_id}/offers/{offer_id}/accept"),
            )
            .bearer_auth(&customer.token)
            .send()
            .await
            .expect("accept sent");
        assert_eq!(response.status(), 201, "offer not accepted");
        json(response).await
    }

    /// A POST without a body, with a bearer token.
    pub async fn post_as(&self, token: &str, path: &str) -> Response {
        self.request(reqwest::Method::POST, path)
            .bearer_auth(token)
            .send()
            .await
            .expect("POST sent")
    }

    /// A confirmed booking between a new customer and a new provider.
    pub async fn booking(&self) -> (Session, Session, serde_json::Value) {
        let customer = TestUser::customer().register(self).await;
        let provider = TestUser::provider().register(self).await;
        let job = self
            .post_job(&customer, &job_body("Booked work", "plumbing", 38.7, -9.1))
            .await;
        let job_id = job["id"].as_str().expect("job id").to_owned();
        let offer = self.offer(&provider, &job_id, 12_000).await;
        let booking = self
            .accept(&customer, &job_id, offer["id"].as_str().expect("offer id"))
            .await;
        (customer, provider, booking)
    }
}

impl TestApp {
    /// A completed booking between a new customer and a new provider.
    pub async fn completed_booking(&self) -> (Session, Session, serde_json::Value) {
        let (customer, provider, booking) = self.booking().await;
        let id = booking["id"].as_str().expect("booking id").to_owned();
        for action in ["start", "complete"] {
            let response = self
                .post_as(&provider.token, &format!("/api/v1/bookings/{id}/{action}"))
                .await;
            assert_eq!(response.status(), 200, "{action} failed");
        }
        let booking = json(
            self.get_as(&customer.token, &format!("/api/v1/bookings/{id}"))
                .await,
        )
        .await;
        (customer, provider, booking)
    }
}

impl TestApp {
    /// Polls `path` as `user` until `done` holds and answers what it read
    /// last (20 s at most: the scheduler looks every 250 ms; the margin
    /// holds on a busy 2-core box).
    pub async fn wait_until(
        &self,
        user: &Session,
        path: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let seen = json(self.get_as(&user.token, path).await).await;
            if done(&seen) {
                return seen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{path} never got there: {seen}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// Sends every attempt at once and asserts that exactly one is answered
/// `winner` and every other `loser` (a race that must have one winner).
pub async fn one_wins(
    attempts: impl IntoIterator<Item = impl std::future::Future<Output = Response>>,
    winner: u16,
    loser: u16,
) {
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let winners = statuses.iter().filter(|s| **s == winner).count();
    let losers = statuses.iter().filter(|s| **s == loser).count();
    assert_eq!(
        (winners, losers),
        (1, statuses.len() - 1),
        "one {winner}, the rest {loser}: {statuses:?}"
    );
}

/// The smallest PNG header the content sniffer accepts as an image.
pub fn tiny_png() -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    bytes.extend_from_slice(&[0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1]);
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]);
    bytes
}

/// Two gateway instances on one database that fan out through the Redis
/// named by `QUICKFIX_TEST_REDIS_URL` (on a channel prefix of their own);
/// `None`, with a note, when the variable is unset (CI sets it). Drop the
/// sibling first.
pub async fn redis_pair() -> Option<(TestApp, Sibling)> {
    let Some(server) = std::env::var("QUICKFIX_TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        eprintln!("skipped: needs QUICKFIX_TEST_REDIS_URL (CI sets it)");
        return None;
    };
    let prefix = format!("qf-test-{}", uuid::Uuid::now_v7().simple());
    let redis_url = format!("{}/?channel_prefix={prefix}", server.trim_end_matches('/'));
    let url = redis_url.clone();
    let first = TestApp::spawn_with(move |s| s.redis.url = Some(url)).await;
    let second = first
        .spawn_sibling(move |s| s.redis.url = Some(redis_url))
        .await;
    Some((first, second))
}

/// A booking view as `booking.updated` carries it, for tests that publish
/// events by hand.
pub fn booking_view(
    customer: &str,
    provider: &str,
    status: quickfix_bookings_contract::BookingStatus,
) -> quickfix_bookings_contract::BookingResponse {
    quickfix_bookings_contract::BookingResponse::sample(
        &quickfix_shared::ids::UserId::from_db(customer.to_owned()),
        &quickfix_shared::ids::UserId::from_db(provider.to_owned()),
        status,
    )
}

/// What the database holds beneath the API, for tests of storage itself (a
/// hash's scheme, rows a retention rule deleted). Plain SQL with bound
/// parameters; `$1` binds on both backends.
pub mod stored {
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};
    use quickfix_shared::db::{self, DbPool};

    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = Text)]
        value: String,
    }

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// The text `sql` selects as `value` for `param`, if a row matches.
    pub async fn text(pool: &DbPool, sql: &'static str, param: &str) -> Option<String> {
        let param = param.to_owned();
        db::run(pool, move |conn| {
            diesel::sql_query(sql)
                .bind::<Text, _>(param)
                .get_result::<Value>(conn)
                .optional()
                .map_err(db::DbError::Query)
        })
        .await
        .expect("the query runs")
        .map(|row| row.value)
    }

    /// The count `sql` selects as `n` for `param`.
    pub async fn count(pool: &DbPool, sql: &'static str, param: &str) -> i64 {
        let param = param.to_owned();
        db::run(pool, move |conn| {
            diesel::sql_query(sql)
                .bind::<Text, _>(param)
                .get_result::<Count>(conn)
                .map_err(db::DbError::Query)
        })
        .await
        .expect("the query runs")
        .n
    }

    /// Runs `sql` with two text parameters; answers the rows it changed.
    pub async fn execute(pool: &DbPool, sql: &'static str, first: &str, second: &str) -> usize {
        let (first, second) = (first.to_owned(), second.to_owned());
        db::run(pool, move |conn| {
            diesel::sql_query(sql)
                .bind::<Text, _>(first)
                .bind::<Text, _>(second)
                .execute(conn)
                .map_err(db::DbError::Query)
        })
        .await
        .expect("the statement runs")
    }
}
