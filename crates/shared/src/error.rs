//! The API's one error type, rendered as RFC 9457 problem details.
//!
//! Every crate's error converts into [`ApiError`]; clients switch on its
//! stable snake_case `code`. Infrastructure errors are mapped here once:
//! Diesel `NotFound` is 404, a unique violation 409, an unreachable database
//! 503. A 500 tells the client nothing and logs the cause once.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::request_id;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The field's path in the request, dotted for nested fields
    /// (`location.lat`).
    pub field: String,
    /// What is wrong with it, for people.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem details body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:quickfix:problem:not_found",
    "title": "Not Found",
    "status": 404,
    "detail": "job not found",
    "code": "not_found",
    "request_id": "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10"
}))]
pub struct Problem {
    /// A URI naming the problem type: `urn:quickfix:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence, for people.
    pub detail: String,
    /// A stable snake_case identifier clients switch on.
    pub code: String,
    /// The request's `X-Request-Id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The fields that failed validation (422 only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An error answered to the client as problem+json.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
    allow: Option<String>,
}

impl ApiError {
    /// An error with any status, code and detail.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            allow: None,
        }
    }

    /// 400 `bad_request`: malformed input (bad JSON, wrong type, bad cursor).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    /// 401 `unauthorized`: missing, malformed, expired or tampered token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403 `forbidden`: the caller may see the object but not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404 `not_found` for the named kind of object.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 405 `method_not_allowed`, with the methods the path does allow.
    pub fn method_not_allowed(allow: impl Into<String>) -> Self {
        let allow = allow.into();
        let mut err = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("this path allows only {allow}"),
        );
        err.allow = Some(allow);
        err
    }

    /// 409 with a domain-specific code (`job_not_open`, `already_rated`, ...).
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than the limit of {limit} bytes"),
        )
    }

    /// 415 `unsupported_media_type`.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("expected Content-Type {expected}"),
        )
    }

    /// 422 `validation_failed` with the fields at fault.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut err = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "the request has invalid fields",
        );
        err.errors = errors;
        err
    }

    /// 422 `validation_failed` for one field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 429 `rate_limited`, retry after the given seconds.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests; retry later",
        );
        err.retry_after = Some(retry_after_secs.max(1));
        err
    }

    /// 429 `quota_exceeded`, retry after the given seconds.
    pub fn quota_exceeded(retry_after_secs: u64, detail: impl Into<String>) -> Self {
        let mut err = Self::new(StatusCode::TOO_MANY_REQUESTS, "quota_exceeded", detail);
        err.retry_after = Some(retry_after_secs.max(1));
        err
    }

    /// 503 `service_unavailable` with `Retry-After`: a bounded queue is full.
    pub fn busy(retry_after_secs: u64) -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "the server is busy; retry later",
        );
        err.retry_after = Some(retry_after_secs.max(1));
        err
    }

    /// The seconds of `Retry-After`, when the answer carries one.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// 503 `service_unavailable`; the cause is logged, not shown.
    pub fn unavailable(cause: impl fmt::Display) -> Self {
        tracing::warn!(error = %cause, "service unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "the service is temporarily unavailable; retry later",
        )
    }

    /// 500 `internal`; the cause is logged once, never shown.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The field errors (422 only).
    pub fn field_errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// The problem body this error renders.
    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: format!("urn:quickfix:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            request_id: request_id::current(),
            errors: self.errors.clone(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = &self.allow
            && let Ok(value) = HeaderValue::from_str(allow)
        {
            response.insert_header((header::ALLOW, value));
        }
        match serde_json::to_vec(&self.problem()) {
            Ok(body) => response.body(body),
            Err(_) => response.finish(),
        }
    }
}

impl From<DieselError> for ApiError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => ApiError::not_found("resource"),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => {
                    ApiError::conflict("conflict", "the resource already exists")
                }
                DatabaseErrorKind::ClosedConnection => ApiError::unavailable(info.message()),
                DatabaseErrorKind::SerializationFailure => {
                    ApiError::conflict("conflict", "a concurrent change got there first; retry")
                }
                _ if is_busy(info.message()) => ApiError::unavailable(info.message()),
                _ => ApiError::internal(format!("database error: {}", info.message())),
            },
            other => ApiError::internal(other),
        }
    }
}

/// Whether a driver message means the database is busy or gone rather than
/// that the query is wrong.
fn is_busy(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("database is locked")
        || message.contains("database is busy")
        || message.contains("server closed the connection")
        || message.contains("terminating connection")
        || message.contains("connection refused")
        || message.contains("no connection to the server")
        || message.contains("deadlock detected")
}

/// Whether a Diesel error is a unique-constraint violation.
pub fn is_unique_violation(err: &DieselError) -> bool {
    matches!(
        err,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_carries_code_status_and_type() {
        let problem = ApiError::conflict("job_not_open", "the job is booked").problem();
        assert_eq!(problem.status, 409);
        assert_eq!(problem.code, "job_not_open");
        assert_eq!(problem.type_uri, "urn:quickfix:problem:job_not_open");
        assert_eq!(problem.title, "Conflict");
    }

    #[test]
    fn diesel_errors_map_to_statuses() {
        assert_eq!(
            ApiError::from(DieselError::NotFound).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::from(DieselError::RollbackTransaction).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn validation_lists_its_fields() {
        let err = ApiError::invalid_field("email", "is not an email address");
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            err.problem().errors,
            vec![FieldError::new("email", "is not an email address")]
        );
    }
}
