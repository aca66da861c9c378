//! The queue as admins read it (`GET /api/v1/admin/emails`): every email
//! with its state, newest first, without its body.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::EmailStatus;
use crate::db::{DbConn, DbError};
use crate::pagination::Cursor;
use crate::schema::email_outbox;

/// An email as admins see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = email_outbox)]
pub struct QueuedEmail {
    /// Its id.
    pub id: String,
    /// What it is.
    pub kind: String,
    /// The account it is for.
    pub user_id: Option<String>,
    /// The recipient's address.
    pub to_address: String,
    /// The subject line.
    pub subject: String,
    /// `pending`, `sent` or `parked`.
    pub status: String,
    /// Tries so far.
    pub attempts: i32,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it is tried next (pending).
    pub next_attempt_at: NaiveDateTime,
    /// When it was queued.
    pub created_at: NaiveDateTime,
    /// When it was sent.
    pub sent_at: Option<NaiveDateTime>,
}

/// The queue newest first, after `cursor`, at most `limit` rows, only
/// `status` when given.
pub fn list_emails(
    conn: &mut DbConn,
    status: Option<EmailStatus>,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<QueuedEmail>, DbError> {
    let mut query = email_outbox::table.into_boxed();
    if let Some(status) = status {
        query = query.filter(email_outbox::status.eq(status.as_str()));
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            email_outbox::created_at
                .lt(cursor.at)
                .or(email_outbox::created_at
                    .eq(cursor.at)
                    .and(email_outbox::id.lt(cursor.id.clone()))),
        );
    }
    Ok(query
        .order((email_outbox::created_at.desc(), email_outbox::id.desc()))
        .limit(limit)
        .select(QueuedEmail::as_select())
        .load(conn)?)
}
