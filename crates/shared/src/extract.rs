//! Request extractors that turn bad input into problem+json: `ValidJson`
//! (400 malformed, 413 too large, 415 not JSON, 422 invalid fields) and
//! `ValidQuery` (400 malformed, 422 invalid), plus the path error handler.
//!
//! Decision (documented in `docs/conventions.md`): syntax errors and values of
//! the wrong JSON type are 400; a missing required field, an unknown enum
//! value and a failed rule are 422 with the field named.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::bounds;
use crate::error::{ApiError, FieldError};
use crate::text;

/// The largest JSON body accepted, in bytes; registered as app data (the
/// default is 1 MiB).
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

impl Default for JsonLimit {
    fn default() -> Self {
        Self(1024 * 1024)
    }
}

/// A JSON body, deserialized and validated.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T> ValidJson<T> {
    /// The inner value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for ValidJson<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> FromRequest for ValidJson<T>
where
    T: DeserializeOwned + Validate + ToSchema + 'static,
{
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<JsonLimit>()
            .or_else(|| req.app_data::<web::Data<JsonLimit>>().map(|d| d.get_ref()))
            .copied()
            .unwrap_or_default()
            .0;
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::unsupported_media_type("application/json"));
            }
            if declared_len.is_some_and(|len| len > limit) {
                return Err(ApiError::payload_too_large(limit));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|_| ApiError::bad_request("the request body could not be read"))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::payload_too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            parse_bounded_json::<T>(&body).map(ValidJson)
        })
    }
}

/// Deserializes JSON, naming the failing field's path. Control characters
/// in strings are refused (or line ends normalised) first, by the shared
/// [`text`](crate::text) rule; integral floats are read as integers.
#[cfg(test)]
fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    read_json(body).map(|(value, _)| value)
}

/// A JSON body read as `T` (control characters refused, integral floats
/// read as integers), then held to the bounds `T`'s schema declares
/// ([`bounds`](crate::bounds)): 422 naming every field outside them.
pub fn parse_bounded_json<T: DeserializeOwned + Validate + ToSchema + 'static>(
    body: &[u8],
) -> Result<T, ApiError> {
    let (value, json) = read_json::<T>(body)?;
    let mut errors = bounds::check_json::<T>(&json);
    errors.extend(validation_fields(value.validate()));
    finish_validation(value, errors)
}

/// `value` when nothing failed, else 422 listing every failed field once,
/// in field order.
fn finish_validation<T>(value: T, mut errors: Vec<FieldError>) -> Result<T, ApiError> {
    if errors.is_empty() {
        return Ok(value);
    }
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    errors.dedup();
    Err(ApiError::validation(errors))
}

/// The request read as `T`, and the JSON as sent (unknown keys removed
/// where the text rule needed that), before any line end was normalised:
/// bounds count a value as the client sent it, as the document does.
fn read_json<T: DeserializeOwned>(body: &[u8]) -> Result<(T, serde_json::Value), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the request body is empty; expected JSON",
        ));
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object",
        ));
    }
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|err| {
        ApiError::bad_request(format!(
            "malformed JSON: {}",
            strip_position(&err.to_string())
        ))
    })?;
    integral_floats_to_integers(&mut value);
    let mut sent = None;
    if text::json_may_hold_controls(body) {
        for path in ignored_paths::<T>(&value) {
            remove_path(&mut value, &path);
        }
        sent = Some(value.clone());
        text::check_json(&mut value)?;
    }
    let read = serde_path_to_error::deserialize(&value).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        classify(&path, &inner.to_string(), true)
    })?;
    Ok((read, sent.unwrap_or(value)))
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The paths of the keys `T` does not read: they are no field of the
/// request, so the text rule (and with it a 422) does not reach them.
fn ignored_paths<T: DeserializeOwned>(value: &serde_json::Value) -> Vec<Vec<Step>> {
    let mut ignored = Vec::new();
    let _: Result<T, _> = serde_ignored::deserialize(value, |path| ignored.push(steps(&path)));
    ignored
}

fn steps(path: &serde_ignored::Path<'_>) -> Vec<Step> {
    use serde_ignored::Path;
    match path {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => {
            let mut steps = steps(parent);
            steps.push(Step::Index(*index));
            steps
        }
        Path::Map { parent, key } => {
            let mut steps = steps(parent);
            steps.push(Step::Key(key.clone()));
            steps
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => steps(parent),
    }
}

fn remove_path(value: &mut serde_json::Value, path: &[Step]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = value;
    for step in parents {
        let next = match (step, at) {
            (Step::Key(key), serde_json::Value::Object(fields)) => fields.get_mut(key),
            (Step::Index(index), serde_json::Value::Array(items)) => items.get_mut(*index),
            _ => None,
        };
        match next {
            Some(next) => at = next,
            None => return,
        }
    }
    if let (Step::Key(key), serde_json::Value::Object(fields)) = (last, at) {
        fields.remove(key);
    }
}

/// Replaces every float with no fractional part that fits an `i64` by that
/// integer; whether anything changed.
fn integral_floats_to_integers(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(number) => match number.as_f64() {
            Some(float)
                if number.is_f64()
                    && float.fract() == 0.0
                    && float >= i64::MIN as f64
                    && float < i64::MAX as f64 =>
            {
                *value = serde_json::Value::from(float as i64);
                true
            }
            _ => false,
        },
        serde_json::Value::Array(items) => {
            let mut changed = false;
            for item in items {
                changed |= integral_floats_to_integers(item);
            }
            changed
        }
        serde_json::Value::Object(fields) => {
            let mut changed = false;
            for item in fields.values_mut() {
                changed |= integral_floats_to_integers(item);
            }
            changed
        }
        _ => false,
    }
}

