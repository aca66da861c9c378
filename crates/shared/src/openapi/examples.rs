//! Examples made from schemas: every JSON request body and 2xx JSON
//! answer shows one, built from the fields' own examples and otherwise from
//! each type, format and bound.

use serde_json::{Map, Value, json};

use super::finish::JSON;
use crate::extract::SLUG_PATTERN;

/// Gives every JSON request body and 2xx JSON response an example made
/// from its schema (the fields' own examples where they have them), so
/// each operation shows a request and an answer; redocly checks each
/// against its schema.
pub(super) fn add_examples(doc: &mut Value) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_example_keeps_to_the_bounds_formats_and_field_examples() {
        let schemas = json!({
            "Item": {"type": "object", "properties": {
                "title": {"type": "string", "example": "Fix the tap"},
                "password": {"type": "string", "minLength": 8},
                "code": {"type": "string", "maxLength": 2},
                "stars": {"type": "integer", "minimum": 1, "maximum": 5},
                "lat": {"type": "number", "minimum": -90, "maximum": 0.5},
                "at": {"type": ["string", "null"], "format": "date-time"},
                "kind": {"enum": ["provider"]},
            }},
        });
        let made = sample(&json!({"$ref": "#/components/schemas/Item"}), &schemas, 0);
        assert_eq!(
            made,
            Some(json!({
                "title": "Fix the tap",
                "password": "textxxxx",
                "code": "te",
                "stars": 1,
                "lat": 0.5,
                "at": "2030-01-15T10:00:00Z",
                "kind": "provider",
            }))
        );
    }
}
