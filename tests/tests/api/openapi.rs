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

fn document() -> serde_json::Value {
    serde_json::from_str(COMMITTED).unwrap()
}

#[test]
fn problem_code_is_the_closed_list_of_every_code_the_server_emits() {
    let doc = document();
    let listed: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap())
        .collect();
    let emitted: Vec<&str> = quickfix_shared::ErrorCode::ALL
        .iter()
        .map(|code| code.as_str())
        .collect();
    assert_eq!(
        listed, emitted,
        "the document's codes drifted from ErrorCode"
    );
    let contract = [
        "bad_request",
        "validation_failed",
        "unauthorized",
        "invalid_credentials",
        "forbidden",
        "not_found",
        "method_not_allowed",
        "payload_too_large",
        "rate_limited",
        "service_unavailable",
        "internal",
        "email_taken",
        "wrong_password",
        "refresh_token_reused",
        "job_not_open",
        "offer_not_pending",
        "offer_exists",
        "invalid_transition",
        "booking_not_active",
        "booking_not_completed",
        "already_rated",
        "idempotency_key_reused",
        "quota_exceeded",
        "invalid_token",
        "email_not_verified",
        "account_has_active_bookings",
        "too_many_rounds",
        "dispute_window_closed",
        "account_suspended",
        "blocked",
        "report_closed",
        "account_exists",
        "last_sign_in_method",
    ];
    for code in contract {
        assert!(listed.contains(&code), "the contract's {code} is missing");
    }
}

#[test]
fn every_operation_states_its_security_request_id_and_the_global_limit() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["security"].is_array(), "{method} {path}: no security");
            assert!(
                !op["summary"].as_str().unwrap_or_default().contains('\n'),
                "{method} {path}: a summary of more than a line"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("429"), "{method} {path}: no 429");
            for (status, response) in responses {
                let headers = match response.get("$ref").and_then(|r| r.as_str()) {
                    Some(name) => {
                        let name = name.rsplit('/').next().unwrap();
                        doc["components"]["responses"][name]["headers"].clone()
                    }
                    None => response["headers"].clone(),
                };
                assert!(
                    headers.get("X-Request-Id").is_some(),
                    "{method} {path} {status}: no X-Request-Id"
                );
                if status == "429" || status == "503" {
                    assert!(
                        headers.get("Retry-After").is_some(),
                        "{method} {path} {status}"
                    );
                }
            }
            if op["requestBody"]["content"]
                .get("application/json")
                .is_some()
            {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path}: no {status}"
                    );
                }
            }
        }
    }
    assert!(
        doc["paths"]["/api/v1/auth/login"]["post"]["security"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(doc["paths"].get("/api-docs/openapi.json").is_some());
    assert!(doc["paths"].get("/docs/").is_some());
}

#[test]
fn profiles_are_a_union_discriminated_by_kind_and_pages_refer_to_their_items() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ProfileResponse"]["discriminator"]["propertyName"],
        "kind"
    );
    assert_eq!(
        schemas["ProviderProfile"]["properties"]["kind"]["$ref"],
        "#/components/schemas/ProviderKind"
    );
    assert_eq!(
        schemas["Page_JobResponse"]["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/JobResponse"
    );
    let kinds: Vec<&str> = schemas["NotificationBody"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|variant| variant["properties"]["kind"]["enum"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "offer.created",
            "offer.accepted",
            "offer.countered",
            "offer.revised",
            "offer.expired",
            "job.expired",
            "booking.updated",
            "message.created",
            "rating.created",
            "booking.reminder"
        ],
        "the contract's notification kinds, each with its payload"
    );
    let required = schemas["JobResponse"]["required"].as_array().unwrap();
    for field in ["budget_cents", "scheduled_for"] {
        assert!(
            required.iter().any(|r| r == field),
            "{field} is always sent, so required"
        );
    }
    let limit = doc["paths"]["/api/v1/jobs"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()["schema"]
        .clone();
    assert_eq!(
        (
            limit["minimum"].as_i64(),
            limit["maximum"].as_i64(),
            limit["default"].as_i64()
        ),
        (Some(1), Some(100), Some(20))
    );
}
