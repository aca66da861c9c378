//! `/metrics` stays bounded whatever methods and paths clients invent.

use quickfix_tests::TestApp;
use reqwest::Method;

#[tokio::test]
async fn invented_methods_and_paths_add_no_series_to_the_metrics() {
    let app = TestApp::spawn().await;
    for n in 0..20 {
        let method = Method::from_bytes(format!("FOOBARBAZ{n}").as_bytes()).unwrap();
        let _ = app
            .request(method, &format!("/api/v1/jobs/{n}"))
            .send()
            .await
            .unwrap();
        let _ = app.get(&format!("/no/such/path/{n}")).await;
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        !text.contains("FOOBARBAZ"),
        "invented methods are not labels"
    );
    assert!(text.contains(r#"method="OTHER""#));
    assert!(
        !text.contains("/no/such/path"),
        "unmatched paths are one label"
    );
    assert!(!text.contains("/api/v1/jobs/1\""), "routes are patterns");
    let series = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .count();
    assert!(
        series <= 6,
        "{series} series after 40 odd requests:\n{text}"
    );
}
