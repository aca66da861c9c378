//! OpenAPI pieces every crate's `ApiDoc` uses: the reusable error responses
//! (all problem+json, each with an example of its own), the bearer security
//! scheme, and [`finish`], which states what the shared plumbing does for
//! every operation.

mod examples;
mod finish;
mod formats;

pub use finish::{Finish, finish};

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, response::Response};
use utoipa::{Modify, ToResponse};

use actix_web::http::StatusCode;

use crate::error::{ErrorCode, PROBLEM_JSON};

/// The bytes of a file answered as they are (an avatar, an attachment), for
/// the document: `type: string, format: binary`.
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(#[expect(dead_code, reason = "documents the body; never built")] Vec<u8>);

/// The name of the bearer security scheme in the document.
pub const BEARER: &str = "bearer";

fn problem_response(
    description: &str,
    status: StatusCode,
    code: ErrorCode,
    detail: &str,
) -> Response {
    let mut example = serde_json::json!({
        "type": format!("urn:quickfix:problem:{code}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
        "request_id": "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10",
    });
    if code == ErrorCode::ValidationFailed {
        example["errors"] = serde_json::json!([
            {"field": "title", "message": "must be 1 to 120 characters long"},
            {"field": "location.lat", "message": "must be between -90 and 90"},
        ]);
    }
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .example(Some(example))
                .build(),
        )
        .build()
}

macro_rules! problem_responses {
    ($($(#[$meta:meta])* $name:ident => $description:literal, $status:ident, $code:ident, $detail:literal;)*) => {
        $(
            $(#[$meta])*
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (
                        stringify!($name),
                        RefOr::T(problem_response(
                            $description,
                            StatusCode::$status,
                            ErrorCode::$code,
                            $detail,
                        )),
                    )
                }
            }
        )*

        /// Registers every reusable error response in a document's components.
        pub fn register_problem_responses(openapi: &mut utoipa::openapi::OpenApi) {
            let components = openapi.components.get_or_insert_with(Default::default);
            $(
                let (name, response) = <$name as ToResponse>::response();
                components.responses.insert(name.to_owned(), response);
            )*
        }
    };
}

problem_responses! {
    /// 400: malformed JSON, a value of the wrong type, or a foreign cursor.
    BadRequest => "Malformed request: bad JSON, a wrong type or an invalid cursor (`bad_request`).",
        BAD_REQUEST, BadRequest, "malformed JSON: expected value";
    /// 401: missing, malformed, expired or tampered token.
    Unauthorized => "Missing, malformed, expired or tampered access token (`unauthorized`).",
        UNAUTHORIZED, Unauthorized, "missing bearer token";
    /// 403: the caller may see the object but not do this.
    Forbidden => "The caller's role or relation to the object does not allow this (`forbidden`).",
        FORBIDDEN, Forbidden, "only the job's owner may do this";
    /// 403 at login: the account is suspended.
    AccountSuspended => "The account is suspended (`account_suspended`); `until` says when it ends, null until an admin lifts it.",
        FORBIDDEN, AccountSuspended, "this account is suspended";
    /// 403: the other user blocked the caller.
    Blocked => "The other user blocked the caller (`blocked`).",
        FORBIDDEN, Blocked, "the other participant blocked you";
    /// 404: the object does not exist or the caller may not see it.
    NotFound => "Not found, or not visible to the caller (`not_found`).",
        NOT_FOUND, NotFound, "job not found";
    /// 409: the object's state does not allow the action.
    Conflict => "The resource's state does not allow this; see `code`.",
        CONFLICT, JobNotOpen, "the job is not open";
    /// 413: the body is over the limit.
    PayloadTooLarge => "The body is larger than the configured limit (`payload_too_large`).",
        PAYLOAD_TOO_LARGE, PayloadTooLarge, "the body is larger than the limit of 1048576 bytes";
    /// 415: the body is not of the expected media type.
    UnsupportedMediaType => "The body's Content-Type is not the expected one (`unsupported_media_type`).",
        UNSUPPORTED_MEDIA_TYPE, UnsupportedMediaType, "expected Content-Type application/json";
    /// 422: fields failed validation.
    ValidationFailed => "Fields failed validation; `errors` lists them (`validation_failed`).",
        UNPROCESSABLE_ENTITY, ValidationFailed, "the request has invalid fields";
    /// 429: rate limited.
    TooManyRequests => "Rate limited (`rate_limited`: the per-IP limit applies to every operation) or a quota used up (`quota_exceeded`); retry after `Retry-After` seconds.",
        TOO_MANY_REQUESTS, RateLimited, "too many requests; retry later";
    /// 503: the database is unreachable or the pool exhausted.
    ServiceUnavailable => "The database is unavailable or a bounded queue is full; retry later, after `Retry-After` seconds when it is given (`service_unavailable`).",
        SERVICE_UNAVAILABLE, ServiceUnavailable, "the service is temporarily unavailable; retry later";
}

/// Adds the bearer JWT security scheme to a document.
#[derive(Debug, Clone, Copy, Default)]
pub struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from /api/v1/auth/login or /register.",
                    ))
                    .build(),
            ),
        );
    }
}
