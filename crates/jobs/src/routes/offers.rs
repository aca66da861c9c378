//! Offers on a job: make, list, counter and revise, read the rounds,
//! withdraw. (Accepting one, or its counter, is the bookings crate's
//! route.)

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, CustomerUser, ProviderUser};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::idempotency::{self, IdempotencyKey};
use quickfix_shared::ids::{JobId, OfferId};
use quickfix_shared::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::pagination::{Page, PageParams};

use crate::dto::{
    CreateOfferRequest, OfferResponse, OfferRoundRequest, OfferRoundResponse, OfferRoundsResponse,
};
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

/// Makes an offer on an open job (providers). One open (pending or
/// countered) offer per provider per job: a second is 409 `offer_exists`;
/// a job that is not open is 409 `job_not_open`. The offer expires when
/// its last round goes unanswered for `jobs.offer_ttl_secs`. Honours
/// `Idempotency-Key`.
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
                commands::create_offer(&relay, &state, user.0.clone(), job_id, request).await?;
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

/// Withdraws the caller's open offer (`pending` or `countered` ->
/// `withdrawn`).
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

/// Counters a pending offer on the caller's job (`pending` -> `countered`):
/// `counter_price_cents` is the owner's price, `price_cents` stays the
/// provider's. At most `jobs.max_rounds` counters per offer (then 409
/// `too_many_rounds`); another state: 409 `offer_not_pending`; not the
/// job's owner: 403.
#[utoipa::path(
    tag = "offers",
    operation_id = "counter_offer",
    request_body = OfferRoundRequest,
    params(
        ("id" = String, Path, description = "The job's id."),
        ("offer_id" = String, Path, description = "The offer's id."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The offer, countered.", body = OfferResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/jobs/{id}/offers/{offer_id}/counter")]
pub async fn counter_offer(
    user: CustomerUser,
    state: web::Data<JobsState>,
    relay: web::Data<SharedRelay>,
    path: web::Path<(String, String)>,
    body: ValidJson<OfferRoundRequest>,
) -> Result<web::Json<OfferResponse>, ApiError> {
    let (job, offer) = path.into_inner();
    let (job_id, offer_id) = ids(&job, Some(&offer))?;
    let offer_id = offer_id.ok_or(JobsError::NotFound("offer"))?;
    let offer =
        commands::counter_offer(&relay, &state, user.0, job_id, offer_id, body.into_inner())
            .await?;
    Ok(web::Json(offer))
}

/// Answers a counter on the caller's offer with a new price (`countered`
/// -> `pending` at that price). Another state: 409 `offer_not_pending`.
#[utoipa::path(
    tag = "offers",
    operation_id = "revise_offer",
    request_body = OfferRoundRequest,
    params(
        ("id" = String, Path, description = "The job's id."),
        ("offer_id" = String, Path, description = "The offer's id."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The offer, pending at the new price.", body = OfferResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/jobs/{id}/offers/{offer_id}/revise")]
pub async fn revise_offer(
    user: ProviderUser,
    state: web::Data<JobsState>,
    relay: web::Data<SharedRelay>,
    path: web::Path<(String, String)>,
    body: ValidJson<OfferRoundRequest>,
) -> Result<web::Json<OfferResponse>, ApiError> {
    let (job, offer) = path.into_inner();
    let (job_id, offer_id) = ids(&job, Some(&offer))?;
    let offer_id = offer_id.ok_or(JobsError::NotFound("offer"))?;
    let offer =
        commands::revise_offer(&relay, &state, user.0, job_id, offer_id, body.into_inner()).await?;
    Ok(web::Json(offer))
}

/// An offer's negotiation, oldest first: the provider's opening offer,
/// then each counter and revision. For the job's owner, the offer's
/// provider and admins; anyone else: 404.
#[utoipa::path(
    tag = "offers",
    operation_id = "list_offer_rounds",
    params(
        ("id" = String, Path, description = "The job's id."),
        ("offer_id" = String, Path, description = "The offer's id."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every round.", body = OfferRoundsResponse),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/jobs/{id}/offers/{offer_id}/rounds")]
pub async fn offer_rounds(
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<(String, String)>,
) -> Result<web::Json<OfferRoundsResponse>, ApiError> {
    let (job, offer) = path.into_inner();
    let (job_id, offer_id) = ids(&job, Some(&offer))?;
    let offer_id = offer_id.ok_or(JobsError::NotFound("offer"))?;
    let rounds = db::run(&pool, move |conn| {
        service::offer_rounds(conn, &user, &job_id, &offer_id)
    })
    .await?;
    Ok(web::Json(OfferRoundsResponse {
        items: rounds.iter().map(OfferRoundResponse::from).collect(),
    }))
}
