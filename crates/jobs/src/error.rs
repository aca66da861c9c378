//! The jobs crate's errors; handlers answer them as `ApiError`, whose
//! conversion below fixes each one's status and code.

use quickfix_shared::db::DbError;
use quickfix_shared::{ApiError, ErrorCode, FieldError};

/// What can go wrong in the jobs crate.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// No such object, or not visible to the caller (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may see the object but not do this (403).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The job is not open (409 `job_not_open`).
    #[error("job not open")]
    JobNotOpen,
    /// The offer is not pending (409 `offer_not_pending`).
    #[error("offer not pending")]
    OfferNotPending,
    /// The offer was countered the most times allowed (409
    /// `too_many_rounds`).
    #[error("too many rounds")]
    TooManyRounds(i32),
    /// The provider has a pending offer on the job already (409 `offer_exists`).
    #[error("offer exists")]
    OfferExists,
    /// The category slug is taken (409 `category_exists`).
    #[error("category exists")]
    CategoryExists,
    /// The account is being deleted (403).
    #[error("account closed")]
    AccountClosed,
    /// The job's owner blocked the provider (403 `blocked`).
    #[error("blocked")]
    Blocked,
    /// The account has a booked job as customer or provider (409
    /// `account_has_active_bookings`).
    #[error("active bookings")]
    ActiveBookings,
    /// Fields failed validation (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for JobsError {
    fn from(err: diesel::result::Error) -> Self {
        JobsError::Db(DbError::Query(err))
    }
}

impl JobsError {
    /// 422 for one field.
    pub fn invalid(field: &str, message: &str) -> Self {
        JobsError::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<JobsError> for ApiError {
    fn from(err: JobsError) -> Self {
        match err {
            JobsError::NotFound(what) => ApiError::not_found(what),
            JobsError::Forbidden(why) => ApiError::forbidden(why),
            JobsError::JobNotOpen => {
                ApiError::conflict(ErrorCode::JobNotOpen, "the job is not open")
            }
            JobsError::OfferNotPending => {
                ApiError::conflict(ErrorCode::OfferNotPending, "the offer is not pending")
            }
            JobsError::TooManyRounds(max) => ApiError::conflict(
                ErrorCode::TooManyRounds,
                format!("an offer may be countered at most {max} times; accept it or let it go"),
            ),
            JobsError::OfferExists => ApiError::conflict(
                ErrorCode::OfferExists,
                "you have an open offer on this job already",
            ),
            JobsError::CategoryExists => ApiError::conflict(
                ErrorCode::CategoryExists,
                "a category with this slug exists",
            ),
            JobsError::AccountClosed => ApiError::forbidden("this account is being deleted"),
            JobsError::Blocked => ApiError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                ErrorCode::Blocked,
                "the job's owner blocked you",
            ),
            JobsError::ActiveBookings => ApiError::conflict(
                ErrorCode::AccountHasActiveBookings,
                "the account has a confirmed or in-progress booking; it can be deleted once that ends",
            ),
            JobsError::Validation(fields) => ApiError::validation(fields),
            JobsError::Db(err) => ApiError::from(err),
        }
    }
}
