//! The OpenAPI document: every mounted route (collected by
//! utoipa-actix-web as the crates register them), the shared error
//! responses, the bearer security scheme and the tags.

use actix_web::http::header::ContentType;
use actix_web::{App, HttpResponse, web};
use quickfix_shared::openapi::{BearerSecurity, register_problem_responses};
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
        license(name = "MIT")
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerSecurity),
    tags(
        (name = "service", description = "Liveness, readiness and metrics."),
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

/// `document` as the pretty JSON committed in `docs/openapi.json`.
pub fn pretty_json(document: &Document) -> String {
    let mut json = document
        .to_pretty_json()
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

/// `GET /api-docs/openapi.json`.
pub async fn serve_document(json: web::Data<DocumentJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(json.0.clone())
}
