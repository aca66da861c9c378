//! The service endpoints: liveness, readiness and metrics.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, get, web};
use quickfix_shared::ApiError;
use quickfix_shared::db::{self, DbPool};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::telemetry::Metrics;

/// The body of `/health` and `/ready`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusResponse {
    /// `ok` or `ready`.
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: 200 while the process runs.
#[utoipa::path(
    tag = "service",
    operation_id = "get_health",
    responses((status = 200, description = "The process is running.", body = StatusResponse))
)]
#[get("/health")]
pub async fn health() -> web::Json<StatusResponse> {
    web::Json(StatusResponse {
        status: "ok".to_owned(),
    })
}

/// Readiness: 200 when the database answers, 503 otherwise.
#[utoipa::path(
    tag = "service",
    operation_id = "get_ready",
    responses(
        (status = 200, description = "The database answers.", body = StatusResponse),
        (status = 503, response = quickfix_shared::openapi::ServiceUnavailable),
    )
)]
#[get("/ready")]
pub async fn ready(pool: web::Data<DbPool>) -> Result<web::Json<StatusResponse>, ApiError> {
    db::ping(&pool).await.map_err(ApiError::unavailable)?;
    Ok(web::Json(StatusResponse {
        status: "ready".to_owned(),
    }))
}

/// Prometheus metrics in text format.
#[utoipa::path(
    tag = "service",
    operation_id = "get_metrics",
    responses((
        status = 200,
        description = "Metrics in Prometheus text exposition format.",
        body = String,
        content_type = "text/plain; version=0.0.4"
    ))
)]
#[get("/metrics")]
pub async fn metrics(
    metrics: web::Data<Metrics>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let text = metrics.render(&pool).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header(ContentType(
            "text/plain; version=0.0.4; charset=utf-8"
                .parse()
                .map_err(ApiError::internal)?,
        ))
        .body(text))
}
