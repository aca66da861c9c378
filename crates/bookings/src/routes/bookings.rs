//! Bookings: list, read, the lifecycle actions and the timeline.

use actix_web::{get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AdminUser, AuthUser};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::ids::BookingId;
use quickfix_shared::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::pagination::{Page, PageParams, page_of};

use crate::BookingsState;
use crate::dto::{
    BookingEventResponse, BookingResponse, CancelBookingRequest, DisputeBookingRequest,
    ListBookingsQuery, ResolveDisputeRequest,
};
use crate::error::BookingsError;
use crate::lifecycle::Action;
use crate::service;

fn booking_id(raw: &str) -> Result<BookingId, ApiError> {
    BookingId::parse(raw).ok_or_else(|| BookingsError::NotFound("booking").into())
}

/// The caller's bookings as customer or provider (admins: all), newest
/// first, with a `status` filter.
#[utoipa::path(
    tag = "bookings",
    operation_id = "list_bookings",
    params(ListBookingsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Bookings.", body = Page<BookingResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/bookings")]
pub async fn list_bookings(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<BookingsState>,
    query: ValidQuery<ListBookingsQuery>,
) -> Result<web::Json<Page<BookingResponse>>, ApiError> {
    let query = query.into_inner();
    let (cursor, limit) = page_of(query.limit, query.cursor.as_deref())?;
    let status = query.status;
    let page = db::run(&pool, move |conn| {
        service::list_bookings(conn, &user, status, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(
        page.map(|b| crate::dto::booking_view(&b, &state.currency)),
    ))
}

/// A booking (its parties and admins).
#[utoipa::path(
    tag = "bookings",
    operation_id = "get_booking",
    params(("id" = String, Path, description = "The booking's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The booking.", body = BookingResponse),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/bookings/{id}")]
pub async fn get_booking(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<BookingsState>,
    path: web::Path<String>,
) -> Result<web::Json<BookingResponse>, ApiError> {
    let id = booking_id(&path)?;
    let booking = db::run(&pool, move |conn| service::get_booking(conn, &user, &id)).await?;
    Ok(web::Json(crate::dto::booking_view(
        &booking,
        &state.currency,
    )))
}

async fn act(
    user: AuthUser,
    state: &BookingsState,
    relay: &SharedRelay,
    raw_id: &str,
    action: Action,
    reason: Option<String>,
) -> Result<web::Json<BookingResponse>, ApiError> {
    let id = booking_id(raw_id)?;
    let booking = crate::commands::act(state, relay, user, id, action, reason).await?;
    Ok(web::Json(booking))
}

/// Starts the work (the provider): `confirmed` -> `in_progress`.
#[utoipa::path(
    tag = "bookings",
    operation_id = "start_booking",
    params(("id" = String, Path, description = "The booking's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The booking as now stored.", body = BookingResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/bookings/{id}/start")]
pub async fn start_booking(
    user: AuthUser,
    state: web::Data<BookingsState>,
    relay: web::Data<SharedRelay>,
    path: web::Path<String>,
) -> Result<web::Json<BookingResponse>, ApiError> {
    act(user, &state, &relay, &path, Action::Start, None).await
}

/// Completes the work (the provider): `in_progress` -> `completed`; the job
/// becomes `completed` too.
#[utoipa::path(
    tag = "bookings",
    operation_id = "complete_booking",
    params(("id" = String, Path, description = "The booking's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The booking as now stored.", body = BookingResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/bookings/{id}/complete")]
pub async fn complete_booking(
    user: AuthUser,
    state: web::Data<BookingsState>,
    relay: web::Data<SharedRelay>,
    path: web::Path<String>,
) -> Result<web::Json<BookingResponse>, ApiError> {
    act(user, &state, &relay, &path, Action::Complete, None).await
}

/// Cancels a booking with a reason: a party from `confirmed`, an admin also
/// from `in_progress`. The job becomes `cancelled` (a job is booked once).
#[utoipa::path(
    tag = "bookings",
    operation_id = "cancel_booking",
    request_body = CancelBookingRequest,
    params(("id" = String, Path, description = "The booking's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The booking as now stored.", body = BookingResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/bookings/{id}/cancel")]
pub async fn cancel_booking(
    user: AuthUser,
    state: web::Data<BookingsState>,
    relay: web::Data<SharedRelay>,
    path: web::Path<String>,
    body: ValidJson<CancelBookingRequest>,
) -> Result<web::Json<BookingResponse>, ApiError> {
    let reason = body.into_inner().reason.trim().to_owned();
    act(user, &state, &relay, &path, Action::Cancel, Some(reason)).await
}

/// Disputes a completed booking (the customer), within
/// `bookings.dispute_window_secs` of its completion and once: `completed`
/// -> `disputed`. It cannot be rated until resolved as `completed`; after
/// the window or a first dispute: 409 `dispute_window_closed`.
#[utoipa::path(
    tag = "bookings",
    operation_id = "dispute_booking",
    request_body = DisputeBookingRequest,
    params(("id" = String, Path, description = "The booking's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The booking, disputed.", body = BookingResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/bookings/{id}/dispute")]
pub async fn dispute_booking(
    user: AuthUser,
    state: web::Data<BookingsState>,
    relay: web::Data<SharedRelay>,
    path: web::Path<String>,
    body: ValidJson<DisputeBookingRequest>,
) -> Result<web::Json<BookingResponse>, ApiError> {
    let reason = body.into_inner().reason.trim().to_owned();
    act(user, &state, &relay, &path, Action::Dispute, Some(reason)).await
}

/// Resolves a dispute (admins): `disputed` -> `completed` (the completion
/// stands) or `cancelled` (the job too, and the booking's ratings leave
/// every list and aggregate). The note goes into the timeline.
#[utoipa::path(
    tag = "admin",
    operation_id = "resolve_dispute",
    request_body = ResolveDisputeRequest,
    params(("id" = String, Path, description = "The booking's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The booking as resolved.", body = BookingResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/admin/bookings/{id}/resolve")]
pub async fn resolve_dispute(
    admin: AdminUser,
    state: web::Data<BookingsState>,
    relay: web::Data<SharedRelay>,
    path: web::Path<String>,
    body: Result<ValidJson<ResolveDisputeRequest>, ApiError>,
) -> Result<web::Json<BookingResponse>, ApiError> {
    let body = body?;
    let ResolveDisputeRequest { outcome, note } = body.into_inner();
    let action = Action::Resolve(outcome);
    act(
        admin.0,
        &state,
        &relay,
        &path,
        action,
        Some(note.trim().to_owned()),
    )
    .await
}

/// The booking's timeline: every transition with actor, time and reason,
/// oldest first. Append-only.
#[utoipa::path(
    tag = "bookings",
    operation_id = "list_booking_events",
    params(("id" = String, Path, description = "The booking's id."), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The timeline.", body = Page<BookingEventResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/bookings/{id}/events")]
pub async fn list_booking_events(
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
    page: ValidQuery<PageParams>,
) -> Result<web::Json<Page<BookingEventResponse>>, ApiError> {
    let id = booking_id(&path)?;
    let cursor = page.cursor()?;
    let limit = page.limit();
    let events = db::run(&pool, move |conn| {
        service::list_events(conn, &user, &id, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(events.map(|e| BookingEventResponse::from(&e))))
}
