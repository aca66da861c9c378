//! Bounds read from the OpenAPI schema of a request type: the one place a
//! limit is declared. A field's `#[schema(min_length = 1, max_length =
//! 120)]` (or `#[param(minimum = 1, maximum = 100)]` on a query parameter)
//! is what the document says and what [`ValidJson`](crate::extract::ValidJson)
//! and [`ValidQuery`](crate::extract::ValidQuery) check, so the two cannot
//! differ. Lengths count Unicode characters; nested objects and array
//! items are checked through their `$ref`s; `null` is an absent value.
//!
//! Rules a schema cannot hold (a slug, a UUID, not blank, cross-field
//! rules) stay `validator` rules or the service's.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use serde_json::{Map, Value};
use utoipa::openapi::path::ParameterIn;
use utoipa::{IntoParams, ToSchema};

use crate::error::FieldError;

/// A type's schema and the components it refers to, as JSON.
struct Compiled {
    root: Value,
    components: Map<String, Value>,
}

fn cache() -> &'static RwLock<HashMap<TypeId, Arc<Compiled>>> {
    static CACHE: OnceLock<RwLock<HashMap<TypeId, Arc<Compiled>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn cached<T: 'static>(compile: impl FnOnce() -> Compiled) -> Arc<Compiled> {
    let id = TypeId::of::<T>();
    if let Some(found) = cache().read().ok().and_then(|map| map.get(&id).cloned()) {
        return found;
    }
    let compiled = Arc::new(compile());
    if let Ok(mut map) = cache().write() {
        map.insert(id, Arc::clone(&compiled));
    }
    compiled
}

fn compiled_schema<T: ToSchema + 'static>() -> Arc<Compiled> {
    cached::<T>(|| {
        let mut referenced = Vec::new();
        T::schemas(&mut referenced);
        Compiled {
            root: serde_json::to_value(T::schema()).unwrap_or_default(),
            components: referenced
                .into_iter()
                .filter_map(|(name, schema)| Some((name, serde_json::to_value(schema).ok()?)))
                .collect(),
        }
    })
}

fn compiled_params<T: IntoParams + 'static>() -> Arc<Compiled> {
    cached::<T>(|| {
        let properties: Map<String, Value> = T::into_params(|| Some(ParameterIn::Query))
            .into_iter()
            .filter_map(|parameter| {
                let schema = serde_json::to_value(parameter.schema?).ok()?;
                Some((parameter.name, schema))
            })
            .collect();
        Compiled {
            root: serde_json::json!({"type": "object", "properties": properties}),
            components: Map::new(),
        }
    })
}

/// The fields of a JSON body outside the bounds `T`'s schema declares.
pub fn check_json<T: ToSchema + 'static>(value: &Value) -> Vec<FieldError> {
    let compiled = compiled_schema::<T>();
    let mut errors = Vec::new();
    check(
        value,
        &compiled.root,
        &compiled.components,
        "",
        &mut errors,
        0,
    );
    errors
}

/// The query parameters outside the bounds `T`'s parameters declare; the
/// values are the query's text, already read into `T` without error.
pub fn check_query<T: IntoParams + 'static>(pairs: &[(String, String)]) -> Vec<FieldError> {
    let compiled = compiled_params::<T>();
    let mut errors = Vec::new();
    for (name, text) in pairs {
        let schema = &compiled.root["properties"][name];
        let value = match number_type(schema) {
            true => text.parse::<f64>().map(Value::from).unwrap_or(Value::Null),
            false => Value::String(text.clone()),
        };
        check(&value, schema, &compiled.components, name, &mut errors, 0);
    }
    errors
}

