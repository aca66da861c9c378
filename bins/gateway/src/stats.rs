//! `GET /api/v1/admin/stats`: each crate reports its own counts through its
//! service interface; the gateway only puts them side by side.

use std::collections::BTreeMap;

use actix_web::{get, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AdminUser;
use quickfix_shared::db::{self, DbError, DbPool};
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
    let stats = db::run(&pool, |conn| {
        Ok::<_, DbError>(StatsResponse {
            users: with_zeros(
                &["customer", "provider", "admin"],
                quickfix_users::count_by_role(conn)?,
            ),
            jobs: with_zeros(
                &["open", "booked", "completed", "cancelled"],
                quickfix_jobs::count_jobs_by_status(conn)?,
            ),
            bookings: with_zeros(
                &["confirmed", "in_progress", "completed", "cancelled"],
                quickfix_bookings::count_by_status(conn)?,
            ),
            messages: quickfix_messaging::service::count_messages(conn)?,
            average_rating: quickfix_ratings::overall_average(conn)?,
        })
    })
    .await?;
    Ok(web::Json(stats))
}
