//! The bookings crate's errors; handlers answer them as `ApiError`, whose
//! conversion below fixes each one's status and code.

use quickfix_shared::db::DbError;
use quickfix_shared::{ApiError, ErrorCode, FieldError};

/// What can go wrong in the bookings crate.
#[derive(Debug, thiserror::Error)]
pub enum BookingsError {
    /// No such booking, or not visible to the caller (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may see the booking but not do this (403).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The state does not allow the action (409 `invalid_transition`).
    #[error("invalid transition")]
    InvalidTransition {
        /// The state now.
        from: &'static str,
        /// What was asked.
        action: &'static str,
    },
    /// A dispute after the window, or a second one (409
    /// `dispute_window_closed`).
    #[error("dispute window closed")]
    DisputeWindowClosed,
    /// A location update on a booking that is not active (409 `booking_not_active`).
    #[error("booking not active")]
    NotActive,
    /// Location updates come faster than allowed (429).
    #[error("too many location updates")]
    TooFrequent {
        /// Seconds until the next one is accepted.
        retry_after_secs: u64,
    },
    /// Fields failed validation (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Another crate refused (the jobs crate, accepting an offer).
    #[error("{0}")]
    Refused(ApiError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for BookingsError {
    fn from(err: diesel::result::Error) -> Self {
        BookingsError::Db(DbError::Query(err))
    }
}

impl From<BookingsError> for ApiError {
    fn from(err: BookingsError) -> Self {
        match err {
            BookingsError::NotFound(what) => ApiError::not_found(what),
            BookingsError::Forbidden(why) => ApiError::forbidden(why),
            BookingsError::InvalidTransition { from, action } => ApiError::conflict(
                ErrorCode::InvalidTransition,
                format!("a {from} booking cannot be asked to {action}"),
            ),
            BookingsError::DisputeWindowClosed => ApiError::conflict(
                ErrorCode::DisputeWindowClosed,
                "a booking may be disputed once, within the dispute window after its completion",
            ),
            BookingsError::NotActive => ApiError::conflict(
                ErrorCode::BookingNotActive,
                "location is shared only while a booking is confirmed or in progress",
            ),
            BookingsError::TooFrequent { retry_after_secs } => {
                ApiError::rate_limited(retry_after_secs)
            }
            BookingsError::Validation(fields) => ApiError::validation(fields),
            BookingsError::Refused(err) => err,
            BookingsError::Db(err) => ApiError::from(err),
        }
    }
}
