//! The account lifecycle over email: password reset, email verification
//! and email change. Links in the emails point at the frontend
//! (`app.public_url`), which posts their token here.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use futures_util::{FutureExt, StreamExt};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::ValidJson;
use quickfix_shared::openapi::{
    BadRequest, Conflict, Forbidden, PayloadTooLarge, ServiceUnavailable, TooManyRequests,
    Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::ratelimit::{Limit, client_ip};

use super::profile::{Proof, check_proof};
use crate::dto::{
    ChangeEmailRequest, DataExport, DeleteAccountRequest, NotificationPreferences,
    PasswordResetConfirmRequest, PasswordResetRequest, UpdateNotificationPreferences, UserResponse,
    VerifyEmailRequest,
};
use crate::error::UsersError;
use crate::{UsersState, events, passwords, service};

const RESET_PER_IP: Limit = Limit::per_minute(10);
const TOKEN_PER_IP: Limit = Limit::per_minute(30);

/// Asks for a password reset link.
///
/// The answer is the same 202, with no body, whether or not an account
/// uses the email, and it comes before any work on it: looking the account
/// up and mailing the link happen afterwards, so neither the answer nor
/// its timing tells whether the email is registered. At most
/// `rate_limit.emails_per_address_per_hour` lifecycle emails go to one
/// address; beyond it nothing is sent, and the answer is the same.
#[utoipa::path(
    tag = "auth",
    operation_id = "request_password_reset",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted: if an active account uses this email, a link is on its way."),
        (status = 400, response = BadRequest),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    body: ValidJson<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .limiter
        .check(&format!("reset:{}", client_ip(&req)), RESET_PER_IP)?;
    let email = body.into_inner().email;
    let (pool, mail) = (pool.get_ref().clone(), state.mail.clone());
    let ttl = chrono::Duration::seconds(state.config.reset_ttl_secs);
    tokio::spawn(async move {
        let asked = db::run(&pool, move |conn| {
            service::request_password_reset(conn, &mail, &email, ttl)
        })
        .await;
        if let Err(err) = asked {
            tracing::error!(error = %err, "a password reset could not be stored");
        }
    });
    Ok(HttpResponse::Accepted().finish())
}

