//! Registration, login, token refresh, logout and sessions.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use quickfix_shared::auth::{AuthUser, JwtKeys};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::idempotency::{self, IdempotencyKey, Stored};
use quickfix_shared::openapi::{
    AccountSuspended, BadRequest, Conflict, NotFound, PayloadTooLarge, ServiceUnavailable,
    TooManyRequests, Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::pagination::{Page, PageParams};
use quickfix_shared::ratelimit::{Limit, client_ip};
use quickfix_shared::{ApiError, ids::SessionId};
use serde::{Deserialize, Serialize};

use super::{auth_response, session_meta};
use crate::dto::{
    AuthResponse, LoginRequest, RefreshRequest, RegisterRequest, SessionResponse, UserResponse,
};
use crate::error::UsersError;
use crate::passwords;
use crate::service::{self, RefreshOutcome};
use crate::{UsersState, events};

const REGISTER_PER_IP: Limit = Limit::per_minute(10);
/// Logins (by password or by identity provider) of one client IP.
pub(super) const LOGIN_PER_IP: Limit = Limit::per_minute(20);
const REFRESH_PER_IP: Limit = Limit::per_minute(60);

/// What the idempotency store keeps of a registration: never its tokens.
#[derive(Debug, Serialize, Deserialize)]
struct Registered {
    user_id: String,
    session_id: String,
}

/// Registers a customer or provider and logs them in.
///
/// Honours `Idempotency-Key` (the key alone identifies the anonymous caller).
/// Tokens are never stored, so a replay answers the same user and login with
/// a freshly minted token pair.
#[utoipa::path(
    tag = "auth",
    operation_id = "register",
    request_body = RegisterRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for 24 h.")),
    responses(
        (status = 201, description = "Registered and logged in.", body = AuthResponse),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    keys: web::Data<JwtKeys>,
    key: IdempotencyKey,
    body: ValidJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .limiter
        .check(&format!("register:{}", client_ip(&req)), REGISTER_PER_IP)?;
    let request = body.into_inner();
    let fingerprint = idempotency::fingerprint(&[
        b"POST /auth/register",
        &serde_json::to_vec(&request).map_err(ApiError::internal)?,
    ]);
    let meta = session_meta(&req);
    let fresh = std::cell::RefCell::new(None);
    let stored = idempotency::run_once_stored(&pool, &key, "anonymous", fingerprint, || async {
        let hash = passwords::hash_password(
            &format!("register:{}", client_ip(&req)),
            request.password.clone(),
            state.config.bcrypt_cost,
        )
        .await?;
        let ttl = state.config.refresh_ttl_secs;
        let mail = state.mail.clone();
        let issued = relay
            .run(move |conn| {
                let issued = service::register(conn, &request, hash, &meta, ttl)?;
                service::send_verification(conn, &mail, &issued.user)?;
                let events = vec![
                    events::registered(&issued.user),
                    events::session_started(&issued.user.id, &issued.session_id),
                ];
                Ok::<_, UsersError>((issued, events))
            })
            .await?;
        tracing::info!(user.id = %issued.user.id, "user registered");
        let registered = Registered {
            user_id: issued.user.id.clone(),
            session_id: issued.session_id.clone(),
        };
        fresh.replace(Some(issued));
        Ok((StatusCode::CREATED, registered))
    })
    .await;
    match stored {
        Ok(Stored::Fresh(status, _)) => {
            let issued = fresh
                .into_inner()
                .ok_or_else(|| ApiError::internal("registration produced no login"))?;
            Ok(HttpResponse::build(status)
                .insert_header((LOCATION, format!("/api/v1/users/{}", issued.user.id)))
                .json(auth_response(&keys, &state, &issued)?))
        }
        Ok(Stored::Replayed(status, body)) if status.is_success() => {
            let registered: Registered = serde_json::from_str(&body).map_err(ApiError::internal)?;
            let ttl = state.config.refresh_ttl_secs;
            let issued = db::run(&pool, move |conn| {
                service::reissue(conn, &registered.user_id, &registered.session_id, ttl)
            })
            .await?;
            Ok(HttpResponse::build(status)
                .insert_header((idempotency::REPLAYED_HEADER, "true"))
                .insert_header((LOCATION, format!("/api/v1/users/{}", issued.user.id)))
                .json(auth_response(&keys, &state, &issued)?))
        }
        Ok(Stored::Replayed(status, body)) => Ok(idempotency::replay(status, body)),
        Err(err) => Err(err),
    }
}

/// Logs in with email and password.
///
/// A wrong email and a wrong password get the same answer in about the same
/// time (an unknown email is checked against a dummy hash).
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in.", body = AuthResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = AccountSuspended),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    keys: web::Data<JwtKeys>,
    body: ValidJson<LoginRequest>,
) -> Result<web::Json<AuthResponse>, ApiError> {
    let request = body.into_inner();
    let ip = client_ip(&req);
    state
        .limiter
        .check(&format!("login:ip:{ip}"), LOGIN_PER_IP)?;
    let email = service::normalize_email(&request.email);
    // Failures count per email *and* client IP: a stranger guessing a
    // victim's password locks out only themselves.
    let failures_key = format!("{email}|{ip}");
    state.login_failures.check(&failures_key)?;
    let lookup = email.clone();
    let candidate = db::run(&pool, move |conn| {
        service::find_login_candidate(conn, &lookup)
    })
    .await?;
    // An account without a password (made by an identity provider) is
    // checked against the dummy hash too, and never matches.
    let stored = match &candidate {
        Some(user) if user.has_password() => user.password_hash.clone(),
        _ => state.dummy_hash().await?,
    };
    let password = request.password;
    let checked = passwords::verify_password(
        &format!("login:{failures_key}"),
        password.clone(),
        stored.clone(),
    )
    .await?;
    let matches = checked.matches && candidate.as_ref().is_some_and(|u| u.has_password());
    let user = match candidate {
        Some(user) if matches && user.is_active => user,
        // Only the right password learns of the suspension.
        Some(user) if matches && user.is_suspended(db::now()) => {
            return Err(ApiError::account_suspended(
                user.suspended_until.map(|t| t.and_utc()),
            ));
        }
        _ => {
            state
                .login_failures
                .record_failure(&failures_key, state.config.login_failures_limit());
            return Err(UsersError::InvalidCredentials.into());
        }
    };
    state.login_failures.record_success(&failures_key);
    if checked.outdated {
        upgrade_hash_later(pool.clone(), &state, user.id.clone(), stored, password);
    }
    let meta = session_meta(&req);
    let ttl = state.config.refresh_ttl_secs;
    let issued = relay
        .run(move |conn| {
            let issued = service::login(conn, user, &meta, ttl)?;
            let started = events::session_started(&issued.user.id, &issued.session_id);
            Ok::<_, UsersError>((issued, vec![started]))
        })
        .await?;
    Ok(web::Json(auth_response(&keys, &state, &issued)?))
}

