//! The ratings crate's errors; handlers answer them as `ApiError`, whose
//! conversion below fixes each one's status and code.

use quickfix_shared::db::DbError;
use quickfix_shared::{ApiError, ErrorCode};

/// What can go wrong in the ratings crate.
#[derive(Debug, thiserror::Error)]
pub enum RatingsError {
    /// No such object, or not visible to the caller (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The booking is not completed (409 `booking_not_completed`).
    #[error("booking not completed")]
    NotCompleted,
    /// The caller rated this booking already (409 `already_rated`).
    #[error("already rated")]
    AlreadyRated,
    /// Stars outside 1..=5 (422).
    #[error("invalid stars")]
    InvalidStars,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for RatingsError {
    fn from(err: diesel::result::Error) -> Self {
        RatingsError::Db(DbError::Query(err))
    }
}

impl From<RatingsError> for ApiError {
    fn from(err: RatingsError) -> Self {
        match err {
            RatingsError::NotFound(what) => ApiError::not_found(what),
            RatingsError::NotCompleted => ApiError::conflict(
                ErrorCode::BookingNotCompleted,
                "a booking can be rated once it is completed",
            ),
            RatingsError::AlreadyRated => {
                ApiError::conflict(ErrorCode::AlreadyRated, "you rated this booking already")
            }
            RatingsError::InvalidStars => {
                ApiError::invalid_field("stars", "must be between 1 and 5")
            }
            RatingsError::Db(err) => ApiError::from(err),
        }
    }
}
