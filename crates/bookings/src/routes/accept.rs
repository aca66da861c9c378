//! Accepting an offer: the seam between jobs and bookings. The jobs crate's
//! accept command (its own transaction, storing `offer.accepted`) decides
//! which offer wins; this crate then makes the booking under the command's
//! booking id. A stop between the two steps is healed by the consumer of
//! `offer.accepted` (`crate::consumers::BookingOpener`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use quickfix_jobs_contract::Acceptor;
use quickfix_shared::ApiError;
use quickfix_shared::auth::{CustomerUser, ProviderUser};
use quickfix_shared::db::DbPool;
use quickfix_shared::idempotency::{self, IdempotencyKey};
use quickfix_shared::ids::{JobId, OfferId};
use quickfix_shared::openapi::{
    Conflict, Forbidden, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;

use crate::BookingsState;
use crate::dto::BookingResponse;
use crate::error::BookingsError;

/// Accepts a pending or countered offer on the caller's open job at the
/// offer's `price_cents`: the offer becomes `accepted`, the job's other
/// open offers `rejected`, the job `booked`, and a `confirmed` booking is
/// created. Exactly one offer of a job is ever accepted, even under
/// concurrent accepts and accept-counters; a second accept is 409.
/// Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "bookings",
    operation_id = "accept_offer",
    params(
        ("id" = String, Path, description = "The job's id."),
        ("offer_id" = String, Path, description = "The offer's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for 24 h."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new booking.", body = BookingResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/jobs/{id}/offers/{offer_id}/accept")]
pub async fn accept_offer(
    user: CustomerUser,
    pool: web::Data<DbPool>,
    state: web::Data<BookingsState>,
    relay: web::Data<SharedRelay>,
    key: IdempotencyKey,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (job, offer) = path.into_inner();
    let job_id = JobId::parse(&job).ok_or(BookingsError::NotFound("job"))?;
    let offer_id = OfferId::parse(&offer).ok_or(BookingsError::NotFound("offer"))?;
    let fingerprint = idempotency::fingerprint(&[
        b"POST accept",
        job_id.as_str().as_bytes(),
        offer_id.as_str().as_bytes(),
    ]);
    let scope = user.id.to_string();
    idempotency::run_once(
        &pool,
        &key,
        &scope,
        fingerprint,
        |booking| Some(format!("/api/v1/bookings/{}", booking["id"].as_str()?)),
        || async {
            let by = Acceptor::Customer(user.id.clone());
            let booking =
                crate::commands::accept_offer(&state, &relay, by, job_id, offer_id).await?;
            Ok((StatusCode::CREATED, booking))
        },
    )
    .await
}

/// Accepts the owner's counter on the caller's countered offer: the offer
/// becomes `accepted` at the counter price, the job's other open offers
/// `rejected`, the job `booked`, and a `confirmed` booking is created at
/// that price. The same exactly-once rule as accept: of racing accepts by
/// either party, one wins, the others are 409. Not countered: 409
/// `offer_not_pending`; not the caller's offer: 404. Honours
/// `Idempotency-Key`.
#[utoipa::path(
    tag = "bookings",
    operation_id = "accept_counter",
    params(
        ("id" = String, Path, description = "The job's id."),
        ("offer_id" = String, Path, description = "The offer's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for 24 h."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new booking, at the counter price.", body = BookingResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/jobs/{id}/offers/{offer_id}/accept-counter")]
pub async fn accept_counter(
    user: ProviderUser,
    pool: web::Data<DbPool>,
    state: web::Data<BookingsState>,
    relay: web::Data<SharedRelay>,
    key: IdempotencyKey,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (job, offer) = path.into_inner();
    let job_id = JobId::parse(&job).ok_or(BookingsError::NotFound("job"))?;
    let offer_id = OfferId::parse(&offer).ok_or(BookingsError::NotFound("offer"))?;
    let fingerprint = idempotency::fingerprint(&[
        b"POST accept-counter",
        job_id.as_str().as_bytes(),
        offer_id.as_str().as_bytes(),
    ]);
    let scope = user.id.to_string();
    idempotency::run_once(
        &pool,
        &key,
        &scope,
        fingerprint,
        |booking| Some(format!("/api/v1/bookings/{}", booking["id"].as_str()?)),
        || async {
            let by = Acceptor::Provider(user.id.clone());
            let booking =
                crate::commands::accept_offer(&state, &relay, by, job_id, offer_id).await?;
            Ok((StatusCode::CREATED, booking))
        },
    )
    .await
}