/// Re-hashes a password verified against an outdated hash in the current
/// scheme, after the login has answered; a failure leaves the old hash,
/// which keeps working, for the next login to try again.
fn upgrade_hash_later(
    pool: web::Data<DbPool>,
    state: &UsersState,
    user: String,
    old: String,
    password: String,
) {
    let cost = state.config.bcrypt_cost;
    actix_web::rt::spawn(async move {
        let upgraded = async {
            let new = passwords::hash_password(&format!("account:{user}"), password, cost).await?;
            db::run(&pool, move |conn| {
                service::upgrade_password_hash(conn, &user, &old, &new)
            })
            .await
        };
        if let Err(err) = upgraded.await {
            tracing::warn!(error = %err, "an outdated password hash was not upgraded");
        }
    });
}

/// Exchanges a refresh token for a new pair.
///
/// Each refresh token works once. Presenting a spent one again is 401
/// `refresh_token_reused` and revokes every token of that login.
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh_token",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair.", body = AuthResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    req: HttpRequest,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    keys: web::Data<JwtKeys>,
    body: ValidJson<RefreshRequest>,
) -> Result<web::Json<AuthResponse>, ApiError> {
    state
        .limiter
        .check(&format!("refresh:{}", client_ip(&req)), REFRESH_PER_IP)?;
    let token = body.into_inner().refresh_token;
    let ttl = state.config.refresh_ttl_secs;
    let outcome = relay
        .run(move |conn| {
            let outcome = service::refresh(conn, &token, ttl)?;
            let events = match &outcome {
                RefreshOutcome::Reused {
                    user_id,
                    session_id,
                } => vec![events::session_ended(user_id, Some(session_id), user_id)],
                RefreshOutcome::Rotated(_) => Vec::new(),
            };
            Ok::<_, UsersError>((outcome, events))
        })
        .await?;
    match outcome {
        RefreshOutcome::Rotated(issued) => Ok(web::Json(auth_response(&keys, &state, &issued)?)),
        RefreshOutcome::Reused {
            user_id,
            session_id,
        } => {
            state.logins_ended(&user_id, Some(&session_id));
            tracing::warn!("a spent refresh token was presented; its login is revoked");
            Err(UsersError::RefreshTokenReused.into())
        }
    }
}

