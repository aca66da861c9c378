//! Admin routes over users: list, activate/deactivate, verify providers.

use actix_web::{get, patch, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AdminUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::ids::UserId;
use quickfix_shared::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::pagination::{Page, page_of};

use crate::dto::{AdminListUsersQuery, AdminUpdateUserRequest, SuspendUserRequest, UserResponse};
use crate::error::UsersError;
use crate::repository::UserFilter;
use crate::service;
use crate::{UsersState, events};

/// Every user, newest first, with filters.
#[utoipa::path(
    tag = "admin",
    operation_id = "list_users",
    params(AdminListUsersQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Users.", body = Page<UserResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/admin/users")]
pub async fn list_users(
    _admin: AdminUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    query: Result<ValidQuery<AdminListUsersQuery>, ApiError>,
) -> Result<web::Json<Page<UserResponse>>, ApiError> {
    let query = query?;
    let query = query.into_inner();
    let (cursor, limit) = page_of(query.limit, query.cursor.as_deref())?;
    let filter = UserFilter {
        role: query.role.map(|r| r.as_str().to_owned()),
        q: query.q.map(|q| q.trim().to_lowercase()),
        is_active: query.is_active,
    };
    let page = db::run(&pool, move |conn| {
        service::admin_list_users(conn, &filter, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(page.map(|u| {
        UserResponse::private(&u, &state.config.currency)
    })))
}

/// Activates or deactivates a user. A deactivated user's tokens stop
/// working at once and every login ends.
#[utoipa::path(
    tag = "admin",
    operation_id = "update_user",
    request_body = AdminUpdateUserRequest,
    params(("id" = String, Path, description = "The user's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user as now stored.", body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[patch("/admin/users/{id}")]
pub async fn update_user(
    admin: AdminUser,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    path: web::Path<String>,
    body: Result<ValidJson<AdminUpdateUserRequest>, ApiError>,
) -> Result<web::Json<UserResponse>, ApiError> {
    let body = body?;
    let id = UserId::parse(&path).ok_or(UsersError::NotFound("user"))?;
    if id == admin.id && !body.is_active {
        return Err(ApiError::invalid_field(
            "is_active",
            "admins cannot deactivate themselves",
        ));
    }
    let active = body.is_active;
    let actor = admin.id.clone();
    let changed = events::activation(id.as_str(), active, admin.id.as_str());
    let user = relay
        .run(move |conn| {
            let user = service::admin_set_active(conn, &actor, &id, active)?;
            Ok::<_, UsersError>((user, vec![changed]))
        })
        .await?;
    if !active {
        state.logins_ended(&user.id, None);
    }
    tracing::info!(user.id = %user.id, is_active = active, admin.id = %admin.id, "user activation changed");
    Ok(web::Json(UserResponse::private(
        &user,
        &state.config.currency,
    )))
}

/// Marks a provider verified.
#[utoipa::path(
    tag = "admin",
    operation_id = "verify_provider",
    params(("id" = String, Path, description = "The provider's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The provider as now stored.", body = UserResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/admin/providers/{id}/verify")]
pub async fn verify_provider(
    admin: AdminUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    path: web::Path<String>,
) -> Result<web::Json<UserResponse>, ApiError> {
    let id = UserId::parse(&path).ok_or(UsersError::NotFound("provider"))?;
    let user = db::run(&pool, move |conn| {
        service::admin_verify_provider(conn, &admin.id, &id)
    })
    .await?;
    Ok(web::Json(UserResponse::private(
        &user,
        &state.config.currency,
    )))
}

/// Suspends an account with a reason and an optional end: its tokens, its
/// refresh tokens and its sockets end at once on every instance, login
/// answers 403 `account_suspended` with `until`, and the suspension ends by
/// itself at `until` (without one: when lifted).
#[utoipa::path(
    tag = "admin",
    operation_id = "suspend_user",
    request_body = SuspendUserRequest,
    params(("id" = String, Path, description = "The user's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user as now stored.", body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/admin/users/{id}/suspend")]
pub async fn suspend_user(
    admin: AdminUser,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    path: web::Path<String>,
    body: Result<ValidJson<SuspendUserRequest>, ApiError>,
) -> Result<web::Json<UserResponse>, ApiError> {
    let body = body?;
    let id = UserId::parse(&path).ok_or(UsersError::NotFound("user"))?;
    if id == admin.id {
        return Err(UsersError::Conflict("admins cannot suspend themselves").into());
    }
    let SuspendUserRequest { reason, until } = body.into_inner();
    if until.is_some_and(|until| until <= chrono::Utc::now()) {
        return Err(ApiError::invalid_field("until", "must be in the future"));
    }
    let user = crate::commands::suspend_account(
        &relay,
        admin.id.clone(),
        id,
        reason.trim().to_owned(),
        until,
    )
    .await?;
    state.logins_ended(&user.id, None);
    tracing::info!(user.id = %user.id, admin.id = %admin.id, "user suspended");
    Ok(web::Json(UserResponse::private(
        &user,
        &state.config.currency,
    )))
}

/// Lifts an account's suspension (or deactivation): it may log in again.
#[utoipa::path(
    tag = "admin",
    operation_id = "unsuspend_user",
    params(("id" = String, Path, description = "The user's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user as now stored.", body = UserResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/admin/users/{id}/unsuspend")]
pub async fn unsuspend_user(
    admin: AdminUser,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    path: web::Path<String>,
) -> Result<web::Json<UserResponse>, ApiError> {
    let id = UserId::parse(&path).ok_or(UsersError::NotFound("user"))?;
    let actor = admin.id.clone();
    let reinstated = events::activation(id.as_str(), true, admin.id.as_str());
    let user = relay
        .run(move |conn| {
            let user = service::unsuspend_user(conn, &actor, &id)?;
            Ok::<_, UsersError>((user, vec![reinstated]))
        })
        .await?;
    tracing::info!(user.id = %user.id, admin.id = %admin.id, "user unsuspended");
    Ok(web::Json(UserResponse::private(
        &user,
        &state.config.currency,
    )))
}
