//! Service categories.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AdminUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::ValidJson;
use quickfix_shared::openapi::{
    BadRequest, Conflict, Forbidden, ServiceUnavailable, Unauthorized, ValidationFailed,
};

use crate::dto::{CategoryResponse, CreateCategoryRequest};
use crate::service;

/// Every service category (a plain array, not paginated).
#[utoipa::path(
    tag = "jobs",
    operation_id = "list_categories",
    responses(
        (status = 200, description = "The categories.", body = Vec<CategoryResponse>),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/categories")]
pub async fn list_categories(
    pool: web::Data<DbPool>,
) -> Result<web::Json<Vec<CategoryResponse>>, ApiError> {
    let categories = db::run(&pool, service::list_categories).await?;
    Ok(web::Json(
        categories.iter().map(CategoryResponse::from).collect(),
    ))
}

/// Adds a category (admins).
#[utoipa::path(
    tag = "jobs",
    operation_id = "create_category",
    request_body = CreateCategoryRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added.", body = CategoryResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/categories")]
pub async fn create_category(
    admin: AdminUser,
    pool: web::Data<DbPool>,
    body: ValidJson<CreateCategoryRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let category = db::run(&pool, move |conn| {
        service::create_category(conn, admin.id.as_str(), &request)
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((LOCATION, "/api/v1/categories"))
        .json(CategoryResponse::from(&category)))
}
