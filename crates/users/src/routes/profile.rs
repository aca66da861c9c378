//! The caller's profile, password and avatar, and public user views.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, put, web};
use futures_util::StreamExt;
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::ValidJson;
use quickfix_shared::ids::UserId;
use quickfix_shared::openapi::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, ServiceUnavailable, TooManyRequests,
    Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::storage::{self, Sniffed};
use quickfix_shared::text;

use crate::passwords;

use crate::dto::{
    AvatarUpload, ChangePasswordRequest, PublicUserResponse, UpdateProfileRequest, UserResponse,
};
use crate::error::UsersError;
use crate::service;
use crate::{UsersState, events};

/// The image types an avatar may be.
const AVATAR_TYPES: &[&str] = &["image/png", "image/jpeg", "image/webp"];

/// Updates the caller's profile; only the fields sent change.
#[utoipa::path(
    tag = "users",
    operation_id = "update_me",
    request_body = UpdateProfileRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller as now stored.", body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[patch("/users/me")]
pub async fn update_me(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    body: ValidJson<UpdateProfileRequest>,
) -> Result<web::Json<UserResponse>, ApiError> {
    let request = body.into_inner();
    let updated = db::run(&pool, move |conn| {
        service::update_profile(conn, &user.id, &request)
    })
    .await?;
    Ok(web::Json(UserResponse::private(
        &updated,
        &state.config.currency,
    )))
}

/// Changes the caller's password and ends every login.
#[utoipa::path(
    tag = "users",
    operation_id = "change_password",
    request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed; every refresh token is revoked."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[put("/users/me/password")]
pub async fn change_password(
    user: AuthUser,
    pool: web::Data<DbPool>,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    body: ValidJson<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let proof = Proof {
        current_password: request.current_password,
        id_token: request.id_token,
    };
    let key = check_proof(&pool, &state, &user, proof).await?;
    let hash =
        passwords::hash_password(&key, request.new_password, state.config.bcrypt_cost).await?;
    let id = user.id.to_string();
    let ended = events::session_ended(&id, None, &id);
    relay
        .run(move |conn| {
            service::set_password(conn, &user.id, &hash)?;
            Ok::<_, UsersError>(((), vec![ended]))
        })
        .await?;
    state.logins_ended(&id, None);
    Ok(HttpResponse::NoContent().finish())
}

/// What proves a signed-in user is at the keyboard before a sensitive
/// change: the current password, or for an account without one a fresh ID
/// token of a linked identity.
pub(super) struct Proof {
    /// The password now.
    pub current_password: Option<String>,
    /// A fresh ID token of a linked identity.
    pub id_token: Option<String>,
}

/// Checks a signed-in user's proof, within the account's budget of checks
/// (`rate_limit.password_checks_per_account_per_minute`); 403
/// `wrong_password` when it is wrong or missing. Answers the account's key
/// in the hashing queue, for the hashing that follows.
pub(super) async fn check_proof(
    pool: &DbPool,
    state: &UsersState,
    user: &AuthUser,
    proof: Proof,
) -> Result<String, ApiError> {
    state.limiter.check(
        &format!("password-check:{}", user.id),
        state.config.password_checks_limit(),
    )?;
    let key = format!("account:{}", user.id);
    passwords::ensure_room(&key)?;
    let id = user.id.clone();
    let current = db::run(pool, move |conn| service::get_user(conn, &id)).await?;
    let proven = match proof {
        Proof {
            current_password: Some(password),
            ..
        } if current.has_password() => {
            passwords::verify_password(&key, password, current.password_hash)
                .await?
                .matches
        }
        Proof {
            id_token: Some(token),
            ..
        } => {
            let identity = match state.identity_providers.verify_any(&token).await {
                Ok(identity) => identity,
                Err(crate::oidc::TokenError::Unavailable(cause)) => {
                    return Err(ApiError::unavailable(cause));
                }
                Err(crate::oidc::TokenError::Invalid(_)) => {
                    return Err(UsersError::WrongPassword.into());
                }
            };
            let fresh = chrono::Utc::now().timestamp() - identity.issued_at
                <= crate::oidc::FRESH_TOKEN_SECS;
            let id = user.id.clone();
            fresh
                && db::run(pool, move |conn| {
                    service::identity_belongs_to(conn, &id, &identity)
                })
                .await?
        }
        _ => false,
    };
    if !proven {
        return Err(UsersError::WrongPassword.into());
    }
    Ok(key)
}

/// Bytes of multipart fields other than `file` read (and thrown away)
/// before the upload is refused with 413.
const OTHER_FIELDS_BYTES: usize = 16 * 1024;