fn number_type(schema: &Value) -> bool {
    let is_number = |t: &Value| t == "integer" || t == "number";
    match &schema["type"] {
        Value::Array(types) => types.iter().any(is_number),
        other => is_number(other),
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// A bound as the messages show it: `5`, `0.5`, `100000000`.
fn shown(bound: f64) -> String {
    if bound.fract() == 0.0 && bound.abs() < 1e15 {
        format!("{}", bound as i64)
    } else {
        format!("{bound}")
    }
}

fn check(
    value: &Value,
    schema: &Value,
    components: &Map<String, Value>,
    path: &str,
    errors: &mut Vec<FieldError>,
    depth: usize,
) {
    if depth > 16 || value.is_null() {
        return;
    }
    if let Some(name) = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        if let Some(target) = components.get(name) {
            check(value, target, components, path, errors, depth + 1);
        }
        return;
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        check(value, part, components, path, errors, depth + 1);
    }
    // `Option<Thing>` is `oneOf: [null, Thing]`: the one variant that is not
    // null holds the bounds. A real union's variants are left to serde.
    for key in ["oneOf", "anyOf"] {
        let variants: Vec<&Value> = schema[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|variant| variant["type"] != "null")
            .collect();
        if let [only] = variants.as_slice() {
            check(value, only, components, path, errors, depth + 1);
        }
    }
    match value {
        Value::String(text) => {
            let length = text.chars().count() as u64;
            let (min, max) = (schema["minLength"].as_u64(), schema["maxLength"].as_u64());
            if min.is_some_and(|m| length < m) || max.is_some_and(|m| length > m) {
                let message = match (min, max) {
                    (Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
                    (Some(min), None) => format!("must be at least {min} characters long"),
                    (_, max) => format!("must be at most {} characters long", max.unwrap_or(0)),
                };
                errors.push(FieldError::new(path, message));
            }
        }
        Value::Number(number) => {
            let Some(n) = number.as_f64() else {
                return;
            };
            let (min, max) = (schema["minimum"].as_f64(), schema["maximum"].as_f64());
            let above = schema["exclusiveMinimum"].as_f64();
            let refused = min.is_some_and(|m| n < m)
                || max.is_some_and(|m| n > m)
                || above.is_some_and(|m| n <= m);
            if refused {
                let message = match (min.or(above), max) {
                    (Some(min), Some(max)) if above.is_some() => {
                        format!(
                            "must be greater than {} and at most {}",
                            shown(min),
                            shown(max)
                        )
                    }
                    (Some(min), Some(max)) => {
                        format!("must be between {} and {}", shown(min), shown(max))
                    }
                    (Some(min), None) => format!("must be at least {}", shown(min)),
                    (None, max) => format!("must be at most {}", shown(max.unwrap_or(0.0))),
                };
                errors.push(FieldError::new(path, message));
            }
        }
        // serde reads a struct from an array of its fields in order too;
        // the document says object, so only an object is one.
        Value::Array(_) if schema["type"] == "object" => {
            errors.push(FieldError::new(path, "must be an object"));
        }
        Value::Array(items) => {
            let count = items.len() as u64;
            let (min, max) = (schema["minItems"].as_u64(), schema["maxItems"].as_u64());
            if min.is_some_and(|m| count < m) || max.is_some_and(|m| count > m) {
                let message = match (min, max) {
                    (Some(min), Some(max)) => format!("must have {min} to {max} items"),
                    (Some(min), None) => format!("must have at least {min} items"),
                    (_, max) => format!("must have at most {} items", max.unwrap_or(0)),
                };
                errors.push(FieldError::new(path, message));
            }
            for (index, item) in items.iter().enumerate() {
                check(
                    item,
                    &schema["items"],
                    components,
                    &format!("{path}[{index}]"),
                    errors,
                    depth + 1,
                );
            }
        }
        Value::Object(fields) => {
            let Some(properties) = schema["properties"].as_object() else {
                return;
            };
            for (name, field) in fields {
                if let Some(property) = properties.get(name) {
                    check(
                        field,
                        property,
                        components,
                        &join(path, name),
                        errors,
                        depth + 1,
                    );
                }
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, ToSchema)]
    #[expect(dead_code, reason = "only its schema is read")]
    struct Place {
        #[schema(minimum = -90, maximum = 90)]
        lat: f64,
    }

    #[derive(Debug, Deserialize, ToSchema)]
    #[expect(dead_code, reason = "only its schema is read")]
    struct Sample {
        #[schema(min_length = 1, max_length = 5)]
        name: String,
        #[schema(minimum = 1, maximum = 5)]
        stars: Option<i64>,
        #[schema(max_items = 2)]
        tags: Vec<String>,
        place: Option<Place>,
    }

    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    #[expect(dead_code, reason = "only its parameters are read")]
    struct Query {
        #[param(minimum = 1, maximum = 100)]
        limit: Option<u32>,
        #[param(min_length = 1, max_length = 3)]
        q: Option<String>,
    }

    fn fields(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect()
    }

    #[test]
    fn a_body_is_held_to_the_bounds_its_schema_declares() {
        let errors = check_json::<Sample>(&json!({
            "name": "ééééé", "stars": 6, "tags": ["a", "b", "c"], "place": {"lat": 91.5}
        }));
        assert_eq!(
            fields(&errors),
            [
                ("place.lat", "must be between -90 and 90"),
                ("stars", "must be between 1 and 5"),
                ("tags", "must have at most 2 items"),
            ]
        );
        assert!(check_json::<Sample>(&json!({"name": "ab", "stars": null, "tags": []})).is_empty());
        assert_eq!(
            fields(&check_json::<Sample>(&json!({"name": "", "tags": []}))),
            [("name", "must be 1 to 5 characters long")]
        );
    }

    #[test]
    fn a_struct_sent_as_an_array_is_refused() {
        let errors = check_json::<Sample>(&json!({"name": "a", "tags": [], "place": [45.0]}));
        assert_eq!(fields(&errors), vec![("place", "must be an object")]);
    }

    #[test]
    fn a_query_is_held_to_its_parameters_bounds() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            fields(&check_query::<Query>(&pairs(&[
                ("limit", "0"),
                ("q", "abcd")
            ]))),
            [
                ("limit", "must be between 1 and 100"),
                ("q", "must be 1 to 3 characters long")
            ]
        );
        assert!(check_query::<Query>(&pairs(&[("limit", "100"), ("other", "x")])).is_empty());
    }
}
