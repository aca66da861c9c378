//! The OpenAPI document: every mounted route (collected by
//! utoipa-actix-web as the crates register them), the document's own two
//! routes, the shared error responses, the bearer security scheme and the
//! tags, finished by [`quickfix_shared::openapi::finish`].

use actix_web::http::header::ContentType;
use actix_web::{App, HttpResponse, web};
use quickfix_shared::openapi::{BearerSecurity, Finish, finish, register_problem_responses};
use quickfix_shared::{FieldError, Problem};
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;
use utoipa_actix_web::AppExt;

/// The document's fixed parts; paths are added by the routes themselves.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "QuickFix API",
        version = "1.0.0",
        description = "The backend of the QuickFix home-services marketplace: customers post \
jobs, providers send offers, an accepted offer becomes a booking, the parties chat and share \
live location, both rate each other, and admins moderate.\n\n\
Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`. \
Lists are cursor-paginated (`limit`, `cursor`; answers `{items, next_cursor}`). \
Creating POSTs honour an `Idempotency-Key` header.",
        license(name = "MIT", identifier = "MIT")
    ),
    paths(get_openapi, get_docs),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerSecurity),
    tags(
        (name = "service", description = "Liveness, readiness, metrics and this document."),
        (name = "auth", description = "Registration, login, token refresh and sessions."),
        (name = "users", description = "Profiles, passwords, avatars and favourites."),
        (name = "providers", description = "The public provider directory and catalogs."),
        (name = "jobs", description = "Categories, jobs and price estimates."),
        (name = "offers", description = "Providers' offers on jobs."),
        (name = "bookings", description = "Bookings, their timeline and live location."),
        (name = "ratings", description = "Double-blind ratings and their summaries."),
        (name = "messaging", description = "Conversations, messages, read markers and attachments."),
        (name = "notifications", description = "Notifications made from domain events."),
        (name = "realtime", description = "The WebSocket upgrade; its frames are described in docs/asyncapi.yaml."),
        (name = "admin", description = "Moderation; every route is 403 for non-admins."),
    )
)]
pub struct ApiDoc;

/// The complete document, built from the same mount function the server uses.
pub fn document() -> Document {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::app::mount)
        .split_for_parts();
    register_problem_responses(&mut doc);
    doc
}

/// The document as the pretty JSON committed in `docs/openapi.json`.
pub fn document_json() -> String {
    pretty_json(&document())
}

/// `document`, finished, as the pretty JSON committed in `docs/openapi.json`.
pub fn pretty_json(document: &Document) -> String {
    let mut value = match serde_json::to_value(document) {
        Ok(value) => value,
        Err(err) => return format!("{{\"error\": \"{err}\"}}\n"),
    };
    finish(
        &mut value,
        &Finish {
            servers: vec![(
                "/".to_owned(),
                "The server that serves this document.".to_owned(),
            )],
        },
    );
    let mut json = serde_json::to_string_pretty(&value)
        .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    json.push('\n');
    json
}

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api-docs/openapi.json";

/// The served document, serialised once at start: the document itself is
/// several megabytes of maps, its JSON a fraction of one.
#[derive(Clone)]
pub struct DocumentJson(pub web::Bytes);

/// The OpenAPI document.
///
/// This document, as JSON: what clients are generated from.
#[utoipa::path(
    get,
    path = "/api-docs/openapi.json",
    tag = "service",
    operation_id = "get_openapi",
    responses((
        status = 200,
        description = "The OpenAPI 3.1 document.",
        body = Object,
        content_type = "application/json"
    ))
)]
#[expect(dead_code, reason = "documents the route that serve_document answers")]
fn get_openapi() {}

/// Swagger UI.
///
/// An interactive view of this document, served from the binary (no CDN).
#[utoipa::path(
    get,
    path = "/docs/",
    tag = "service",
    operation_id = "get_docs",
    responses((
        status = 200,
        description = "Swagger UI's page.",
        body = String,
        content_type = "text/html"
    ))
)]
#[expect(
    dead_code,
    reason = "documents the route that utoipa-swagger-ui answers"
)]
fn get_docs() {}

/// `GET /api-docs/openapi.json`.
pub async fn serve_document(json: web::Data<DocumentJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(json.0.clone())
}
