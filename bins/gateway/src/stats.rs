//! `GET /api/v1/admin/stats`: each crate reports its own counts through its
//! service interface; the gateway only puts them side by side.

use std::collections::BTreeMap;

use actix_web::{get, web};
use quickfix_bookings::contract::BookingStatus;
use quickfix_jobs::contract::JobStatus;
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AdminUser, Role};
use quickfix_shared::db::DbPool;
use quickfix_shared::openapi::{Forbidden, ServiceUnavailable, Unauthorized};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Marketplace figures for admins.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatsResponse {
    /// Users per role (`customer`, `provider`, `admin`).
    pub users: BTreeMap<String, i64>,
    /// Jobs per state.
    pub jobs: BTreeMap<String, i64>,
    /// Bookings per state.
    pub bookings: BTreeMap<String, i64>,
    /// Messages sent.
    pub messages: i64,
    /// The average of every revealed rating; null without ratings.
    #[schema(required = true)]
    pub average_rating: Option<f64>,
}

fn with_zeros(
    keys: &[&str],
    counts: impl IntoIterator<Item = (String, i64)>,
) -> BTreeMap<String, i64> {
    let mut map: BTreeMap<String, i64> = keys.iter().map(|k| ((*k).to_owned(), 0)).collect();
    map.extend(counts);
    map
}

/// Counts of users by role, jobs and bookings by state, messages, and the
/// average rating.
#[utoipa::path(
    tag = "admin",
    operation_id = "get_stats",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures.", body = StatsResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/admin/stats")]
pub async fn get_stats(
    _admin: AdminUser,
    pool: web::Data<DbPool>,
) -> Result<web::Json<StatsResponse>, ApiError> {
    let (users, jobs, bookings, messages, average_rating) = futures_util::try_join!(
        quickfix_users::count_by_role(&pool),
        quickfix_jobs::count_jobs_by_status(&pool),
        quickfix_bookings::count_by_status(&pool),
        quickfix_messaging::count_messages(&pool),
        quickfix_ratings::overall_average(&pool),
    )?;
    let stats = StatsResponse {
        users: with_zeros(&Role::ALL.map(Role::as_str), users),
        jobs: with_zeros(&JobStatus::ALL.map(JobStatus::as_str), jobs),
        bookings: with_zeros(&BookingStatus::ALL.map(BookingStatus::as_str), bookings),
        messages,
        average_rating,
    };
    Ok(web::Json(stats))
}
