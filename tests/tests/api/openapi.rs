//! The OpenAPI document: served, committed, complete.

use quickfix_tests::{TestApp, json};

const COMMITTED: &str = include_str!("../../../docs/openapi.json");

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let app = TestApp::spawn().await;
    let response = app.get("/api-docs/openapi.json").await;
    assert_eq!(response.status(), 200);
    let served = json(response).await;
    let committed: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(
        served, committed,
        "regenerate docs/openapi.json with `cargo run -- openapi --output docs/openapi.json`"
    );
}

#[test]
fn docs_openapi_json_is_current() {
    let generated = quickfix_gateway::openapi::document_json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json"),
            &generated,
        )
        .unwrap();
        return;
    }
    assert!(
        generated == COMMITTED,
        "docs/openapi.json is stale: run `cargo run -- openapi --output docs/openapi.json`"
    );
}

#[test]
fn every_operation_documents_its_responses_and_has_an_id() {
    let doc: serde_json::Value =
        serde_json::from_str(&quickfix_gateway::openapi::document_json()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/health") && paths.contains_key("/ready"));
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["operationId"].is_string(),
                "{method} {path} has no operationId"
            );
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
            let secured = op
                .get("security")
                .is_some_and(|s| !s.as_array().unwrap().is_empty());
            let answers_401 = op["responses"].get("401").is_some();
            assert!(
                !secured || answers_401,
                "{method} {path}: a secured operation must document 401"
            );
        }
    }
}