/// Turns a deserialization failure into 400 or 422.
fn classify(path: &str, message: &str, is_data: bool) -> ApiError {
    let message = strip_position(message);
    if is_data && message.starts_with("invalid value: integer") {
        return ApiError::invalid_field(path, "is out of range");
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        let full = if path == "." || path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        };
        return ApiError::invalid_field(full, "is required");
    }
    if is_data && message.starts_with("unknown variant") {
        return ApiError::invalid_field(path, message);
    }
    if is_data && path != "." && !path.is_empty() {
        return ApiError::bad_request(format!("invalid value at `{path}`: {message}"));
    }
    ApiError::bad_request(format!("malformed JSON: {message}"))
}

/// serde_json appends " at line L column C"; clients need not see it twice.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(idx) => &message[..idx],
        None => message,
    }
}

/// A query string, deserialized and validated.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<T> ValidQuery<T> {
    /// The inner value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for ValidQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> FromRequest for ValidQuery<T>
where
    T: DeserializeOwned + Validate + IntoParams + 'static,
{
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_bounded_query::<T>(req.query_string()).map(ValidQuery))
    }
}

/// A query string read as `T`, also holding each parameter to the bounds `T`'s
/// parameters declare ([`bounds`](crate::bounds)).
pub fn parse_bounded_query<T: DeserializeOwned + Validate + IntoParams + 'static>(
    query: &str,
) -> Result<T, ApiError> {
    let value = read_query::<T>(query)?;
    let pairs: Vec<(String, String)> = form_urlencoded_parse(query)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut errors = bounds::check_query::<T>(&pairs);
    errors.extend(validation_fields(value.validate()));
    finish_validation(value, errors)
}

/// Parses and validates a query string.
#[cfg(test)]
fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, ApiError> {
    let value = read_query::<T>(query)?;
    value.validate().map_err(validation_error)?;
    Ok(value)
}

/// A query string read as `T`: control characters refused, types checked.
fn read_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    for (name, value) in form_urlencoded_parse(query) {
        text::check_line(&name, &name)
            .and_then(|()| text::check_line(&name, &value))
            .map_err(|field| ApiError::validation(vec![field]))?;
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
    let value: T = serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        if let Some(rest) = message.strip_prefix("missing field `") {
            let field = rest.split('`').next().unwrap_or_default();
            ApiError::invalid_field(field, "is required")
        } else if message.starts_with("unknown variant") {
            ApiError::invalid_field(path, message)
        } else if is_out_of_range_integer(query, &path) {
            ApiError::invalid_field(path, "is out of range")
        } else {
            ApiError::bad_request(format!("invalid query parameter `{path}`: {message}"))
        }
    })?;
    Ok(value)
}

