//! Accepting an offer: the seam between jobs and bookings.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::CustomerUser;
use quickfix_shared::db::DbPool;
use quickfix_shared::events::DomainEvent;
use quickfix_shared::idempotency::{self, IdempotencyKey};
use quickfix_shared::ids::{JobId, OfferId};
use quickfix_shared::openapi::{
    Conflict, Forbidden, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use serde_json::json;

use super::updated_event;
use crate::BookingsState;
use crate::dto::BookingResponse;
use crate::error::BookingsError;
use crate::service;

/// Accepts a pending offer on the caller's open job: the offer becomes
/// `accepted`, the job's other pending offers `rejected`, the job `booked`,
/// and a `confirmed` booking is created with the offer's price. Exactly one
/// offer of a job is ever accepted, even under concurrent accepts; a second
/// accept is 409. Honours `Idempotency-Key`.
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
    idempotency::run_once(&pool, &key, &scope, fingerprint, || async {
        let customer = user.0.clone();
        let currency = state.currency.clone();
        let done = relay
            .run(move |conn| {
                let done = service::accept_offer(conn, &customer, &job_id, &offer_id)?;
                let booking = &done.booking;
                let accepted = DomainEvent::new(
                    "offer.accepted",
                    json!({
                        "offer_id": booking.offer_id,
                        "job_id": booking.job_id,
                        "booking_id": booking.id,
                        "customer_id": booking.customer_id,
                        "provider_id": booking.provider_id,
                    }),
                )
                .about("offer", booking.offer_id.clone())
                .by(customer.id.to_string());
                let updated = updated_event(booking, &currency, customer.id.as_str());
                Ok::<_, BookingsError>((done, vec![accepted, updated]))
            })
            .await?;
        let booking = &done.booking;
        tracing::info!(booking.id = %booking.id, job.id = %booking.job_id, "offer accepted");
        Ok((
            StatusCode::CREATED,
            BookingResponse::of(booking, &state.currency),
        ))
    })
    .await
}
