//! Sign-in with an identity provider's ID token, and the caller's linked
//! identities.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, JwtKeys};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::openapi::{
    AccountSuspended, BadRequest, Conflict, NotFound, PayloadTooLarge, ServiceUnavailable,
    TooManyRequests, Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::pagination::{Page, PageParams};
use quickfix_shared::ratelimit::client_ip;

use super::auth::LOGIN_PER_IP;
use super::{auth_response, session_meta};
use crate::dto::{AuthResponse, IdentityResponse, OidcSignInRequest};
use crate::error::UsersError;
use crate::models::IdentityId;
use crate::oidc::TokenError;
use crate::service::{self, IdentitySignIn, NewAccount};
use crate::{UsersState, events};

/// Signs in with an ID token of the configured provider `name`.
///
/// The token's identity logs in to its account (200); an identity seen
/// for the first time links to the account with its email when the
/// token's `email_verified` is true and the account's email is verified
/// (200), else that is 409 `account_exists`; with no such account it
/// registers one (201; `role` required; a verified email starts
/// verified). Same tokens and refresh rotation as a password login.
#[utoipa::path(
    tag = "auth",
    operation_id = "oidc_sign_in",
    params(("name" = String, Path, description = "The provider's name in `auth.oidc`.", example = "firebase")),
    request_body = OidcSignInRequest,
    responses(
        (status = 200, description = "Signed in to the identity's account (linked now, or before).", body = AuthResponse),
        (status = 201, description = "A new account for the identity, signed in.", body = AuthResponse,
            headers(("Location" = String, description = "The new user."))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = AccountSuspended),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/auth/oidc/{name}")]
pub async fn oidc_sign_in(
    req: HttpRequest,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    keys: web::Data<JwtKeys>,
    path: web::Path<String>,
    body: ValidJson<OidcSignInRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    if !state.identity_providers.knows(&name) {
        return Err(UsersError::NotFound("identity provider").into());
    }
    state
        .limiter
        .check(&format!("login:ip:{}", client_ip(&req)), LOGIN_PER_IP)?;
    let request = body.into_inner();
    let identity = state
        .identity_providers
        .verify(&name, &request.id_token)
        .await
        .map_err(|err| match err {
            TokenError::Invalid(why) => {
                tracing::info!(provider = %name, reason = %why, "an ID token was refused");
                UsersError::InvalidCredentials
            }
            TokenError::Unavailable(cause) => UsersError::Unavailable(cause),
        })?;
    let account = NewAccount {
        role: request.role.map(Into::into),
        name: request.name,
    };
    let meta = session_meta(&req);
    let ttl = state.config.refresh_ttl_secs;
    let sign_in = || {
        let (identity, account, meta, mail) = (
            identity.clone(),
            account.clone(),
            meta.clone(),
            state.mail.clone(),
        );
        relay.run(move |conn| {
            let outcome = service::sign_in_with_identity(conn, &identity, &account, &meta, ttl)?;
            let login = outcome.login();
            let mut events = vec![events::session_started(&login.user.id, &login.session_id)];
            if let IdentitySignIn::Registered(login) = &outcome {
                events.insert(0, events::registered(&login.user));
                if !login.user.email_verified {
                    service::send_verification(conn, &mail, &login.user)?;
                }
            }
            Ok::<_, UsersError>((outcome, events))
        })
    };
    // Two first sign-ins of one identity race on the unique indexes; the
    // loser finds the winner's account on its second try.
    let outcome = match sign_in().await {
        Err(UsersError::EmailTaken) => sign_in().await,
        other => other,
    }
    .map_err(|err| match err {
        UsersError::EmailTaken => UsersError::AccountExists,
        err => err,
    })?;
    let body = auth_response(&keys, &state, outcome.login())?;
    Ok(match outcome {
        IdentitySignIn::Registered(login) => {
            tracing::info!(user.id = %login.user.id, provider = %name, "user registered with an identity provider");
            HttpResponse::build(StatusCode::CREATED)
                .insert_header((LOCATION, format!("/api/v1/users/{}", login.user.id)))
                .json(body)
        }
        IdentitySignIn::Linked(login) => {
            tracing::info!(user.id = %login.user.id, provider = %name, "identity linked by verified email");
            HttpResponse::Ok().json(body)
        }
        IdentitySignIn::Existing(_) => HttpResponse::Ok().json(body),
    })
}

/// The caller's linked identities, oldest first.
#[utoipa::path(
    tag = "auth",
    operation_id = "list_identities",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Linked identities.", body = Page<IdentityResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/auth/identities")]
pub async fn list_identities(
    user: AuthUser,
    pool: web::Data<DbPool>,
    page: ValidQuery<PageParams>,
) -> Result<web::Json<Page<IdentityResponse>>, ApiError> {
    let cursor = page.cursor()?;
    let limit = page.limit();
    let rows = db::run(&pool, move |conn| {
        service::list_identities(conn, &user.id, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(rows.map(|i| IdentityResponse::from(&i))))
}

/// Unlinks one of the caller's identities; not the last way to sign in (an
/// account without a password keeps one identity: 409
/// `last_sign_in_method`).
#[utoipa::path(
    tag = "auth",
    operation_id = "unlink_identity",
    params(("id" = String, Path, description = "The identity's id.")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Unlinked: its ID tokens no longer sign in here."),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[delete("/auth/identities/{id}")]
pub async fn unlink_identity(
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = IdentityId::parse(&path).ok_or(UsersError::NotFound("identity"))?;
    db::run(&pool, move |conn| {
        service::unlink_identity(conn, &user.id, &id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
