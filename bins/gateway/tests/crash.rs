//! Nothing lost across a crash: the real `quickfix` binary is killed with
//! SIGKILL after a change and its event were committed and before the event
//! reached a consumer; started again on the same database, it delivers the
//! event. PostgreSQL only (it holds the consumer back with a table lock);
//! skipped unless `QUICKFIX_TEST_POSTGRES_URL` is set, which CI sets.
#![expect(
    clippy::unwrap_used,
    reason = "a failed unwrap fails the test, which is the point"
)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use quickfix_shared::testing::{POSTGRES_ENV, TestDatabase};
use serde_json::{Value, json};

/// A running `quickfix serve` on a port of its own.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(database_url: &str, uploads: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_quickfix"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("QUICKFIX_SERVER__HOST", "127.0.0.1")
            .env("QUICKFIX_SERVER__PORT", port.to_string())
            .env("QUICKFIX_SERVER__WORKERS", "1")
            .env("QUICKFIX_AUTH__BCRYPT_COST", "4")
            .env("QUICKFIX_RATE_LIMIT__ENABLED", "false")
            .env("QUICKFIX_STORAGE__PATH", uploads)
            .env("QUICKFIX_EMAIL__DIR", format!("{uploads}/mail"))
            .env("QUICKFIX_APP__ENV", "test")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            let ready = client.get(format!("{}/ready", server.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not get ready");
    }

    /// SIGKILL: no shutdown, no flush, nothing after this instruction.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    async fn call(&self, token: Option<&str>, path: &str, body: Option<Value>) -> Value {
        let client = reqwest::Client::new();
        let url = format!("{}/api/v1{path}", self.base);
        let mut request = match &body {
            Some(body) => client.post(url).json(body),
            None => client.get(url),
        };
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    async fn register(&self, role: &str) -> (String, String) {
        let email = format!("{role}-{}@example.com", uuid::Uuid::now_v7().simple());
        let body =
            json!({"email": email, "password": "a-good-password", "role": role, "name": role});
        let registered = self.call(None, "/auth/register", Some(body)).await;
        (
            registered["user"]["id"].as_str().unwrap().to_owned(),
            registered["access_token"].as_str().unwrap().to_owned(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn text(conn: &mut PgConnection, sql: &str, param: &str) -> String {
    diesel::sql_query(sql)
        .bind::<Text, _>(param)
        .get_result::<Found>(conn)
        .unwrap()
        .value
}

#[tokio::test]
async fn an_event_committed_before_a_sigkill_is_delivered_after_the_restart() {
    if std::env::var(POSTGRES_ENV).is_err() {
        eprintln!("skipped: set {POSTGRES_ENV} to run the crash test");
        return;
    }
    let db = TestDatabase::new(quickfix_gateway::app::MIGRATIONS);
    let uploads = tempfile::tempdir().unwrap();
    let uploads = uploads.path().display().to_string();
    let server = Server::start(db.url(), &uploads).await;

    let (_, customer) = server.register("customer").await;
    let (_, provider) = server.register("provider").await;
    let job = server
        .call(
            Some(&customer),
            "/jobs",
            Some(json!({"title": "Fix the boiler", "description": "It knocks at night.",
                        "category": "plumbing", "location": {"address": "1 Main St", "lat": 38.7, "lng": -9.1}})),
        )
        .await;
    let job_id = job["id"].as_str().unwrap().to_owned();
    let offer = server
        .call(
            Some(&provider),
            &format!("/jobs/{job_id}/offers"),
            Some(json!({"price_cents": 9000, "message": "Tomorrow morning."})),
        )
        .await;
    let offer_id = offer["id"].as_str().unwrap();
    let booking = server
        .call(
            Some(&customer),
            &format!("/jobs/{job_id}/offers/{offer_id}/accept"),
            Some(json!({})),
        )
        .await;
    let booking_id = booking["id"].as_str().unwrap().to_owned();
    server
        .call(
            Some(&provider),
            &format!("/bookings/{booking_id}/start"),
            Some(json!({})),
        )
        .await;

    // Hold the jobs crate's consumer back: its mirror of the booking's end
    // waits for this lock, after the completion and its event committed.
    let mut lock = PgConnection::establish(db.url()).unwrap();
    diesel::sql_query("BEGIN").execute(&mut lock).unwrap();
    diesel::sql_query("LOCK TABLE jobs IN EXCLUSIVE MODE")
        .execute(&mut lock)
        .unwrap();
    let complete = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/bookings/{booking_id}/complete",
            server.base
        ))
        .bearer_auth(&provider)
        .json(&json!({}))
        .timeout(Duration::from_millis(1500))
        .send()
        .await;
    assert!(
        complete.is_err(),
        "the handler waits for the held-back consumer"
    );
    assert_eq!(
        text(
            &mut lock,
            "SELECT status AS value FROM bookings WHERE id = $1",
            &booking_id
        ),
        "completed",
        "the change committed"
    );
    let stored = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'booking.updated' AND subject_id = $1",
    )
    .bind::<Text, _>(&booking_id)
    .get_result::<Count>(&mut lock)
    .unwrap()
    .n;
    assert_eq!(
        stored, 3,
        "made, started and completed: stored with each change"
    );
    assert_eq!(
        text(
            &mut lock,
            "SELECT status AS value FROM jobs WHERE id = $1",
            &job_id
        ),
        "booked",
        "the consumer has not run"
    );

    server.kill();
    diesel::sql_query("ROLLBACK").execute(&mut lock).unwrap();
    drop(lock);

    let restarted = Server::start(db.url(), &uploads).await;
    let mut status = String::new();
    for _ in 0..100 {
        let job = restarted
            .call(Some(&customer), &format!("/jobs/{job_id}"), None)
            .await;
        status = job["status"].as_str().unwrap().to_owned();
        if status == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status, "completed",
        "the restarted server's sweeper delivered the committed event"
    );
}
