//! OpenAPI pieces every crate's `ApiDoc` uses: the reusable error responses
//! (all problem+json) and the bearer security scheme.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, response::Response};
use utoipa::{Modify, ToResponse};

use crate::error::PROBLEM_JSON;

/// The name of the bearer security scheme in the document.
pub const BEARER: &str = "bearer";

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

macro_rules! problem_responses {
    ($($(#[$meta:meta])* $name:ident => $description:literal;)*) => {
        $(
            $(#[$meta])*
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (stringify!($name), RefOr::T(problem_response($description)))
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
    BadRequest => "Malformed request: bad JSON, a wrong type or an invalid cursor (`bad_request`).";
    /// 401: missing, malformed, expired or tampered token.
    Unauthorized => "Missing, malformed, expired or tampered access token (`unauthorized`).";
    /// 403: the caller may see the object but not do this.
    Forbidden => "The caller's role or relation to the object does not allow this (`forbidden`).";
    /// 404: the object does not exist or the caller may not see it.
    NotFound => "Not found, or not visible to the caller (`not_found`).";
    /// 409: the object's state does not allow the action.
    Conflict => "The resource's state does not allow this; see `code`.";
    /// 413: the body is over the limit.
    PayloadTooLarge => "The body is larger than the configured limit (`payload_too_large`).";
    /// 415: the body is not of the expected media type.
    UnsupportedMediaType => "The body's Content-Type is not the expected one (`unsupported_media_type`).";
    /// 422: fields failed validation.
    ValidationFailed => "Fields failed validation; `errors` lists them (`validation_failed`).";
    /// 429: rate limited.
    TooManyRequests => "Rate limited; retry after `Retry-After` seconds (`rate_limited`).";
    /// 503: the database is unreachable or the pool exhausted.
    ServiceUnavailable => "The database is unavailable; retry later (`service_unavailable`).";
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
