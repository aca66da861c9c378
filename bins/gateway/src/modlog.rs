//! `GET /api/v1/admin/modlog`: every admin action, newest first, as the
//! crates appended it (`quickfix_shared::modlog`).

use actix_web::{get, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AdminUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::ValidQuery;
use quickfix_shared::modlog::{self, ModAction, ModlogEntryResponse, ModlogFilter};
use quickfix_shared::openapi::{
    BadRequest, Forbidden, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::pagination::{Cursor, Page, page_of};
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

/// `GET /admin/modlog` filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListModlogQuery {
    /// Only this action.
    pub action: Option<ModAction>,
    /// Only actions on this object.
    #[param(min_length = 1, max_length = 64)]
    pub target_id: Option<String>,
    /// Items per page, 1..100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Every admin action (actor, action, target, reason, time), newest first;
/// append-only (filters `action`, `target_id`).
#[utoipa::path(
    tag = "admin",
    operation_id = "list_modlog",
    params(ListModlogQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Admin actions, newest first.", body = Page<ModlogEntryResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/admin/modlog")]
pub async fn list_modlog(
    _admin: AdminUser,
    pool: web::Data<DbPool>,
    query: Result<ValidQuery<ListModlogQuery>, ApiError>,
) -> Result<web::Json<Page<ModlogEntryResponse>>, ApiError> {
    let query = query?;
    let query = query.into_inner();
    let (cursor, limit) = page_of(query.limit, query.cursor.as_deref())?;
    let filter = ModlogFilter {
        action: query.action,
        target_id: query.target_id,
    };
    let rows = db::run(&pool, move |conn| {
        modlog::list(conn, &filter, cursor.as_ref(), i64::from(limit) + 1)
            .map_err(db::DbError::from)
    })
    .await?;
    let page = Page::from_rows(rows, limit, |e| Cursor::new(e.at, e.id.clone()), |e| e);
    Ok(web::Json(Page {
        items: page
            .items
            .iter()
            .filter_map(ModlogEntryResponse::of)
            .collect(),
        next_cursor: page.next_cursor,
    }))
}
