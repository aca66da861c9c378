//! A customer's favourite providers.

use actix_web::{HttpResponse, delete, get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::CustomerUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::ids::UserId;
use quickfix_shared::openapi::{
    BadRequest, Forbidden, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::pagination::{Page, PageParams};

use crate::UsersState;
use crate::dto::{FavoriteRequest, ProviderResponse};
use crate::error::UsersError;
use crate::service;

/// The caller's favourite providers, most recently added first.
#[utoipa::path(
    tag = "users",
    operation_id = "list_favorites",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Favourite providers.", body = Page<ProviderResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/users/me/favorites")]
pub async fn list_favorites(
    user: CustomerUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    page: ValidQuery<PageParams>,
) -> Result<web::Json<Page<ProviderResponse>>, ApiError> {
    let cursor = page.cursor()?;
    let limit = page.limit();
    let rows = db::run(&pool, move |conn| {
        service::list_favorites(conn, &user.id, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(rows.map(|u| {
        ProviderResponse::of(&u, &state.config.currency, None)
    })))
}

/// Adds a favourite provider; adding twice is harmless.
#[utoipa::path(
    tag = "users",
    operation_id = "add_favorite",
    request_body = FavoriteRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The provider is a favourite."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/users/me/favorites")]
pub async fn add_favorite(
    user: CustomerUser,
    pool: web::Data<DbPool>,
    body: ValidJson<FavoriteRequest>,
) -> Result<HttpResponse, ApiError> {
    let provider = UserId::parse(&body.provider_id).ok_or(UsersError::NotFound("provider"))?;
    db::run(&pool, move |conn| {
        service::add_favorite(conn, &user.id, &provider)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a favourite provider; removing twice is harmless.
#[utoipa::path(
    tag = "users",
    operation_id = "remove_favorite",
    params(("provider_id" = String, Path, description = "The provider's id.")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The provider is not a favourite."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[delete("/users/me/favorites/{provider_id}")]
pub async fn remove_favorite(
    user: CustomerUser,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if let Some(provider) = UserId::parse(&path) {
        db::run(&pool, move |conn| {
            service::remove_favorite(conn, &user.id, &provider)
        })
        .await?;
    }
    Ok(HttpResponse::NoContent().finish())
}
