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

/// Declares [`ErrorCode`]: every `code` the server can answer, with the
/// wire name clients switch on.
macro_rules! error_codes {
    ($($(#[$meta:meta])* $variant:ident => $name:literal,)*) => {
        /// A stable snake_case identifier clients switch on: the closed list of
        /// every code the server can answer (the `Problem.code` enum of the
        /// OpenAPI document is made from this type).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$meta])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as clients see it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }
        }
    };
}

error_codes! {
    /// 400: malformed JSON, a wrong type, a foreign cursor.
    BadRequest => "bad_request",
    /// 422: fields failed validation; `errors` names them.
    ValidationFailed => "validation_failed",
    /// 401: missing, malformed, expired or tampered token.
    Unauthorized => "unauthorized",
    /// 401: wrong email or password, or an inactive account.
    InvalidCredentials => "invalid_credentials",
    /// 403: the caller may see the object but not do this.
    Forbidden => "forbidden",
    /// 404: not found or not visible to the caller.
    NotFound => "not_found",
    /// 405: the path does not allow this method (`Allow` lists the others).
    MethodNotAllowed => "method_not_allowed",
    /// 413: the body is over the configured limit.
    PayloadTooLarge => "payload_too_large",
    /// 415: the body is not of the expected media type.
    UnsupportedMediaType => "unsupported_media_type",
    /// 429: a rate limit; retry after `Retry-After` seconds.
    RateLimited => "rate_limited",
    /// 429: a quota is used up; retry after `Retry-After` seconds.
    QuotaExceeded => "quota_exceeded",
    /// 503: the database is unavailable or a bounded queue is full.
    ServiceUnavailable => "service_unavailable",
    /// 500: a bug; the body says nothing more.
    Internal => "internal",
    /// 409: a generic unique violation no rule anticipated.
    Conflict => "conflict",
    /// 409: the email is registered already.
    EmailTaken => "email_taken",
    /// 403: the current password is wrong.
    WrongPassword => "wrong_password",
    /// 401: a used refresh token was presented again; its login is revoked.
    RefreshTokenReused => "refresh_token_reused",
    /// 409: the job is not open.
    JobNotOpen => "job_not_open",
    /// 409: the offer is not pending.
    OfferNotPending => "offer_not_pending",
    /// 409: the provider has an open offer on this job already.
    OfferExists => "offer_exists",
    /// 409: a category with this slug exists.
    CategoryExists => "category_exists",
    /// 409: the booking's state does not allow this transition.
    InvalidTransition => "invalid_transition",
    /// 409: the booking is not confirmed or in progress.
    BookingNotActive => "booking_not_active",
    /// 409: the booking is not completed.
    BookingNotCompleted => "booking_not_completed",
    /// 409: the caller rated this booking already.
    AlreadyRated => "already_rated",
    /// 422: the Idempotency-Key was used for a different request.
    IdempotencyKeyReused => "idempotency_key_reused",
    /// 409: a request with this Idempotency-Key is still running.
    IdempotencyKeyInProgress => "idempotency_key_in_progress",
    /// 400: an emailed token is unknown, used, expired or replaced.
    InvalidToken => "invalid_token",
    /// 403: posting needs a verified email (`auth.require_verified_email`).
    EmailNotVerified => "email_not_verified",
    /// 409: the account has a confirmed, in-progress or disputed booking.
    AccountHasActiveBookings => "account_has_active_bookings",
    /// 409: the offer was countered `jobs.max_rounds` times already.
    TooManyRounds => "too_many_rounds",
    /// 409: the booking was completed longer ago than the dispute window,
    /// or was disputed before.
    DisputeWindowClosed => "dispute_window_closed",
    /// 403: the account is suspended (`until` in the body: when it ends,
    /// null until an admin lifts it).
    AccountSuspended => "account_suspended",
    /// 403: the other user blocked the caller.
    Blocked => "blocked",
    /// 409: the report was resolved or dismissed already.
    ReportClosed => "report_closed",
    /// 409: an account has this email but cannot be linked to the identity
    /// (the token's or the account's email is not verified).
    AccountExists => "account_exists",
    /// 409: the identity is the account's last way to sign in.
    LastSignInMethod => "last_sign_in_method",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
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
    pub code: ErrorCode,
    /// The request's `X-Request-Id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The fields that failed validation (422 only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// When the suspension ends (`account_suspended` only; null: until an
    /// admin lifts it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub until: Option<SuspendedUntil>,
}

/// The end of a suspension as a problem body carries it: a time, or null
/// for a suspension without end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SuspendedUntil(pub Option<chrono::DateTime<chrono::Utc>>);

/// The `Retry-After` of a 503 for an unavailable database: a hint, since
/// nobody knows when it comes back.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// An error answered to the client as problem+json.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    detail: String,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
    allow: Option<String>,
    until: Option<SuspendedUntil>,
}