/// Sets a new password with the token of a reset link.
///
/// The token works once, within `auth.reset_ttl_secs` of its email, and
/// only while it is the newest of its account; a password change kills it
/// too. Every login of the account ends.
#[utoipa::path(
    tag = "auth",
    operation_id = "confirm_password_reset",
    request_body = PasswordResetConfirmRequest,
    responses(
        (status = 204, description = "The password is set; every login of the account ended."),
        (status = 400, response = BadRequest),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_password_reset(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    body: ValidJson<PasswordResetConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .limiter
        .check(&format!("token:{}", client_ip(&req)), TOKEN_PER_IP)?;
    let request = body.into_inner();
    let token = request.token.clone();
    let user = db::run(&pool, move |conn| service::reset_token_user(conn, &token)).await?;
    let hash = passwords::hash_password(
        &format!("account:{user}"),
        request.new_password,
        state.config.bcrypt_cost,
    )
    .await?;
    let token = request.token;
    let user = relay
        .run(move |conn| {
            let user = service::confirm_password_reset(conn, &token, &hash)?;
            let ended = events::session_ended(&user, None, &user);
            Ok::<_, UsersError>((user, vec![ended]))
        })
        .await?;
    state.logins_ended(&user, None);
    tracing::info!(user.id = %user, "password reset");
    Ok(HttpResponse::NoContent().finish())
}

/// Verifies an email address with the token of a verification or
/// email-change link.
///
/// A verification link verifies the account's address; an email-change
/// link moves the account to its new address, verified (until then the
/// old one kept working). Either works once.
#[utoipa::path(
    tag = "auth",
    operation_id = "verify_email",
    request_body = VerifyEmailRequest,
    responses(
        (status = 200, description = "The account, `email_verified: true`.", body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/auth/verify-email")]
pub async fn verify_email(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    body: ValidJson<VerifyEmailRequest>,
) -> Result<web::Json<UserResponse>, ApiError> {
    state
        .limiter
        .check(&format!("token:{}", client_ip(&req)), TOKEN_PER_IP)?;
    let token = body.into_inner().token;
    let user = db::run(&pool, move |conn| service::verify_email(conn, &token)).await?;
    // The gate remembers whether the email was verified: ask again.
    state.sessions.forget_user(&user.id);
    Ok(web::Json(UserResponse::private(
        &user,
        &state.config.currency,
    )))
}

/// Sends the verification email again.
///
/// At most one verification email goes out per `auth.verify_resend_secs`,
/// counted from the last one (the one sent at registration too); sooner is
/// 429 `rate_limited` with `Retry-After`, whatever `rate_limit.enabled`
/// says. A verified address gets no email, and the same 202.
#[utoipa::path(
    tag = "auth",
    operation_id = "resend_verification_email",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Accepted: a new verification link is on its way."),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/auth/verify-email/resend")]
pub async fn resend_verification(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
) -> Result<HttpResponse, ApiError> {
    let mail = state.mail.clone();
    let every = chrono::Duration::seconds(state.config.verify_resend_secs.max(1));
    db::run(&pool, move |conn| {
        service::resend_verification(conn, &mail, &user.id, every)
    })
    .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Asks to change the caller's email.
///
/// A confirmation link goes to the new address and a notice to the old
/// one; the change applies when the link's token is posted to
/// `POST /auth/verify-email`, and until then the old address keeps
/// working (for login and resets alike).
#[utoipa::path(
    tag = "users",
    operation_id = "change_email",
    request_body = ChangeEmailRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Accepted: a confirmation link is on its way to the new address."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[put("/users/me/email")]
pub async fn change_email(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    body: ValidJson<ChangeEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let proof = Proof {
        current_password: request.current_password,
        id_token: request.id_token,
    };
    check_proof(&pool, &state, &user, proof).await?;
    let mail = state.mail.clone();
    let new_email = request.new_email;
    db::run(&pool, move |conn| {
        service::request_email_change(conn, &mail, &user.id, &new_email)
    })
    .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// The caller's notification preferences: which notifications also come
/// by email (every kind is on until turned off).
#[utoipa::path(
    tag = "users",
    operation_id = "get_notification_preferences",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's choices, every kind.", body = NotificationPreferences),
        (status = 401, response = Unauthorized),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/users/me/notification-preferences")]
pub async fn get_notification_preferences(
    user: AuthUser,
    pool: web::Data<DbPool>,
) -> Result<web::Json<NotificationPreferences>, ApiError> {
    let choices = db::run(&pool, move |conn| {
        service::notification_preferences(conn, &user.id)
    })
    .await?;
    Ok(web::Json(NotificationPreferences::from_choices(&choices)))
}

/// Changes the caller's notification preferences; a kind left out keeps
/// its choice. Answers the whole set.
#[utoipa::path(
    tag = "users",
    operation_id = "update_notification_preferences",
    request_body = UpdateNotificationPreferences,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's choices now, every kind.", body = NotificationPreferences),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[put("/users/me/notification-preferences")]
pub async fn update_notification_preferences(
    user: AuthUser,
    pool: web::Data<DbPool>,
    body: ValidJson<UpdateNotificationPreferences>,
) -> Result<web::Json<NotificationPreferences>, ApiError> {
    let choices = body.into_inner().choices();
    let now = db::run(&pool, move |conn| {
        service::set_notification_preferences(conn, &user.id, &choices)
    })
    .await?;
    Ok(web::Json(NotificationPreferences::from_choices(&now)))
}

/// Deletes the caller's account.
///
/// The name becomes "Deleted user"; the email (free to register again),
/// phone, address, avatar, logins, favourites, catalog, preferences and
/// emailed links are erased; open jobs are cancelled and pending offers
/// withdrawn. Messages and ratings stay, shown with the deleted user. An
/// account with a confirmed or in-progress booking is refused (409
/// `account_has_active_bookings`), also when an accept races the deletion.
#[utoipa::path(
    tag = "users",
    operation_id = "delete_me",
    request_body = DeleteAccountRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted; every login of the account ended."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[delete("/users/me")]
pub async fn delete_me(
    user: AuthUser,
    pool: web::Data<DbPool>,
    relay: web::Data<SharedRelay>,
    state: web::Data<UsersState>,
    body: ValidJson<DeleteAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let proof = Proof {
        current_password: request.current_password,
        id_token: request.id_token,
    };
    check_proof(&pool, &state, &user, proof).await?;
    let closure = state.closure()?;
    closure.close(user.id.clone()).await?;
    let id = user.id.clone();
    let deleted = relay
        .run(move |conn| {
            let (deleted, files) = service::delete_account(conn, &id)?;
            let events = vec![
                events::deleted(&deleted),
                events::session_ended(&deleted.id, None, &deleted.id),
            ];
            Ok::<_, UsersError>(((deleted, files), events))
        })
        .await;
    let (deleted, files) = match deleted {
        Ok(done) => done,
        Err(err) => {
            if let Err(reopen) = closure.reopen(user.id.clone()).await {
                tracing::error!(user.id = %user.id, error = %reopen, "a failed deletion left its account closed to new work");
            }
            return Err(err.into());
        }
    };
    state.logins_ended(&deleted.id, None);
    // The avatar and verification files, after the commit: a failure
    // leaves a file no row names, never a row without its file.
    for key in files {
        let store = state.storage.clone();
        if let Err(err) = db::blocking(move || store.delete(&key)).await {
            tracing::warn!(error = %err, "a deleted account's file stays");
        }
    }
    tracing::info!(user.id = %deleted.id, "account deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// Everything the server holds of the caller, as one JSON document.
///
/// The document is written section by section as each crate answers:
/// the account and profile, notification preferences, identities,
/// sessions, blocks, reports filed, verification status, then jobs,
/// offers, bookings, messages sent, notifications, and ratings given and
/// received.
#[utoipa::path(
    tag = "users",
    operation_id = "export_me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's data.", body = DataExport),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/users/me/export")]
pub async fn export_me(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
) -> Result<HttpResponse, ApiError> {
    state
        .limiter
        .check(&format!("export:{}", user.id), EXPORTS_PER_USER)?;
    let (id, currency) = (user.id.clone(), state.config.currency.clone());
    let own = db::run(&pool, move |conn| {
        service::export_sections(conn, &id, &currency)
    })
    .await?;
    let mut head = serde_json::Map::new();
    head.insert(
        "exported_at".to_owned(),
        serde_json::json!(quickfix_shared::db::now().and_utc()),
    );
    head.insert("user_id".to_owned(), serde_json::json!(user.id.as_str()));
    let head = sections_chunk(
        head.into_iter()
            .chain(own.into_iter().map(|(k, v)| (k.to_owned(), v))),
        true,
    )?;
    let sources = state.personal_data.clone();
    let owner = user.id.clone();
    let parts = std::iter::once(futures_util::future::ready(Ok(head)).boxed())
        .chain(sources.into_iter().map(move |source| {
            let user = owner.clone();
            async move {
                let sections = source.export(user).await?;
                sections_chunk(sections.into_iter().map(|(k, v)| (k.to_owned(), v)), false)
            }
            .boxed()
        }))
        .chain(std::iter::once(
            futures_util::future::ready(Ok(web::Bytes::from_static(b"}"))).boxed(),
        ));
    let body = futures_util::stream::iter(parts).then(|part| part);
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"quickfix-export.json\"",
        ))
        .streaming(body))
}

/// Exports one user may ask for per minute (each reads every crate).
const EXPORTS_PER_USER: Limit = Limit::per_minute(6);

/// `"name":value` pairs as a piece of the export's object: after its
/// opening brace when `first`, else after a comma.
fn sections_chunk(
    sections: impl Iterator<Item = (String, serde_json::Value)>,
    first: bool,
) -> Result<web::Bytes, ApiError> {
    let mut out = Vec::new();
    for (i, (name, value)) in sections.enumerate() {
        out.push(if first && i == 0 { b'{' } else { b',' });
        serde_json::to_writer(&mut out, &name).map_err(ApiError::internal)?;
        out.push(b':');
        serde_json::to_writer(&mut out, &value).map_err(ApiError::internal)?;
    }
    Ok(web::Bytes::from(out))
}
