//! The service endpoints: health, readiness, metrics, Swagger UI.

use std::time::Duration;

use quickfix_tests::{TestApp, assert_problem, json, test_settings};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[tokio::test]
async fn health_answers_ok() {
    let app = TestApp::spawn().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn ready_answers_200_when_the_database_answers() {
    let app = TestApp::spawn().await;
    let response = app.get("/ready").await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["status"], "ready");
}

#[tokio::test]
async fn metrics_are_prometheus_text_counting_requests() {
    let app = TestApp::spawn().await;
    app.get("/health").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            r#"quickfix_http_requests_total{method="GET",route="/health",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("quickfix_db_pool_connections"));
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status(), 307);
    assert_eq!(redirect.headers()["location"], "/docs/");
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger-ui"));
    let initializer = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(initializer.status(), 200);
    assert!(
        initializer
            .text()
            .await
            .unwrap()
            .contains("/api-docs/openapi.json")
    );
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
}

/// A TCP forwarder to PostgreSQL that can be cut and restored, to play a
/// database that goes away and comes back.
struct Outage {
    port: u16,
    target: String,
    task: Option<JoinHandle<()>>,
}

impl Outage {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut outage = Self {
            port,
            target,
            task: None,
        };
        outage.serve(listener);
        outage
    }

    fn serve(&mut self, listener: TcpListener) {
        let target = self.target.clone();
        self.task = Some(tokio::spawn(async move {
            let mut links = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                links.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                    let _ = client.shutdown().await;
                });
            }
        }));
    }

    /// Cuts every open connection and refuses new ones.
    fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

#[tokio::test]
async fn ready_is_503_while_postgres_is_away_and_200_when_it_returns() {
    let probe = quickfix_shared::testing::TestDatabase::new(quickfix_gateway::app::MIGRATIONS);
    if !probe.is_postgres() {
        eprintln!("skipped: needs QUICKFIX_TEST_POSTGRES_URL");
        return;
    }
    let url = probe.url().to_owned();
    let host_port = url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5432")
        .to_owned();
    let mut outage = Outage::start(host_port.clone()).await;
    let proxied = url.replacen(&host_port, &format!("127.0.0.1:{}", outage.port), 1);
    let uploads = tempfile::tempdir().unwrap();
    let mut settings = test_settings(&proxied, &uploads.path().display().to_string());
    settings.database.connect_timeout_secs = 1;
    let app = TestApp::start(settings, probe, uploads).await;
    assert_eq!(app.get("/ready").await.status(), 200);

    outage.cut();
    let response = app.get("/ready").await;
    assert_problem(response, 503, "service_unavailable").await;

    outage.restore().await;
    let mut status = 0;
    for _ in 0..20 {
        status = app.get("/ready").await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(status, 200, "the pool did not recover");
}