impl ApiError {
    /// An error with any status, code and detail.
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            allow: None,
            until: None,
        }
    }

    /// 403 `account_suspended`, with when the suspension ends (`None`: when
    /// an admin lifts it).
    pub fn account_suspended(until: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        Self {
            until: Some(SuspendedUntil(until)),
            ..Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::AccountSuspended,
                "this account is suspended",
            )
        }
    }

    /// 400 `bad_request`: malformed input (bad JSON, wrong type, bad cursor).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, detail)
    }

    /// 401 `unauthorized`: missing, malformed, expired or tampered token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, detail)
    }

    /// 403 `forbidden`: the caller may see the object but not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, detail)
    }

    /// 404 `not_found` for the named kind of object.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("{what} not found"),
        )
    }

    /// 405 `method_not_allowed`, with the methods the path does allow.
    pub fn method_not_allowed(allow: impl Into<String>) -> Self {
        let allow = allow.into();
        let mut err = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            format!("this path allows only {allow}"),
        );
        err.allow = Some(allow);
        err
    }

    /// 409 with a domain-specific code (`job_not_open`, `already_rated`, ...).
    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("the body is larger than the limit of {limit} bytes"),
        )
    }

    /// 415 `unsupported_media_type`.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            format!("expected Content-Type {expected}"),
        )
    }

    /// 422 `validation_failed` with the fields at fault.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut err = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
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
            ErrorCode::RateLimited,
            "too many requests; retry later",
        );
        err.retry_after = Some(retry_after_secs.max(1));
        err
    }

    /// 429 `quota_exceeded`, retry after the given seconds.
    pub fn quota_exceeded(retry_after_secs: u64, detail: impl Into<String>) -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::QuotaExceeded,
            detail,
        );
        err.retry_after = Some(retry_after_secs.max(1));
        err
    }

    /// 503 `service_unavailable` with `Retry-After`: a bounded queue is full.
    pub fn busy(retry_after_secs: u64) -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceUnavailable,
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
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceUnavailable,
            "the service is temporarily unavailable; retry later",
        );
        err.retry_after = Some(UNAVAILABLE_RETRY_AFTER_SECS);
        err
    }

    /// 500 `internal`; the cause is logged once, never shown.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "an internal error occurred",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
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
            code: self.code,
            request_id: request_id::current(),
            errors: self.errors.clone(),
            until: self.until,
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
                    ApiError::conflict(ErrorCode::Conflict, "the resource already exists")
                }
                DatabaseErrorKind::ClosedConnection => ApiError::unavailable(info.message()),
                DatabaseErrorKind::SerializationFailure => ApiError::conflict(
                    ErrorCode::Conflict,
                    "a concurrent change got there first; retry",
                ),
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

/// Whether a Diesel error is a foreign-key violation.
pub fn is_foreign_key_violation(err: &DieselError) -> bool {
    matches!(
        err,
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_carries_code_status_and_type() {
        let problem = ApiError::conflict(ErrorCode::JobNotOpen, "the job is booked").problem();
        assert_eq!(problem.status, 409);
        assert_eq!(problem.code, "job_not_open");
        assert_eq!(problem.type_uri, "urn:quickfix:problem:job_not_open");
        assert_eq!(problem.title, "Conflict");
    }

    #[test]
    fn every_code_is_its_wire_name() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::from(code.as_str()))
            );
        }
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