/// Reads the multipart field `file` whole, refusing more than `limit` bytes
/// of it, more than [`OTHER_FIELDS_BYTES`] of other fields, and a filename
/// with control characters.
async fn read_file_field(mut multipart: Multipart, limit: usize) -> Result<Vec<u8>, UsersError> {
    let mut other_bytes = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field =
            field.map_err(|_| UsersError::invalid("file", "the multipart body is malformed"))?;
        if field.name() != Some("file") {
            while let Some(chunk) = field.next().await {
                other_bytes += chunk
                    .map_err(|_| UsersError::invalid("file", "the multipart body is malformed"))?
                    .len();
                if other_bytes > OTHER_FIELDS_BYTES {
                    return Err(UsersError::TooLarge(limit));
                }
            }
            continue;
        }
        if let Some(name) = field.content_disposition().and_then(|cd| cd.get_filename()) {
            text::check_line("file", name).map_err(|err| UsersError::Validation(vec![err]))?;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|_| UsersError::invalid("file", "the upload was cut short"))?;
            if bytes.len() + chunk.len() > limit {
                return Err(UsersError::TooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(bytes);
    }
    Err(UsersError::invalid("file", "is required"))
}

/// Sets the caller's avatar from a PNG, JPEG or WebP image of at most 2 MiB
/// (multipart field `file`). The type is read from the bytes, not the name.
#[utoipa::path(
    tag = "users",
    operation_id = "upload_avatar",
    request_body(content = AvatarUpload, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller with the new `avatar_url`.", body = UserResponse),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[put("/users/me/avatar")]
pub async fn upload_avatar(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    multipart: Multipart,
) -> Result<web::Json<UserResponse>, ApiError> {
    let bytes = read_file_field(multipart, state.config.avatar_limit_bytes).await?;
    state.quotas.upload(&user.id, bytes.len() as u64)?;
    let Some(Sniffed { mime, extension }) =
        storage::sniff(&bytes).filter(|s| AVATAR_TYPES.contains(&s.mime))
    else {
        return Err(UsersError::invalid("file", "must be a PNG, JPEG or WebP image").into());
    };
    tracing::debug!(content_type = mime, size = bytes.len(), "avatar upload");
    let key = storage::new_key("avatars", extension);
    let url = format!("/api/v1/avatars/{}", key.trim_start_matches("avatars/"));
    let store = state.storage.clone();
    let put_key = key.clone();
    db::blocking(move || store.put(&put_key, &bytes))
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::internal)?;
    let id = user.id.clone();
    let stored_url = url.clone();
    let previous = match db::run(&pool, move |conn| {
        service::set_avatar(conn, &id, &stored_url)
    })
    .await
    {
        Ok(previous) => previous,
        Err(err) => {
            let store = state.storage.clone();
            let _ = db::blocking(move || store.delete(&key)).await;
            return Err(err.into());
        }
    };
    if let Some(old_key) = previous.as_deref().and_then(service::avatar_key) {
        let store = state.storage.clone();
        let _ = db::blocking(move || store.delete(&old_key)).await;
    }
    let me = db::run(&pool, move |conn| service::get_user(conn, &user.id)).await?;
    Ok(web::Json(UserResponse::private(
        &me,
        &state.config.currency,
    )))
}

/// An avatar image.
#[utoipa::path(
    tag = "users",
    operation_id = "get_avatar",
    params(("name" = String, Path, description = "The file name from `avatar_url`.")),
    responses(
        (status = 200, description = "The image, as uploaded.", content(
            (quickfix_shared::openapi::FileBytes = "image/png"),
            (quickfix_shared::openapi::FileBytes = "image/jpeg"),
            (quickfix_shared::openapi::FileBytes = "image/webp"),
        )),
        (status = 404, response = NotFound),
    )
)]
#[get("/avatars/{name}")]
pub async fn get_avatar(
    state: web::Data<UsersState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = format!("avatars/{}", path.into_inner());
    if !storage::is_safe_key(&key) {
        return Err(ApiError::not_found("avatar"));
    }
    let store = state.storage.clone();
    let bytes = db::blocking(move || store.get(&key))
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("avatar"))?;
    let mime = storage::sniff(&bytes).map_or("application/octet-stream", |s| s.mime);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(bytes))
}

/// The public view of a user: name, role, avatar and rating summary.
#[utoipa::path(
    tag = "users",
    operation_id = "get_user",
    params(("id" = String, Path, description = "The user's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user.", body = PublicUserResponse),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    viewer: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<web::Json<PublicUserResponse>, ApiError> {
    let id = UserId::parse(&path).ok_or(UsersError::NotFound("user"))?;
    let admin = viewer.is_admin();
    let user = db::run(&pool, move |conn| service::public_user(conn, &id, admin)).await?;
    Ok(web::Json(PublicUserResponse::from(&user)))
}
