//! Offers on a job: make, list, withdraw. (Accepting one is the bookings
//! crate's route.)

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, ProviderUser};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::idempotency::{self, IdempotencyKey};
use quickfix_shared::ids::{JobId, OfferId};
use quickfix_shared::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::pagination::{Page, PageParams};

use crate::dto::{CreateOfferRequest, OfferResponse};
use crate::error::JobsError;
use crate::service;
use crate::{JobsState, commands};

fn ids(job: &str, offer: Option<&str>) -> Result<(JobId, Option<OfferId>), ApiError> {
    let job = JobId::parse(job).ok_or(JobsError::NotFound("job"))?;
    let offer = match offer {
        Some(raw) => Some(OfferId::parse(raw).ok_or(JobsError::NotFound("offer"))?),
        None => None,
    };
    Ok((job, offer))
}

/// Makes an offer on an open job (providers). One pending offer per
/// provider per job: a second is 409 `offer_exists`; a job that is not open
/// is 409 `job_not_open`. Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "offers",
    operation_id = "create_offer",
    request_body = CreateOfferRequest,
    params(
        ("id" = String, Path, description = "The job's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for 24 h."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Offered.", body = OfferResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/jobs/{id}/offers")]
pub async fn create_offer(
    user: ProviderUser,
    pool: web::Data<DbPool>,
    state: web::Data<JobsState>,
    relay: web::Data<SharedRelay>,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: ValidJson<CreateOfferRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require_verified_email()?;
    let (job_id, _) = ids(&path, None)?;
    let request = body.into_inner();
    let fingerprint = idempotency::fingerprint(&[
        b"POST /jobs/{id}/offers",
        job_id.as_str().as_bytes(),
        &serde_json::to_vec(&request).map_err(ApiError::internal)?,
    ]);
    let scope = user.id.to_string();
    idempotency::run_once(
        &pool,
        &key,
        &scope,
        fingerprint,
        |offer| Some(format!("/api/v1/jobs/{}/offers", offer["job_id"].as_str()?)),
        || async {
            let offer =
                commands::create_offer(&relay, &state.currency, user.0.clone(), job_id, request)
                    .await?;
            Ok((StatusCode::CREATED, offer))
        },
    )
    .await
}

/// A job's offers, newest first: its owner (and admins) see all, a provider
/// only its own; other customers get 404.
#[utoipa::path(
    tag = "offers",
    operation_id = "list_offers",
    params(("id" = String, Path, description = "The job's id."), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Offers.", body = Page<OfferResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/jobs/{id}/offers")]
pub async fn list_offers(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<JobsState>,
    path: web::Path<String>,
    page: ValidQuery<PageParams>,
) -> Result<web::Json<Page<OfferResponse>>, ApiError> {
    let (job_id, _) = ids(&path, None)?;
    let cursor = page.cursor()?;
    let limit = page.limit();
    let offers = db::run(&pool, move |conn| {
        service::list_offers(conn, &user, &job_id, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(
        offers.map(|o| OfferResponse::of(&o, &state.currency)),
    ))
}

/// Withdraws the caller's pending offer (`pending` -> `withdrawn`).
#[utoipa::path(
    tag = "offers",
    operation_id = "withdraw_offer",
    params(
        ("id" = String, Path, description = "The job's id."),
        ("offer_id" = String, Path, description = "The offer's id."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The offer as now stored.", body = OfferResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/jobs/{id}/offers/{offer_id}/withdraw")]
pub async fn withdraw_offer(
    user: ProviderUser,
    state: web::Data<JobsState>,
    relay: web::Data<SharedRelay>,
    path: web::Path<(String, String)>,
) -> Result<web::Json<OfferResponse>, ApiError> {
    let (job, offer) = path.into_inner();
    let (job_id, offer_id) = ids(&job, Some(&offer))?;
    let offer_id = offer_id.ok_or(JobsError::NotFound("offer"))?;
    let offer = commands::withdraw_offer(&relay, &state.currency, user.0, job_id, offer_id).await?;
    Ok(web::Json(offer))
}
