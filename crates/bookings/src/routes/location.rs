//! The provider's live location on a booking.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::ValidJson;
use quickfix_shared::ids::BookingId;
use quickfix_shared::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, TooManyRequests, Unauthorized,
    ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;

use crate::BookingsState;
use crate::dto::{LocationResponse, LocationUpdateRequest, TrackResponse};
use crate::error::BookingsError;
use crate::service;

/// Shares the provider's position while the booking is `confirmed` or
/// `in_progress`. Updates faster than the configured interval are 429;
/// only the newest positions are kept.
#[utoipa::path(
    tag = "bookings",
    operation_id = "update_location",
    request_body = LocationUpdateRequest,
    params(("id" = String, Path, description = "The booking's id.")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Recorded.", body = LocationResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/bookings/{id}/location")]
pub async fn update_location(
    user: AuthUser,
    state: web::Data<BookingsState>,
    relay: web::Data<SharedRelay>,
    path: web::Path<String>,
    body: ValidJson<LocationUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = BookingId::parse(&path).ok_or(BookingsError::NotFound("booking"))?;
    let point = crate::record_location(&relay, &state, user, id, body.into_inner()).await?;
    Ok(HttpResponse::build(StatusCode::ACCEPTED).json(point))
}

/// The latest position and the recent trail (the booking's parties).
#[utoipa::path(
    tag = "bookings",
    operation_id = "get_location",
    params(("id" = String, Path, description = "The booking's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Where the provider is.", body = TrackResponse),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/bookings/{id}/location")]
pub async fn get_location(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<BookingsState>,
    path: web::Path<String>,
) -> Result<web::Json<TrackResponse>, ApiError> {
    let id = BookingId::parse(&path).ok_or(BookingsError::NotFound("booking"))?;
    let policy = state.location;
    let booking_id = id.to_string();
    let points = db::run(&pool, move |conn| service::track(conn, &user, &id, policy)).await?;
    let trail: Vec<LocationResponse> = points.iter().map(LocationResponse::from).collect();
    Ok(web::Json(TrackResponse {
        booking_id,
        latest: trail.last().cloned(),
        trail,
    }))
}
