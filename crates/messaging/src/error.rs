//! The messaging crate's errors; handlers answer them as `ApiError`, whose
//! conversion below fixes each one's status and code.

use quickfix_shared::db::DbError;
use quickfix_shared::{ApiError, ErrorCode, FieldError};

/// What can go wrong in the messaging crate.
#[derive(Debug, thiserror::Error)]
pub enum MessagingError {
    /// No such object, or not visible to the caller (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Fields failed validation (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Malformed input (400).
    #[error("{0}")]
    BadRequest(String),
    /// The body is not of the expected media type (415).
    #[error("unsupported media type")]
    UnsupportedMediaType(&'static str),
    /// The upload is over the limit (413).
    #[error("file too large")]
    TooLarge(usize),
    /// The caller used up a quota (429 `quota_exceeded`).
    #[error("{0} quota exceeded")]
    QuotaExceeded(&'static str),
    /// The other participant blocked the caller (403 `blocked`).
    #[error("blocked")]
    Blocked,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Anything else that is a bug or an outage of the file store.
    #[error("{0}")]
    Internal(String),
}

impl From<diesel::result::Error> for MessagingError {
    fn from(err: diesel::result::Error) -> Self {
        MessagingError::Db(DbError::Query(err))
    }
}

impl MessagingError {
    /// 422 for one field.
    pub fn invalid(field: &str, message: &str) -> Self {
        MessagingError::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<MessagingError> for ApiError {
    fn from(err: MessagingError) -> Self {
        match err {
            MessagingError::NotFound(what) => ApiError::not_found(what),
            MessagingError::Validation(fields) => ApiError::validation(fields),
            MessagingError::BadRequest(detail) => ApiError::bad_request(detail),
            MessagingError::UnsupportedMediaType(expected) => {
                ApiError::unsupported_media_type(expected)
            }
            MessagingError::TooLarge(limit) => ApiError::payload_too_large(limit),
            MessagingError::QuotaExceeded(what) => {
                ApiError::quota_exceeded(60, format!("the {what} quota is used up; retry later"))
            }
            MessagingError::Blocked => ApiError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                ErrorCode::Blocked,
                "the other participant blocked you",
            ),
            MessagingError::Db(err) => ApiError::from(err),
            MessagingError::Internal(msg) => ApiError::internal(msg),
        }
    }
}
