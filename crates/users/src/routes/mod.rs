//! The users crate's HTTP routes, one file per area.

mod admin;
mod auth;
mod blocks;
mod favorites;
mod identities;
mod lifecycle;
mod profile;
mod providers;
mod reports;
mod verifications;

use actix_web::{HttpRequest, http::header};
use quickfix_shared::ApiError;
use quickfix_shared::auth::JwtKeys;
use quickfix_shared::ratelimit::client_ip;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::UsersState;
use crate::dto::{AuthResponse, UserResponse};
use crate::service::{IssuedLogin, SessionMeta};

/// Registers every route of the crate (paths relative to `/api/v1`).
/// Literal segments come before `{id}` segments so `/users/me/...` wins.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(auth::register)
        .service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::list_sessions)
        .service(auth::delete_session)
        .service(auth::get_me)
        .service(identities::oidc_sign_in)
        .service(identities::list_identities)
        .service(identities::unlink_identity)
        .service(lifecycle::request_password_reset)
        .service(lifecycle::confirm_password_reset)
        .service(lifecycle::verify_email)
        .service(lifecycle::resend_verification)
        .service(lifecycle::change_email)
        .service(lifecycle::get_notification_preferences)
        .service(lifecycle::update_notification_preferences)
        .service(lifecycle::delete_me)
        .service(lifecycle::export_me)
        .service(profile::update_me)
        .service(profile::change_password)
        .service(profile::upload_avatar)
        .service(profile::get_avatar)
        .service(favorites::list_favorites)
        .service(favorites::add_favorite)
        .service(favorites::remove_favorite)
        .service(blocks::list_blocks)
        .service(blocks::block_user)
        .service(blocks::unblock_user)
        .service(profile::get_user)
        .service(verifications::submit_verification)
        .service(verifications::get_my_verification)
        .service(verifications::get_verification_file)
        .service(verifications::list_verifications)
        .service(verifications::approve_verification)
        .service(verifications::reject_verification)
        .service(providers::list_providers)
        .service(providers::create_catalog_service)
        .service(providers::replace_catalog_service)
        .service(providers::delete_catalog_service)
        .service(providers::get_provider)
        .service(providers::list_catalog_services)
        .service(reports::create_report)
        .service(reports::list_reports)
        .service(reports::resolve_report)
        .service(reports::dismiss_report)
        .service(admin::list_users)
        .service(admin::update_user)
        .service(admin::verify_provider)
        .service(admin::suspend_user)
        .service(admin::unsuspend_user);
}

/// Where the request comes from, for the session list.
fn session_meta(req: &HttpRequest) -> SessionMeta {
    SessionMeta {
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect()),
        ip: Some(client_ip(req)),
    }
}

/// The token answer for a fresh login.
fn auth_response(
    keys: &JwtKeys,
    state: &UsersState,
    login: &IssuedLogin,
) -> Result<AuthResponse, ApiError> {
    let role = quickfix_shared::auth::Role::parse(&login.user.role)
        .ok_or_else(|| ApiError::internal("stored role is unknown"))?;
    let user_id = quickfix_shared::ids::UserId::from_db(login.user.id.clone());
    Ok(AuthResponse {
        user: UserResponse::private(&login.user, &state.config.currency),
        access_token: keys.issue(&user_id, role, &login.session_id)?,
        refresh_token: login.refresh_token.clone(),
        token_type: crate::dto::TokenType::Bearer,
        expires_in: keys.access_ttl_secs(),
    })
}