/// Ends the login a refresh token belongs to.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "The login is over; its tokens are dead."),
        (status = 400, response = BadRequest),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    body: ValidJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().refresh_token;
    let ended = relay
        .run(move |conn| {
            let ended = service::logout(conn, &token)?;
            let events = ended
                .iter()
                .map(|(user, session)| events::session_ended(user, Some(session), user))
                .collect();
            Ok::<_, UsersError>((ended, events))
        })
        .await?;
    if let Some((user, session)) = ended {
        state.logins_ended(&user, Some(&session));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's live logins, newest first.
#[utoipa::path(
    tag = "auth",
    operation_id = "list_sessions",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Live logins.", body = Page<SessionResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/auth/sessions")]
pub async fn list_sessions(
    user: AuthUser,
    pool: web::Data<DbPool>,
    page: ValidQuery<PageParams>,
) -> Result<web::Json<Page<SessionResponse>>, ApiError> {
    let cursor = page.cursor()?;
    let limit = page.limit();
    let current = user.session.clone();
    let sessions = db::run(&pool, move |conn| {
        service::list_sessions(conn, &user.id, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(
        sessions.map(|s| SessionResponse::of(&s, &current)),
    ))
}

/// Revokes one of the caller's logins.
#[utoipa::path(
    tag = "auth",
    operation_id = "delete_session",
    params(("id" = String, Path, description = "The session's id.")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[delete("/auth/sessions/{id}")]
pub async fn delete_session(
    user: AuthUser,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let session = SessionId::parse(&path).ok_or(UsersError::NotFound("session"))?;
    let forget = session.to_string();
    let owner = user.id.to_string();
    let ended = events::session_ended(&owner, Some(&forget), &owner);
    relay
        .run(move |conn| {
            service::revoke_session(conn, &user.id, &session)?;
            Ok::<_, UsersError>(((), vec![ended]))
        })
        .await?;
    state.logins_ended(&owner, Some(&forget));
    Ok(HttpResponse::NoContent().finish())
}

/// The caller with profile.
#[utoipa::path(
    tag = "auth",
    operation_id = "get_me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller.", body = UserResponse),
        (status = 401, response = Unauthorized),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/auth/me")]
pub async fn get_me(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
) -> Result<web::Json<UserResponse>, ApiError> {
    let me = db::run(&pool, move |conn| service::get_user(conn, &user.id)).await?;
    Ok(web::Json(UserResponse::private(
        &me,
        &state.config.currency,
    )))
}