/// Whether the query parameter `name` is written as an integer (digits with
/// an optional sign): a failure to read it is then its range, not its type.
fn is_out_of_range_integer(query: &str, name: &str) -> bool {
    form_urlencoded_parse(query).any(|(key, value)| {
        let digits = value.strip_prefix(['-', '+']).unwrap_or(&value);
        key == name && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// Converts validator's errors into a 422 listing every field.
pub fn validation_error(errors: ValidationErrors) -> ApiError {
    let mut fields = validation_fields(Err(errors));
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    ApiError::validation(fields)
}

/// The fields validator's rules refused, if any.
fn validation_fields(outcome: Result<(), ValidationErrors>) -> Vec<FieldError> {
    let mut fields = Vec::new();
    if let Err(errors) = outcome {
        collect(&errors, "", &mut fields);
    }
    fields
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for err in list {
                    let message = err
                        .message
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| describe(err));
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// A readable message for a validator rule without a custom one.
fn describe(err: &validator::ValidationError) -> String {
    let param = |name: &str| err.params.get(name).map(ToString::to_string);
    match err.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
            (Some(min), None) => format!("must be at least {min} characters long"),
            (None, Some(max)) => format!("must be at most {max} characters long"),
            _ => "has an invalid length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".to_owned(),
        },
        "email" => "must be an email address".to_owned(),
        "url" => "must be a URL".to_owned(),
        other => format!("is invalid ({other})"),
    }
}

/// Deserializes a field that distinguishes "absent" (`None`, with
/// `#[serde(default)]`) from "null" (`Some(None)`), for PATCH bodies.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// A slug as the OpenAPI document states it: what [`is_slug`] accepts.
pub const SLUG_PATTERN: &str = "^[a-z0-9-]{1,50}$";

/// Whether `value` is a slug: 1 to 50 lower-case ASCII letters, digits and
/// dashes (category slugs).
pub fn is_slug(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 50
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Path parameters that do not parse name nothing that exists: 404.
pub fn path_error_handler(
    _err: actix_web::error::PathError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::not_found("resource").into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate, ToSchema)]
    struct Note {
        #[schema(max_length = 4)]
        description: String,
    }

    #[test]
    fn a_bound_counts_a_multi_line_value_as_sent_not_as_normalised() {
        let five = parse_bounded_json::<Note>(br#"{"description": "ab\ncd"}"#);
        assert!(five.is_err(), "5 characters");
        let at = parse_bounded_json::<Note>(br#"{"description": "a\r\nb"}"#).expect("4 as sent");
        assert_eq!(at.description, "a\nb", "stored normalised");
        let over = parse_bounded_json::<Note>(br#"{"description": "ab\r\ncd"}"#);
        assert!(over.is_err(), "6 as sent, though 5 normalised");
    }

    #[derive(Debug, Deserialize, Validate)]
    struct Sample {
        #[validate(length(min = 1, max = 5))]
        name: String,
        #[expect(dead_code, reason = "only deserialized")]
        count: u32,
        #[serde(default)]
        #[expect(dead_code, reason = "only deserialized")]
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        One,
    }

    fn status_of(body: &str) -> StatusCode {
        match parse_json::<Sample>(body.as_bytes()).and_then(|s| {
            s.validate().map_err(validation_error)?;
            Ok(s)
        }) {
            Ok(_) => StatusCode::OK,
            Err(err) => err.status(),
        }
    }

    #[test]
    fn json_errors_are_classified() {
        assert_eq!(status_of(r#"{"name":"ab","count":1}"#), StatusCode::OK);
        assert_eq!(
            status_of(r#"{"name":"ab","count":1"#),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status_of(r#"{"name":"ab","count":"x"}"#),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(status_of(""), StatusCode::BAD_REQUEST);
        assert_eq!(
            status_of(r#"{"name":"ab"}"#),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status_of(r#"{"name":"ab","count":1,"kind":"two"}"#),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status_of(r#"{"name":"toolong","count":1}"#),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn an_integer_out_of_its_range_is_422_naming_it_and_an_integral_float_is_an_integer() {
        for body in [
            r#"{"name":"ab","count":-1}"#,
            r#"{"name":"ab","count":9223372036854775808}"#,
        ] {
            let err = parse_json::<Sample>(body.as_bytes()).expect_err(body);
            assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(err.field_errors()[0].field, "count");
        }
        assert_eq!(status_of(r#"{"name":"ab","count":2.0}"#), StatusCode::OK);
        assert_eq!(
            status_of(r#"{"name":"ab","count":2.5}"#),
            StatusCode::BAD_REQUEST
        );
    }

    #[derive(Debug, Deserialize, Validate)]
    struct Paging {
        #[expect(dead_code, reason = "only deserialized")]
        limit: Option<u32>,
    }

    #[test]
    fn a_query_integer_out_of_range_is_422_and_a_float_is_400() {
        for query in ["limit=-1", "limit=99999999999999999999"] {
            let err = parse_query::<Paging>(query).expect_err(query);
            assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        }
        let err = parse_query::<Paging>("limit=1.5").expect_err("a float");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_key_the_request_does_not_read_is_ignored_even_with_control_characters() {
        assert_eq!(
            status_of("{\"name\":\"ab\",\"count\":1,\"x\\u0001\":{\"y\":\"\\u0002\"}}"),
            StatusCode::OK
        );
        assert_eq!(
            status_of("{\"name\":\"a\\u0001\",\"count\":1}"),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_400_even_where_serde_would_read_an_array() {
        assert_eq!(status_of(r#"["ab", 1]"#), StatusCode::BAD_REQUEST);
        assert_eq!(status_of("1"), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn missing_fields_are_named() {
        let err = parse_json::<Sample>(br#"{"name":"a"}"#).expect_err("count is missing");
        assert_eq!(err.field_errors()[0].field, "count");
    }

    #[test]
    fn slugs_are_lower_case_words_and_dashes() {
        assert!(is_slug("appliance-repair"));
        assert!(!is_slug("Plumbing"));
        assert!(!is_slug("a b"));
        assert!(!is_slug(""));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert_eq!(status_of(r#"{"name":"ééééé","count":1}"#), StatusCode::OK);
    }
}
