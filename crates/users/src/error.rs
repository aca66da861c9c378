//! The users crate's errors; handlers answer them as `ApiError`, whose
//! conversion below fixes each one's status and code.

use actix_web::http::StatusCode;
use quickfix_shared::db::DbError;
use quickfix_shared::{ApiError, ErrorCode, FieldError};

/// What can go wrong in the users crate.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The email is registered already (409 `email_taken`).
    #[error("email taken")]
    EmailTaken,
    /// Wrong email or password, or an inactive account (401).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A refresh token that is unknown, expired or revoked (401).
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// A spent refresh token presented again (401 `refresh_token_reused`).
    #[error("refresh token reused")]
    RefreshTokenReused,
    /// The current password given is wrong or missing, or the ID token
    /// standing in for it is not a fresh one of a linked identity (403
    /// `wrong_password`).
    #[error("wrong password")]
    WrongPassword,
    /// No such object, or not visible to the caller (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may not do this (403).
    #[error("{0}")]
    Forbidden(&'static str),
    /// Fields failed validation (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The uploaded file is over the limit (413).
    #[error("file too large")]
    TooLarge(usize),
    /// The password-hashing queue is full (503 with `Retry-After`).
    #[error("hashing queue full")]
    Busy(u64),
    /// An emailed token that is unknown, used, expired or replaced (400
    /// `invalid_token`).
    #[error("invalid token")]
    InvalidToken,
    /// Another verification email is asked for too soon (429 with the
    /// seconds to wait).
    #[error("verification email sent lately")]
    ResendTooSoon(u64),
    /// The report is closed already (409 `report_closed`).
    #[error("report closed")]
    ReportClosed,
    /// The object's state does not allow this (409 `conflict`).
    #[error("{0}")]
    Conflict(&'static str),
    /// An account has the identity's email, but one of the two emails is
    /// not verified (409 `account_exists`).
    #[error("account exists")]
    AccountExists,
    /// The identity is the account's last way to sign in (409
    /// `last_sign_in_method`).
    #[error("last sign-in method")]
    LastSignInMethod,
    /// The account is suspended (403 `account_suspended`, with its end).
    #[error("account suspended")]
    Suspended(Option<chrono::NaiveDateTime>),
    /// The identity provider's keys cannot be fetched now (503).
    #[error("{0}")]
    Unavailable(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Anything else that is a bug.
    #[error("{0}")]
    Internal(String),
}

impl From<diesel::result::Error> for UsersError {
    fn from(err: diesel::result::Error) -> Self {
        UsersError::Db(DbError::Query(err))
    }
}

impl UsersError {
    /// 422 for one field.
    pub fn invalid(field: &str, message: &str) -> Self {
        UsersError::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<UsersError> for ApiError {
    fn from(err: UsersError) -> Self {
        match err {
            UsersError::EmailTaken => {
                ApiError::conflict(ErrorCode::EmailTaken, "this email is already registered")
            }
            UsersError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidCredentials,
                "the email or password is wrong",
            ),
            UsersError::InvalidRefreshToken => {
                ApiError::unauthorized("the refresh token is invalid or expired")
            }
            UsersError::RefreshTokenReused => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::RefreshTokenReused,
                "this refresh token was used already; every token of this login is revoked",
            ),
            UsersError::WrongPassword => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::WrongPassword,
                "the current password is wrong or missing (an account without a password proves itself with a fresh ID token of a linked identity)",
            ),
            UsersError::NotFound(what) => ApiError::not_found(what),
            UsersError::Forbidden(why) => ApiError::forbidden(why),
            UsersError::Conflict(why) => ApiError::conflict(ErrorCode::Conflict, why),
            UsersError::ReportClosed => ApiError::conflict(
                ErrorCode::ReportClosed,
                "this report was resolved or dismissed already",
            ),
            UsersError::Validation(fields) => ApiError::validation(fields),
            UsersError::TooLarge(limit) => ApiError::payload_too_large(limit),
            UsersError::Busy(retry_after) => ApiError::busy(retry_after),
            UsersError::InvalidToken => ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidToken,
                "this link is unknown, used, expired or replaced by a newer one",
            ),
            UsersError::ResendTooSoon(wait) => ApiError::rate_limited(wait),
            UsersError::AccountExists => ApiError::conflict(
                ErrorCode::AccountExists,
                "an account has this email; it links to the identity once both its email and the identity's are verified: sign in with its password and verify it first",
            ),
            UsersError::LastSignInMethod => ApiError::conflict(
                ErrorCode::LastSignInMethod,
                "this is the account's last way to sign in; set a password or link another identity first",
            ),
            UsersError::Suspended(until) => ApiError::account_suspended(until.map(|t| t.and_utc())),
            UsersError::Unavailable(cause) => ApiError::unavailable(cause),
            UsersError::Db(err) => ApiError::from(err),
            UsersError::Internal(msg) => ApiError::internal(msg),
        }
    }
}
