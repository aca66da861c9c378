//! The formats the extractors and services check, stated on the request
//! schemas and parameters: control characters by field, RFC 3339 times,
//! hyphenated UUIDs, slugs, `near`, `radius_km` and `Idempotency-Key`.

use serde_json::{Value, json};

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

/// The component schemas a request body refers to, directly or through
/// other components.
pub(super) fn request_schemas(doc: &Value) -> Vec<String> {
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
pub(super) fn text_patterns(schema: &mut Value, field: Option<&str>) {
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

/// Query text is single-line text; `Idempotency-Key` is 1 to
/// [`MAX_KEY_LEN`] visible ASCII characters.
pub(super) fn finish_parameter(parameter: &mut Value) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_gets_its_fields_control_rule_and_formats_their_own() {
        let mut schema = json!({"type": "object", "properties": {
            "title": {"type": "string"},
            "description": {"type": "string"},
            "category": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "state": {"type": "string", "enum": ["open"]},
            "name": {"type": "string", "pattern": "\\S"},
        }});
        text_patterns(&mut schema, None);
        let property = |name: &str| schema["properties"][name].clone();
        assert_eq!(property("title")["pattern"], SINGLE_LINE);
        assert_eq!(property("description")["pattern"], MULTI_LINE);
        assert_eq!(property("category")["pattern"], SLUG_PATTERN);
        assert_eq!(property("at")["pattern"], DATE_TIME);
        assert!(property("state").get("pattern").is_none());
        assert_eq!(property("name")["pattern"], "\\S");
        assert_eq!(property("name")["allOf"][0]["pattern"], SINGLE_LINE);
    }
}
