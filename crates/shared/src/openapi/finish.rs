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

use crate::extract::SLUG_PATTERN;
use crate::geo::{MAX_RADIUS_KM, NEAR_PATTERN};
use crate::idempotency::MAX_KEY_LEN;
use crate::text::is_multi_line;

/// A single-line text field: no C0 control character and no DEL
/// ([`crate::text`]'s rule).
const SINGLE_LINE: &str = "^[^\\u0000-\\u001F\\u007F]*$";
/// An RFC 3339 time as the server reads it (`chrono`).
const DATE_TIME: &str = "^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$";
/// A hyphenated UUID, as ids are written.
const UUID: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/// A multi-line text field: tab, line feed, and a carriage return only
/// before a line feed, besides what a single line allows.
const MULTI_LINE: &str = "^(?:[^\\u0000-\\u0008\\u000B-\\u001F\\u007F]|\\r\\n)*$";

/// Operations that touch no database and so never answer 503.
const WITHOUT_DATABASE: &[&str] = &["get_health", "get_metrics", "get_openapi", "get_docs"];

/// Operations whose extractor reads a body, keyed by media type.
const JSON: &str = "application/json";
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

/// Gives every JSON request body and 2xx JSON response an example made
/// from its schema (the fields' own examples where they have them), so
/// each operation shows a request and an answer; redocly checks each
/// against its schema.
fn add_examples(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].clone();
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|ops| ops.values_mut())
        {
            if let Some(media) = op
                .get_mut("requestBody")
                .and_then(|body| body.get_mut("content"))
                .and_then(|content| content.get_mut(JSON))
            {
                example_for(media, &schemas);
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            for (status, response) in responses.iter_mut() {
                if status.starts_with('2')
                    && let Some(media) = response
                        .get_mut("content")
                        .and_then(|content| content.get_mut(JSON))
                {
                    example_for(media, &schemas);
                }
            }
        }
    }
}

fn example_for(media: &mut Value, schemas: &Value) {
    if media.get("example").is_some() {
        return;
    }
    if let Some(example) = sample(&media["schema"], schemas, 0) {
        media["example"] = example;
    }
}

/// A value that satisfies `schema`: its example, else one made from its
/// type, format, bounds and properties.
fn sample(schema: &Value, schemas: &Value, depth: usize) -> Option<Value> {
    if depth > 32 {
        return None;
    }
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    if let Some(name) = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        return sample(&schemas[name], schemas, depth + 1);
    }
    if let Some(value) = schema.get("const") {
        return Some(value.clone());
    }
    if let Some(first) = schema["enum"]
        .as_array()
        .and_then(|values| values.iter().find(|v| !v.is_null()))
    {
        return Some(first.clone());
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(variants) = schema[key].as_array() {
            return variants
                .iter()
                .filter(|v| v["type"] != "null")
                .find_map(|v| sample(v, schemas, depth + 1));
        }
    }
    if let Some(parts) = schema["allOf"]
        .as_array()
        .filter(|_| schema.get("type").is_none())
    {
        let mut merged = Map::new();
        for part in parts {
            if let Some(Value::Object(fields)) = sample(part, schemas, depth + 1) {
                merged.extend(fields);
            }
        }
        return Some(Value::Object(merged));
    }
    let kind = match &schema["type"] {
        Value::String(kind) => kind.as_str(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")?,
        _ if schema.get("properties").is_some() => "object",
        _ => return None,
    };
    match kind {
        "object" => {
            let mut fields = Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                if let Some(value) = sample(property, schemas, depth + 1) {
                    fields.insert(name.clone(), value);
                }
            }
            Some(Value::Object(fields))
        }
        "array" => Some(json!([sample(&schema["items"], schemas, depth + 1)?])),
        "string" => sample_string(schema),
        "integer" => {
            let low = schema["minimum"].as_i64().unwrap_or(1).max(1);
            Some(json!(
                schema["maximum"].as_i64().map_or(low, |high| low.min(high))
            ))
        }
        "number" => {
            let low = schema["minimum"].as_f64().unwrap_or(1.0).max(1.0);
            Some(json!(
                schema["maximum"].as_f64().map_or(low, |high| low.min(high))
            ))
        }
        "boolean" => Some(json!(true)),
        _ => None,
    }
}

