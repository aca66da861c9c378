//! The price estimate.

use actix_web::{post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::ValidJson;
use quickfix_shared::openapi::{BadRequest, ServiceUnavailable, Unauthorized, ValidationFailed};

use crate::JobsState;
use crate::dto::{EstimateRequest, EstimateResponse};
use crate::service;

/// Guesses a job's category from its text (keywords per category; works
/// offline) and prices it from accepted offers in that category: the 25th
/// percentile, median and 75th percentile of the last 500. With fewer than
/// 5 accepted offers it answers the category's reference prices
/// (`source: fallback`, `sample_size: 0`).
#[utoipa::path(
    tag = "jobs",
    operation_id = "estimate_price",
    request_body = EstimateRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The estimate.", body = EstimateResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/jobs/estimate")]
pub async fn estimate_price(
    _user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<JobsState>,
    body: ValidJson<EstimateRequest>,
) -> Result<web::Json<EstimateResponse>, ApiError> {
    let request = body.into_inner();
    let estimate = db::run(&pool, move |conn| service::estimate(conn, &request)).await?;
    Ok(web::Json(EstimateResponse {
        category: estimate.category,
        price_cents: estimate.prices,
        currency: state.currency.clone(),
        sample_size: estimate.sample_size,
        source: estimate.source,
    }))
}
