//! `GET /api/v1/admin/emails`: the email queue as admins read it, newest
//! first: what was sent, what waits for a retry, what was parked.

use actix_web::{get, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AdminUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::ValidQuery;
use quickfix_shared::mail::{self, EmailStatus, QueuedEmail};
use quickfix_shared::openapi::{
    BadRequest, Forbidden, ServiceUnavailable, Unauthorized, ValidationFailed,
};
use quickfix_shared::pagination::{Cursor, Page, page_of};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// An email's state, as the filter and the answer name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailState {
    /// Waiting for its (next) try.
    Pending,
    /// Handed to the SMTP server, or written to its file.
    Sent,
    /// Given up on after its tries, or refused for good by the server.
    Parked,
}

impl From<EmailState> for EmailStatus {
    fn from(state: EmailState) -> Self {
        match state {
            EmailState::Pending => EmailStatus::Pending,
            EmailState::Sent => EmailStatus::Sent,
            EmailState::Parked => EmailStatus::Parked,
        }
    }
}

/// `GET /admin/emails` filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListEmailsQuery {
    /// Only emails in this state.
    pub status: Option<EmailState>,
    /// Items per page, 1..100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A queued email, without its body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EmailResponse {
    /// Its id.
    pub id: String,
    /// What it is: `verify_email`, `password_reset`, `email_change`,
    /// `email_change_notice`, or a notification kind.
    pub kind: String,
    /// The account it is for.
    #[schema(required = true)]
    pub user_id: Option<String>,
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// Its state.
    pub status: EmailState,
    /// Tries so far.
    pub attempts: i32,
    /// Why the last try failed.
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// When it is tried next (while pending).
    pub next_attempt_at: chrono::DateTime<chrono::Utc>,
    /// When it was queued.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it was sent.
    #[schema(required = true)]
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<QueuedEmail> for EmailResponse {
    fn from(email: QueuedEmail) -> Self {
        Self {
            id: email.id,
            kind: email.kind,
            user_id: email.user_id,
            to: email.to_address,
            subject: email.subject,
            status: match EmailStatus::parse(&email.status) {
                Some(EmailStatus::Sent) => EmailState::Sent,
                Some(EmailStatus::Parked) => EmailState::Parked,
                _ => EmailState::Pending,
            },
            attempts: email.attempts,
            last_error: email.last_error,
            next_attempt_at: email.next_attempt_at.and_utc(),
            created_at: email.created_at.and_utc(),
            sent_at: email.sent_at.map(|at| at.and_utc()),
        }
    }
}

/// The email queue, newest first (filter `status`).
#[utoipa::path(
    tag = "admin",
    operation_id = "list_emails",
    params(ListEmailsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Emails, newest first.", body = Page<EmailResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/admin/emails")]
pub async fn list_emails(
    _admin: AdminUser,
    pool: web::Data<DbPool>,
    query: Result<ValidQuery<ListEmailsQuery>, ApiError>,
) -> Result<web::Json<Page<EmailResponse>>, ApiError> {
    let query = query?;
    let query = query.into_inner();
    let (cursor, limit) = page_of(query.limit, query.cursor.as_deref())?;
    let status = query.status.map(EmailStatus::from);
    let rows = db::run(&pool, move |conn| {
        mail::list_emails(conn, status, cursor.as_ref(), i64::from(limit) + 1)
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |email| Cursor::new(email.created_at, email.id.clone()),
        EmailResponse::from,
    )))
}
