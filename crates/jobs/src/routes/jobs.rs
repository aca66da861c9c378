//! Jobs: post, list, read, change, cancel.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, CustomerUser};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::geo;
use quickfix_shared::idempotency::{self, IdempotencyKey};
use quickfix_shared::ids::JobId;
use quickfix_shared::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, ServiceUnavailable, Unauthorized,
    UnsupportedMediaType, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::pagination::{Page, page_of};

use crate::dto::{CreateJobRequest, JobResponse, ListJobsQuery, UpdateJobRequest};
use crate::error::JobsError;
use crate::service::{self, JobQuery};
use crate::{JobsState, commands};

fn job_id(raw: &str) -> Result<JobId, ApiError> {
    JobId::parse(raw).ok_or_else(|| JobsError::NotFound("job").into())
}

/// Posts a job (customers). Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "jobs",
    operation_id = "create_job",
    request_body = CreateJobRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for 24 h.")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Posted.", body = JobResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/jobs")]
pub async fn create_job(
    user: CustomerUser,
    pool: web::Data<DbPool>,
    state: web::Data<JobsState>,
    key: IdempotencyKey,
    body: ValidJson<CreateJobRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require_verified_email()?;
    let request = body.into_inner();
    let fingerprint = idempotency::fingerprint(&[
        b"POST /jobs",
        &serde_json::to_vec(&request).map_err(ApiError::internal)?,
    ]);
    let scope = user.id.to_string();
    idempotency::run_once(
        &pool,
        &key,
        &scope,
        fingerprint,
        |job| Some(format!("/api/v1/jobs/{}", job["id"].as_str()?)),
        || async {
            let job = commands::create_job(&pool, &state, user.0.clone(), request).await?;
            Ok((StatusCode::CREATED, job))
        },
    )
    .await
}

/// Lists jobs: providers see open jobs (filters `category`, `q`, `near` +
/// `radius_km`, `min_budget_cents`), customers their own (`status`), admins
/// all. Newest first.
#[utoipa::path(
    tag = "jobs",
    operation_id = "list_jobs",
    params(ListJobsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Jobs.", body = Page<JobResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/jobs")]
pub async fn list_jobs(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<JobsState>,
    query: ValidQuery<ListJobsQuery>,
) -> Result<web::Json<Page<JobResponse>>, ApiError> {
    let query = query.into_inner();
    let near = geo::parse_near_radius(query.near.as_deref(), query.radius_km)?;
    if let Some(category) = &query.category
        && !quickfix_shared::extract::is_slug(category)
    {
        return Err(ApiError::invalid_field(
            "category",
            "must be a category slug",
        ));
    }
    let (cursor, limit) = page_of(query.limit, query.cursor.as_deref())?;
    let filter = JobQuery {
        category: query.category,
        q: query.q,
        near,
        min_budget_cents: query.min_budget_cents,
        status: query.status,
    };
    let viewer = user.clone();
    let page = db::run(&pool, move |conn| {
        service::list_jobs(conn, &viewer, &filter, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(page.map(|job| {
        let precise = service::sees_precise_location(&job, &user);
        JobResponse::of(&job, &state.currency, precise)
    })))
}

/// A job. Its exact address and coordinates are shown only to its owner,
/// admins and the provider whose offer was accepted; others get
/// `address: null` and coordinates rounded to 2 decimals.
#[utoipa::path(
    tag = "jobs",
    operation_id = "get_job",
    params(("id" = String, Path, description = "The job's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job.", body = JobResponse),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/jobs/{id}")]
pub async fn get_job(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<JobsState>,
    path: web::Path<String>,
) -> Result<web::Json<JobResponse>, ApiError> {
    let id = job_id(&path)?;
    let viewer = user.clone();
    let job = db::run(&pool, move |conn| service::visible_job(conn, &id, &viewer)).await?;
    let precise = service::sees_precise_location(&job, &user);
    Ok(web::Json(JobResponse::of(&job, &state.currency, precise)))
}

/// Changes an open job (its owner); a job that is not open is 409.
#[utoipa::path(
    tag = "jobs",
    operation_id = "update_job",
    request_body = UpdateJobRequest,
    params(("id" = String, Path, description = "The job's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job as now stored.", body = JobResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[patch("/jobs/{id}")]
pub async fn update_job(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<JobsState>,
    path: web::Path<String>,
    body: ValidJson<UpdateJobRequest>,
) -> Result<web::Json<JobResponse>, ApiError> {
    let id = job_id(&path)?;
    let request = body.into_inner();
    let rules = state.rules;
    let job = db::run(&pool, move |conn| {
        service::update_job(conn, &user, &id, &request, &rules)
    })
    .await?;
    Ok(web::Json(JobResponse::of(&job, &state.currency, true)))
}

/// Cancels an open job (its owner or an admin); pending and countered
/// offers become `rejected`.
#[utoipa::path(
    tag = "jobs",
    operation_id = "cancel_job",
    params(("id" = String, Path, description = "The job's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job as now stored.", body = JobResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/jobs/{id}/cancel")]
pub async fn cancel_job(
    user: AuthUser,
    state: web::Data<JobsState>,
    relay: web::Data<SharedRelay>,
    path: web::Path<String>,
) -> Result<web::Json<JobResponse>, ApiError> {
    let id = job_id(&path)?;
    let job = commands::cancel_job(&relay, &state.currency, user, id).await?;
    Ok(web::Json(job))
}
