//! The ratings crate's HTTP routes.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post, web};
use quickfix_ratings_contract::{RatingDeleted, RatingEvent};
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AdminUser, AuthUser};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::events::EventSet;
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::idempotency::{self, IdempotencyKey};
use quickfix_shared::ids::{BookingId, RatingId, UserId};
use quickfix_shared::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::pagination::{Page, PageParams};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{CreateRatingRequest, RatingResponse, UserRatingsResponse};
use crate::error::RatingsError;
use crate::{RatingsState, aggregate_event, commands, service};

/// Registers every route of the crate (paths relative to `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_rating)
        .service(list_booking_ratings)
        .service(list_user_ratings)
        .service(delete_rating);
}

/// Rates the other party of a completed booking: 1 to 5 stars and an
/// optional comment, once per party (again: 409 `already_rated`). Ratings
/// are double-blind: hidden until both parties rated or the reveal period
/// after completion passed. Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "ratings",
    operation_id = "create_rating",
    request_body = CreateRatingRequest,
    params(
        ("id" = String, Path, description = "The booking's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for 24 h."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Rated.", body = RatingResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/bookings/{id}/ratings")]
pub async fn create_rating(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<RatingsState>,
    relay: web::Data<SharedRelay>,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: ValidJson<CreateRatingRequest>,
) -> Result<HttpResponse, ApiError> {
    let booking = BookingId::parse(&path).ok_or(RatingsError::NotFound("booking"))?;
    let request = body.into_inner();
    let fingerprint = idempotency::fingerprint(&[
        b"POST /bookings/{id}/ratings",
        booking.as_str().as_bytes(),
        &serde_json::to_vec(&request).map_err(ApiError::internal)?,
    ]);
    let scope = user.id.to_string();
    idempotency::run_once(
        &pool,
        &key,
        &scope,
        fingerprint,
        |rating| {
            Some(format!(
                "/api/v1/bookings/{}/ratings",
                rating["booking_id"].as_str()?
            ))
        },
        || async {
            let rating = commands::rate(&state, &relay, user, booking, request).await?;
            Ok((StatusCode::CREATED, rating))
        },
    )
    .await
}

/// A booking's ratings as a party sees them: its own, and the other
/// party's once revealed.
#[utoipa::path(
    tag = "ratings",
    operation_id = "list_booking_ratings",
    params(("id" = String, Path, description = "The booking's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "At most two ratings.", body = Page<RatingResponse>),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/bookings/{id}/ratings")]
pub async fn list_booking_ratings(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<RatingsState>,
    path: web::Path<String>,
) -> Result<web::Json<Page<RatingResponse>>, ApiError> {
    let booking = BookingId::parse(&path).ok_or(RatingsError::NotFound("booking"))?;
    let booking = state.booking(booking).await?;
    let ratings = db::run(&pool, move |conn| {
        service::booking_ratings(conn, &user, &booking)
    })
    .await?;
    Ok(web::Json(Page {
        items: ratings.iter().map(RatingResponse::from).collect(),
        next_cursor: None,
    }))
}

/// The revealed ratings a user received, newest first, with their summary
/// (average, count, histogram).
#[utoipa::path(
    tag = "ratings",
    operation_id = "list_user_ratings",
    params(("id" = String, Path, description = "The user's id."), PageParams),
    responses(
        (status = 200, description = "Ratings and summary.", body = UserRatingsResponse),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/users/{id}/ratings")]
pub async fn list_user_ratings(
    pool: web::Data<DbPool>,
    state: web::Data<RatingsState>,
    path: web::Path<String>,
    page: ValidQuery<PageParams>,
) -> Result<web::Json<UserRatingsResponse>, ApiError> {
    let user = UserId::parse(&path).ok_or(RatingsError::NotFound("user"))?;
    let cursor = page.cursor()?;
    let limit = page.limit();
    if !state.accounts.is_active(user.clone()).await? {
        return Err(RatingsError::NotFound("user").into());
    }
    let (page, summary) = db::run(&pool, move |conn| {
        service::user_ratings(conn, &user, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(UserRatingsResponse {
        items: page.items.iter().map(RatingResponse::from).collect(),
        next_cursor: page.next_cursor,
        summary,
    }))
}

/// Deletes a rating (admins); the rated user's aggregate is recomputed.
#[utoipa::path(
    tag = "ratings",
    operation_id = "delete_rating",
    params(("id" = String, Path, description = "The rating's id.")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[delete("/ratings/{id}")]
pub async fn delete_rating(
    admin: AdminUser,
    relay: web::Data<SharedRelay>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = RatingId::parse(&path).ok_or(RatingsError::NotFound("rating"))?;
    let rating = id.to_string();
    let actor = admin.id.to_string();
    relay
        .run(move |conn| {
            let change = service::delete_rating(conn, &actor, &id)?;
            let deleted = RatingEvent::Deleted(RatingDeleted {
                rating_id: id.clone(),
            })
            .into_event(Some(&actor));
            Ok::<_, RatingsError>(((), vec![deleted, aggregate_event(&change)]))
        })
        .await?;
    tracing::info!(rating.id = %rating, admin.id = %admin.id, "rating deleted");
    Ok(HttpResponse::NoContent().finish())
}
