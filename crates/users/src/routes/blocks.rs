//! A user's blocks: whom they blocked, and blocking or unblocking someone.
//! A blocked user may not open a conversation with, message, or send an
//! offer to the blocker (403 `blocked`), nor see them in the provider
//! directory; conversations they already had stay readable.

use actix_web::{HttpResponse, delete, get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::ids::UserId;
use quickfix_shared::openapi::{
    BadRequest, Conflict, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::pagination::{Page, PageParams};

use crate::dto::{BlockRequest, BlockResponse, PublicUserResponse};
use crate::error::UsersError;
use crate::service;

/// The users the caller blocked, most recently blocked first.
#[utoipa::path(
    tag = "users",
    operation_id = "list_blocks",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Blocked users.", body = Page<BlockResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/users/me/blocks")]
pub async fn list_blocks(
    user: AuthUser,
    pool: web::Data<DbPool>,
    page: ValidQuery<PageParams>,
) -> Result<web::Json<Page<BlockResponse>>, ApiError> {
    let cursor = page.cursor()?;
    let limit = page.limit();
    let rows = db::run(&pool, move |conn| {
        service::list_blocks(conn, &user.id, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(rows.map(|(at, blocked)| BlockResponse {
        user: PublicUserResponse::from(&blocked),
        created_at: at.and_utc(),
    })))
}

/// Blocks a user; blocking twice is harmless (yourself: 409).
#[utoipa::path(
    tag = "users",
    operation_id = "block_user",
    request_body = BlockRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The user is blocked."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/users/me/blocks")]
pub async fn block_user(
    user: AuthUser,
    pool: web::Data<DbPool>,
    body: ValidJson<BlockRequest>,
) -> Result<HttpResponse, ApiError> {
    let blocked = UserId::parse(&body.user_id).ok_or(UsersError::NotFound("user"))?;
    db::run(&pool, move |conn| {
        service::block_user(conn, &user.id, &blocked)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unblocks a user; unblocking one not blocked is harmless.
#[utoipa::path(
    tag = "users",
    operation_id = "unblock_user",
    params(("user_id" = String, Path, description = "The blocked user's id.")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The user is not blocked."),
        (status = 401, response = Unauthorized),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[delete("/users/me/blocks/{user_id}")]
pub async fn unblock_user(
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if let Some(blocked) = UserId::parse(&path) {
        db::run(&pool, move |conn| {
            service::unblock_user(conn, &user.id, &blocked)
        })
        .await?;
    }
    Ok(HttpResponse::NoContent().finish())
}
