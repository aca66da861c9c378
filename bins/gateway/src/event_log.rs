//! `GET /api/v1/admin/events`: the outbox read as the log of domain events,
//! newest first, with the consumers that gave up on an event.

use actix_web::{get, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AdminUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::ValidQuery;
use quickfix_shared::openapi::{
    BadRequest, Forbidden, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::outbox::{self, LogFilter, LoggedEvent};
use quickfix_shared::pagination::{Cursor, Page, page_of};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::event_types::EventResponseDoc;

/// `GET /admin/events` filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListEventsQuery {
    /// Only events of this kind (`booking.updated`, ...).
    #[param(min_length = 1, max_length = 64)]
    pub kind: Option<String>,
    /// Only events about this object.
    #[param(min_length = 1, max_length = 64)]
    pub subject_id: Option<String>,
    /// Items per page, 1..100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The object an event is about.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubjectResponse {
    /// Its kind: `job`, `offer`, `booking`, `message`, `rating`.
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// A consumer's given-up delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ParkedResponse {
    /// The consumer.
    pub consumer: String,
    /// Its tries.
    pub attempts: i32,
    /// The last failure.
    pub last_error: String,
    /// When it gave up.
    pub parked_at: chrono::DateTime<chrono::Utc>,
}

/// A domain event as stored (see `docs/events.md` for each kind's `data`);
/// its schema in the document is [`EventResponseDoc`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventResponse {
    /// The event's id.
    pub id: String,
    /// Its kind.
    pub kind: String,
    /// When it happened.
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// Who did it, when a user did.
    pub actor_id: Option<String>,
    /// What it happened to.
    pub subject: SubjectResponse,
    /// The event's data.
    pub data: serde_json::Value,
    /// Consumers that gave up on it after their retries.
    pub parked: Vec<ParkedResponse>,
}

impl From<LoggedEvent> for EventResponse {
    fn from(logged: LoggedEvent) -> Self {
        let event = logged.event;
        Self {
            id: event.id,
            kind: event.kind,
            occurred_at: event.occurred_at,
            actor_id: event.actor_id,
            subject: SubjectResponse {
                kind: event.subject.kind,
                id: event.subject.id,
            },
            data: event.payload,
            parked: logged
                .parked
                .into_iter()
                .map(|p| ParkedResponse {
                    consumer: p.consumer,
                    attempts: p.attempts,
                    last_error: p.last_error,
                    parked_at: p.parked_at,
                })
                .collect(),
        }
    }
}

/// The domain event log, newest first (filters `kind`, `subject_id`).
#[utoipa::path(
    tag = "admin",
    operation_id = "list_events",
    params(ListEventsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Events, newest first.", body = Page<EventResponseDoc>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/admin/events")]
pub async fn list_events(
    _admin: AdminUser,
    pool: web::Data<DbPool>,
    query: Result<ValidQuery<ListEventsQuery>, ApiError>,
) -> Result<web::Json<Page<EventResponse>>, ApiError> {
    let query = query?;
    let query = query.into_inner();
    let (cursor, limit) = page_of(query.limit, query.cursor.as_deref())?;
    let filter = LogFilter {
        kind: query.kind,
        subject_id: query.subject_id,
    };
    let rows = db::run(&pool, move |conn| {
        outbox::list(conn, &filter, cursor.as_ref(), i64::from(limit) + 1)
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |(event, at)| Cursor::new(*at, event.event.id.clone()),
        |(event, _)| EventResponse::from(event),
    )))
}
