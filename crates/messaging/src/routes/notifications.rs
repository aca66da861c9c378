//! The caller's notifications.

use actix_web::{HttpResponse, get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::ValidQuery;
use quickfix_shared::openapi::{
    BadRequest, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::pagination::Page;

use crate::dto::{ListNotificationsQuery, NotificationResponse};
use crate::error::MessagingError;
use crate::service;

/// The caller's notifications, newest first; `unread=true` keeps the
/// unread ones only.
#[utoipa::path(
    tag = "notifications",
    operation_id = "list_notifications",
    params(ListNotificationsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of notifications.", body = Page<NotificationResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/notifications")]
pub async fn list_notifications(
    user: AuthUser,
    pool: web::Data<DbPool>,
    query: ValidQuery<ListNotificationsQuery>,
) -> Result<web::Json<Page<NotificationResponse>>, ApiError> {
    let page = query.page();
    let cursor = page.cursor()?;
    let limit = page.limit();
    let unread = query.unread.unwrap_or(false);
    let page = db::run(&pool, move |conn| {
        service::list_notifications(conn, &user.id, unread, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(page))
}

/// Marks every notification of the caller read.
#[utoipa::path(
    tag = "notifications",
    operation_id = "read_all_notifications",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every notification is read."),
        (status = 401, response = Unauthorized),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/notifications/read-all")]
pub async fn read_all_notifications(
    user: AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    db::run(&pool, move |conn| {
        service::mark_all_notifications_read(conn, &user.id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Marks one of the caller's notifications read (again is harmless);
/// someone else's is 404.
#[utoipa::path(
    tag = "notifications",
    operation_id = "read_notification",
    params(("id" = String, Path, description = "The notification's id.")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The notification is read."),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/notifications/{id}/read")]
pub async fn read_notification(
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = uuid::Uuid::parse_str(&path)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| MessagingError::NotFound("notification"))?;
    db::run(&pool, move |conn| {
        service::mark_notification_read(conn, &user.id, &id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
