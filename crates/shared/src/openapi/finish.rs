//! What the shared plumbing does for every operation, stated once in the
//! document: the request-id header on every answer, the global per-IP
//! limit's 429, the JSON and multipart extractors' 400/413/415/422, the
//! pool's 503, `Retry-After`, `Location` on every 201 (each creating route
//! sets it), `security: []` on public operations, page items by reference,
//! the text, time, id and slug formats the extractors and services check,
//! and one-line summaries.
//!
//! Each rule here mirrors code that runs for every request (the middleware
//! in the gateway, the extractors in [`crate::extract`]), so it is declared
//! where that code is, not repeated on each operation.

use serde_json::{Map, Value, json};

use super::examples::add_examples;
use super::formats::{finish_parameter, request_schemas, text_patterns};

/// Operations that touch no database and so never answer 503.
const WITHOUT_DATABASE: &[&str] = &["get_health", "get_metrics", "get_openapi", "get_docs"];

/// The media type of JSON bodies.
pub(super) const JSON: &str = "application/json";
/// The media type of uploads.
const MULTIPART: &str = "multipart/form-data";

/// Options of the finishing pass.
#[derive(Debug, Clone, Default)]
pub struct Finish {
    /// The `servers` entries (url, description).
    pub servers: Vec<(String, String)>,
}

/// Applies the shared conventions to a document serialized as JSON.
pub fn finish(doc: &mut Value, options: &Finish) {
    doc["servers"] = options
        .servers
        .iter()
        .map(|(url, description)| json!({"url": url, "description": description}))
        .collect();
    add_headers(doc);
    let schemas = doc["components"]["schemas"].clone();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for op in item.values_mut() {
                if let Some(op) = op.as_object_mut() {
                    finish_operation(op);
                }
            }
        }
    }
    if let Some(responses) = doc["components"]["responses"].as_object_mut() {
        for (name, response) in responses.iter_mut() {
            add_response_headers(
                response,
                name == "TooManyRequests" || name == "ServiceUnavailable",
            );
        }
    }
    if let Some(schemas_mut) = doc["components"]["schemas"].as_object_mut() {
        reference_page_items(schemas_mut, &schemas);
    }
    let requests = request_schemas(doc);
    if let Some(schemas_mut) = doc["components"]["schemas"].as_object_mut() {
        for name in requests {
            if let Some(schema) = schemas_mut.get_mut(&name) {
                text_patterns(schema, None);
            }
        }
    }
    add_examples(doc);
}

fn add_headers(doc: &mut Value) {
    let components = &mut doc["components"];
    components["headers"] = json!({
        "X-Request-Id": {
            "description": "The request's id: the client's `X-Request-Id` when it sent a valid one (1 to 128 visible ASCII characters), else a new UUID v7. Problem bodies carry it as `request_id`.",
            "required": true,
            "schema": {"type": "string", "minLength": 1, "maxLength": 128},
            "example": "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10"
        },
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": true,
            "schema": {"type": "integer", "minimum": 1},
            "example": 30
        },
        "Location": {
            "description": "Where the created resource is read: its own URL, or the list it joined where it has none (an offer, a message, a rating, a category, a catalog service).",
            "required": true,
            "schema": {"type": "string", "format": "uri-reference"},
            "example": "/api/v1/jobs/0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10"
        }
    });
}

fn header_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/headers/{name}")})
}

fn response_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/responses/{name}")})
}

fn finish_operation(op: &mut Map<String, Value>) {
    if !op.contains_key("security") {
        op.insert("security".into(), json!([]));
    }
    split_summary(op);
    let operation_id = op
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let body_types: Vec<String> = op
        .get("requestBody")
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object)
        .map(|content| content.keys().cloned().collect())
        .unwrap_or_default();
    let reads_body = body_types.iter().any(|t| t == JSON || t == MULTIPART);
    if let Some(parameters) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for parameter in parameters {
            finish_parameter(parameter);
        }
    }
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let mut ensure = |status: &str, name: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| response_ref(name));
    };
    ensure("429", "TooManyRequests");
    if reads_body {
        ensure("400", "BadRequest");
        ensure("413", "PayloadTooLarge");
        ensure("415", "UnsupportedMediaType");
        ensure("422", "ValidationFailed");
    }
    if !WITHOUT_DATABASE.contains(&operation_id.as_str()) {
        ensure("503", "ServiceUnavailable");
    }
    for (status, response) in responses.iter_mut() {
        if response.get("$ref").is_none() {
            add_response_headers(response, status == "429" || status == "503");
            if status == "201" {
                response["headers"]["Location"] = header_ref("Location");
            }
        }
    }
}

/// Every answer carries `X-Request-Id`; 429 and 503 also `Retry-After`.
fn add_response_headers(response: &mut Value, retry_after: bool) {
    let Some(response) = response.as_object_mut() else {
        return;
    };
    let headers = response
        .entry("headers")
        .or_insert_with(|| Value::Object(Map::new()));
    headers["X-Request-Id"] = header_ref("X-Request-Id");
    if retry_after {
        headers["Retry-After"] = header_ref("Retry-After");
    }
}

/// `summary` is the first sentence; the rest of that paragraph leads the
/// description.
fn split_summary(op: &mut Map<String, Value>) {
    let Some(summary) = op.get("summary").and_then(Value::as_str) else {
        return;
    };
    let flat = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let (first, rest) = match flat.find(". ") {
        Some(end) => (flat[..=end].to_owned(), flat[end + 2..].to_owned()),
        None => (flat.clone(), String::new()),
    };
    let first = first.trim_end_matches('.').to_owned();
    let description = op
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let description = match (rest.is_empty(), description.is_empty()) {
        (true, _) => description,
        (false, true) => rest,
        (false, false) => format!("{rest}\n\n{description}"),
    };
    op.insert("summary".into(), json!(first));
    if description.is_empty() {
        op.remove("description");
    } else {
        op.insert("description".into(), json!(description));
    }
}

/// `Page_<Item>` schemas refer to their item's component instead of
/// inlining it, so clients get one `<Item>` type.
fn reference_page_items(schemas: &mut Map<String, Value>, all: &Value) {
    for (name, schema) in schemas.iter_mut() {
        let Some(item) = name.strip_prefix("Page_") else {
            continue;
        };
        if all.get(item).is_some() {
            schema["properties"]["items"]["items"] =
                json!({"$ref": format!("#/components/schemas/{item}")});
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_public_operation_says_so_and_a_json_body_brings_the_extractors_statuses() {
        let mut op = operation(json!({
            "operationId": "register",
            "summary": "Registers a user. Answers the tokens.",
            "requestBody": {"content": {"application/json": {}}},
            "responses": {"201": {"description": "made"}}
        }));
        finish_operation(&mut op);
        assert_eq!(op["security"], json!([]));
        assert_eq!(op["summary"], json!("Registers a user"));
        assert_eq!(op["description"], json!("Answers the tokens."));
        for status in ["400", "413", "415", "422", "429", "503"] {
            assert!(op["responses"].get(status).is_some(), "{status}");
        }
        assert_eq!(
            op["responses"]["201"]["headers"]["X-Request-Id"],
            header_ref("X-Request-Id")
        );
    }

    #[test]
    fn the_health_check_keeps_its_security_and_never_answers_503() {
        let mut op = operation(json!({
            "operationId": "get_health",
            "security": [{"bearer": []}],
            "responses": {"200": {"description": "ok"}}
        }));
        finish_operation(&mut op);
        assert_eq!(op["security"], json!([{"bearer": []}]));
        assert!(op["responses"].get("503").is_none());
        assert!(op["responses"].get("415").is_none());
    }
}