fn sample_string(schema: &Value) -> Option<Value> {
    let text = match (schema["format"].as_str(), schema["pattern"].as_str()) {
        (Some("binary"), _) => return None,
        (Some("date-time"), _) => "2030-01-15T10:00:00Z".to_owned(),
        (Some("uuid"), _) => "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10".to_owned(),
        (Some("email"), _) => "ana@example.com".to_owned(),
        (Some("uri-reference" | "uri"), _) => "/api/v1/jobs".to_owned(),
        (_, Some(SLUG_PATTERN)) => "plumbing".to_owned(),
        _ => "text".to_owned(),
    };
    let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
    let max = schema["maxLength"]
        .as_u64()
        .map_or(usize::MAX, |max| max as usize);
    let mut text: String = text.chars().take(max).collect();
    while text.chars().count() < min {
        text.push('x');
    }
    Some(json!(text))
}

/// The component schemas a request body refers to, directly or through
/// other components.
fn request_schemas(doc: &Value) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for item in paths.values() {
            for op in item.as_object().into_iter().flat_map(|ops| ops.values()) {
                collect_refs(&op["requestBody"], &mut pending);
            }
        }
    }
    while let Some(name) = pending.pop() {
        if found.contains(&name) {
            continue;
        }
        collect_refs(&doc["components"]["schemas"][&name], &mut pending);
        found.push(name);
    }
    found
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            if let Some(name) = fields
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.push(name.to_owned());
            }
            fields.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Gives every free-text string of a request schema the control-character
/// pattern of its field (multi-line by name, as the extractors decide).
fn text_patterns(schema: &mut Value, field: Option<&str>) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let is_string = match object.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
        _ => false,
    };
    if is_string {
        let format = object
            .get("format")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let fixed = ["enum", "const", "$ref"]
            .iter()
            .any(|k| object.contains_key(*k));
        let text = if field.is_some_and(is_multi_line) {
            MULTI_LINE
        } else {
            SINGLE_LINE
        };
        let slug = matches!(field, Some("category" | "slug"));
        match format.as_deref() {
            None if slug && !fixed => {
                object.insert("pattern".into(), json!(SLUG_PATTERN));
            }
            Some("date-time") => {
                object.insert("pattern".into(), json!(DATE_TIME));
            }
            Some("uuid") => {
                object.insert("pattern".into(), json!(UUID));
            }
            Some(_) => {}
            None if fixed => {}
            None if object.contains_key("pattern") => {
                object.insert("allOf".into(), json!([{"pattern": text}]));
            }
            None => {
                object.insert("pattern".into(), json!(text));
            }
        }
    }
    if let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, property) in properties.iter_mut() {
            text_patterns(property, Some(name));
        }
    }
    if let Some(items) = object.get_mut("items") {
        text_patterns(items, field);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(Value::Array(variants)) = object.get_mut(key) {
            for variant in variants {
                text_patterns(variant, field);
            }
        }
    }
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

/// Query text is single-line text; `Idempotency-Key` is 1 to
/// [`MAX_KEY_LEN`] visible ASCII characters.
fn finish_parameter(parameter: &mut Value) {
    let name = parameter["name"].as_str().unwrap_or_default().to_owned();
    match parameter["in"].as_str() {
        Some("header") if name == "Idempotency-Key" => {
            parameter["schema"] = json!({
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_KEY_LEN,
                "pattern": "^[!-~]+$",
            });
        }
        Some("query") if name == "near" => {
            parameter["schema"]["pattern"] = json!(NEAR_PATTERN);
        }
        Some("query") if name == "radius_km" => {
            parameter["schema"]["exclusiveMinimum"] = json!(0);
            parameter["schema"]["maximum"] = json!(MAX_RADIUS_KM);
        }
        Some("query") => text_patterns(&mut parameter["schema"], Some(&name)),
        _ => {}
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
