//! The public provider directory and the providers' catalogs.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, LOCATION};
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, get, post, put, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, ProviderUser};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::geo;
use quickfix_shared::ids::{ServiceId, UserId};
use quickfix_shared::openapi::{
    BadRequest, Forbidden, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::pagination::{Page, PageParams, page_of};

use crate::UsersState;
use crate::dto::{
    CatalogServiceRequest, CatalogServiceResponse, ListProvidersQuery, ProviderResponse,
};
use crate::error::UsersError;
use crate::service::{self, DirectoryQuery};

/// The public provider directory, newest first.
///
/// `near=lat,lng` with `radius_km` (default 25) keeps providers within that
/// great-circle distance and adds `distance_km` to each. A signed-in
/// caller does not see the providers who blocked them; a token is
/// optional, but one that is sent must be valid (else 401).
#[utoipa::path(
    tag = "providers",
    operation_id = "list_providers",
    params(ListProvidersQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Providers.", body = Page<ProviderResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/providers")]
pub async fn list_providers(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    query: ValidQuery<ListProvidersQuery>,
) -> Result<web::Json<Page<ProviderResponse>>, ApiError> {
    let viewer = if req.headers().contains_key(header::AUTHORIZATION) {
        Some(AuthUser::extract(&req).await?)
    } else {
        None
    };
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
    let directory = DirectoryQuery {
        category: query.category,
        q: query.q,
        near,
        min_rating: query.min_rating,
        available: query.available.unwrap_or(false),
        verified: query.verified.unwrap_or(false),
        viewer: viewer.map(|v| v.id.to_string()),
    };
    let page = db::run(&pool, move |conn| {
        service::list_providers(conn, &directory, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(page.map(|(u, d)| {
        ProviderResponse::of(&u, &state.config.currency, d)
    })))
}

/// A provider's public profile.
#[utoipa::path(
    tag = "providers",
    operation_id = "get_provider",
    params(("id" = String, Path, description = "The provider's id.")),
    responses(
        (status = 200, description = "The provider.", body = ProviderResponse),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/providers/{id}")]
pub async fn get_provider(
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    path: web::Path<String>,
) -> Result<web::Json<ProviderResponse>, ApiError> {
    let id = UserId::parse(&path).ok_or(UsersError::NotFound("provider"))?;
    let provider = db::run(&pool, move |conn| service::public_provider(conn, &id)).await?;
    Ok(web::Json(ProviderResponse::of(
        &provider,
        &state.config.currency,
        None,
    )))
}

/// The services a provider offers, newest first.
#[utoipa::path(
    tag = "providers",
    operation_id = "list_catalog_services",
    params(("id" = String, Path, description = "The provider's id."), PageParams),
    responses(
        (status = 200, description = "The catalog.", body = Page<CatalogServiceResponse>),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/providers/{id}/services")]
pub async fn list_catalog_services(
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    path: web::Path<String>,
    page: ValidQuery<PageParams>,
) -> Result<web::Json<Page<CatalogServiceResponse>>, ApiError> {
    let id = UserId::parse(&path).ok_or(UsersError::NotFound("provider"))?;
    let cursor = page.cursor()?;
    let limit = page.limit();
    let rows = db::run(&pool, move |conn| {
        service::list_catalog(conn, &id, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(rows.map(|r| {
        CatalogServiceResponse::of(&r, &state.config.currency)
    })))
}

/// Adds a service to the caller's catalog.
#[utoipa::path(
    tag = "providers",
    operation_id = "create_catalog_service",
    request_body = CatalogServiceRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added.", body = CatalogServiceResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/providers/me/services")]
pub async fn create_catalog_service(
    user: ProviderUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    body: ValidJson<CatalogServiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let row = db::run(&pool, move |conn| {
        service::add_catalog_service(conn, &user.id, &request)
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((
            LOCATION,
            format!("/api/v1/providers/{}/services", row.provider_id),
        ))
        .json(CatalogServiceResponse::of(&row, &state.config.currency)))
}

/// Replaces a service of the caller's catalog.
#[utoipa::path(
    tag = "providers",
    operation_id = "replace_catalog_service",
    request_body = CatalogServiceRequest,
    params(("service_id" = String, Path, description = "The service's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced.", body = CatalogServiceResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[put("/providers/me/services/{service_id}")]
pub async fn replace_catalog_service(
    user: ProviderUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    path: web::Path<String>,
    body: ValidJson<CatalogServiceRequest>,
) -> Result<web::Json<CatalogServiceResponse>, ApiError> {
    let id = ServiceId::parse(&path).ok_or(UsersError::NotFound("service"))?;
    let request = body.into_inner();
    let row = db::run(&pool, move |conn| {
        service::replace_catalog_service(conn, &user.id, &id, &request)
    })
    .await?;
    Ok(web::Json(CatalogServiceResponse::of(
        &row,
        &state.config.currency,
    )))
}

/// Removes a service from the caller's catalog.
#[utoipa::path(
    tag = "providers",
    operation_id = "delete_catalog_service",
    params(("service_id" = String, Path, description = "The service's id.")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[delete("/providers/me/services/{service_id}")]
pub async fn delete_catalog_service(
    user: ProviderUser,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ServiceId::parse(&path).ok_or(UsersError::NotFound("service"))?;
    db::run(&pool, move |conn| {
        service::delete_catalog_service(conn, &user.id, &id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
