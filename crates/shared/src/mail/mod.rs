//! Email: a durable queue and its sender.
//!
//! - A crate renders an email from its own templates ([`Templates`]) and
//!   [`queue`]s it in the transaction of the change that causes it (a
//!   reset token, a verification, a notification), so an email is stored
//!   exactly when its cause commits.
//! - The [`Mailer`] claims due rows of `email_outbox`, sends each through
//!   SMTP (`email.smtp_url`) or writes it as an RFC 5322 `.eml` file under
//!   `email.dir`, and marks it sent. A failure is retried with exponential
//!   backoff; after [`MailTiming::max_attempts`] tries, or at once for a
//!   permanent SMTP refusal, the email is parked (admins see it at
//!   `GET /api/v1/admin/emails`). A crash between sending and marking sends
//!   the email again once its claim lapses: at least once, never lost.
//! - Headers are built by `lettre` from typed mailboxes and a subject with
//!   control characters removed, so no user-given text can add a header.

mod log;
mod sender;
mod templates;

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use log::*;
pub use sender::*;
pub use templates::*;

use crate::db::{self, DbConn};
use crate::schema::email_outbox;

/// An email's state in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// Waiting for its (next) try.
    Pending,
    /// Handed to the SMTP server or written to its file.
    Sent,
    /// Given up on after its tries, or refused for good.
    Parked,
}

impl EmailStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Pending => "pending",
            EmailStatus::Sent => "sent",
            EmailStatus::Parked => "parked",
        }
    }

    /// The status a stored name names.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Parked]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// A rendered email to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// What it is (`verify_email`, `password_reset`, `offer.created`, ...),
    /// for the admin list and the file name.
    pub kind: String,
    /// The account it is for, when it is one's.
    pub user_id: Option<String>,
    /// The recipient's display name.
    pub to_name: String,
    /// The recipient's address.
    pub to_address: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// Stores `email` for sending, in the caller's transaction.
pub fn queue(conn: &mut DbConn, email: &Email) -> QueryResult<()> {
    insert_new(conn, &[(uuid::Uuid::now_v7().to_string(), email)]).map(|_| ())
}

/// Stores `email` for sending unless an email with the same `key` (an
/// event id and a recipient, say) was stored before: a consumer handling
/// an event again queues nothing new. Answers whether it was stored.
pub fn queue_once(conn: &mut DbConn, key: &str, email: &Email) -> QueryResult<bool> {
    Ok(insert_new(conn, &[(once_id(key), email)])? == 1)
}

/// [`queue_once`] for many emails, each under its own key, in one
/// statement on PostgreSQL. Answers how many were stored.
pub fn queue_each_once(conn: &mut DbConn, emails: &[(String, Email)]) -> QueryResult<usize> {
    let rows: Vec<(String, &Email)> = emails
        .iter()
        .map(|(key, email)| (once_id(key), email))
        .collect();
    insert_new(conn, &rows)
}

/// The id of the email queued once under `key`.
fn once_id(key: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Inserts each `(id, email)` unless its id is stored, so a
/// twice-delivered event's email is skipped by its key, racing or not,
/// without spoiling the caller's transaction: one statement on
/// PostgreSQL, one per email on SQLite (in process, no round trip).
/// Answers the rows inserted.
fn insert_new(conn: &mut DbConn, emails: &[(String, &Email)]) -> QueryResult<usize> {
    let now = db::now();
    let rows: Vec<_> = emails
        .iter()
        .map(|(id, email)| {
            (
                email_outbox::id.eq(id.as_str()),
                email_outbox::kind.eq(email.kind.as_str()),
                email_outbox::user_id.eq(email.user_id.as_deref()),
                email_outbox::to_name.eq(one_line(&email.to_name)),
                email_outbox::to_address.eq(email.to_address.trim()),
                email_outbox::subject.eq(one_line(&email.subject)),
                email_outbox::text_body.eq(email.text.as_str()),
                email_outbox::html_body.eq(email.html.as_str()),
                email_outbox::status.eq(EmailStatus::Pending.as_str()),
                email_outbox::attempts.eq(0),
                email_outbox::next_attempt_at.eq(now),
                email_outbox::created_at.eq(now),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    match conn {
        DbConn::Pg(pg) => diesel::insert_into(email_outbox::table)
            .values(&rows)
            .on_conflict(email_outbox::id)
            .do_nothing()
            .execute(pg),
        DbConn::Sqlite(sqlite) => {
            let mut inserted = 0;
            for row in rows {
                inserted += diesel::insert_into(email_outbox::table)
                    .values(row)
                    .on_conflict(email_outbox::id)
                    .do_nothing()
                    .execute(sqlite)?;
            }
            Ok(inserted)
        }
    }
}

/// Holds the emails to `address` still until the caller's transaction
/// ends, so a count of them and the email that follows it are one step:
/// of two transactions counting for one address, the second waits. On
/// PostgreSQL a transaction-scoped advisory lock on the address; SQLite's
/// write transactions run one at a time anyway.
pub fn lock_address(conn: &mut DbConn, address: &str) -> QueryResult<()> {
    if let DbConn::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended(lower($1), 0))")
            .bind::<diesel::sql_types::Text, _>(address.trim())
            .execute(pg)?;
    }
    Ok(())
}

/// How many emails of these kinds were queued to `address` since `since`
/// (the per-address hourly limit counts them, after [`lock_address`]).
pub fn count_sent_to(
    conn: &mut DbConn,
    address: &str,
    kinds: &[&str],
    since: NaiveDateTime,
) -> QueryResult<i64> {
    email_outbox::table
        .filter(email_outbox::to_address.eq(address.trim()))
        .filter(email_outbox::created_at.ge(since))
        .filter(email_outbox::kind.eq_any(kinds))
        .count()
        .get_result(conn)
}

/// Deletes every email of `user_id` (a deleted account): those waiting
/// are not sent, and those sent held their address and links.
pub fn forget_user(conn: &mut DbConn, user_id: &str) -> QueryResult<usize> {
    diesel::delete(email_outbox::table.filter(email_outbox::user_id.eq(user_id))).execute(conn)
}

/// Deletes the sent emails older than `before` (their bodies hold links
/// with tokens and private text), in bounded batches; answers how many.
pub fn purge_sent(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, db::DbError> {
    db::purge_in_batches(conn, |conn, batch| {
        let ids: Vec<String> = email_outbox::table
            .filter(email_outbox::status.eq(EmailStatus::Sent.as_str()))
            .filter(email_outbox::created_at.lt(before))
            .select(email_outbox::id)
            .limit(batch)
            .load(conn)?;
        Ok(
            diesel::delete(email_outbox::table.filter(email_outbox::id.eq_any(&ids)))
                .execute(conn)?,
        )
    })
}

/// `text` on one line: control characters (CR and LF above all) become
/// spaces, so it cannot end a header.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_value_keeps_to_one_line() {
        assert_eq!(one_line("Ana\r\nBcc: x@evil.test"), "Ana  Bcc: x@evil.test");
        assert_eq!(one_line("  plain "), "plain");
    }

    /// Two transactions that count the emails to one address and queue one
    /// when there is none: under the address lock the second sees the
    /// first's email (on PostgreSQL, both would count none without it).
    #[tokio::test]
    async fn counting_under_the_address_lock_sees_a_racing_email() {
        let db = crate::testing::TestDatabase::new(&[crate::db::MIGRATIONS]);
        let pool = db.pool();
        let email = Email {
            kind: "verify_email".to_owned(),
            user_id: None,
            to_name: "Ana".to_owned(),
            to_address: "ana@example.com".to_owned(),
            subject: "Hi".to_owned(),
            text: "Hi".to_owned(),
            html: "<p>Hi</p>".to_owned(),
        };
        let since = db::now() - chrono::TimeDelta::hours(1);
        let racers = (0..2).map(|_| {
            let email = email.clone();
            db::run(&pool, move |conn| {
                db::write_transaction(conn, |conn| {
                    lock_address(conn, &email.to_address)?;
                    let sent = count_sent_to(conn, &email.to_address, &["verify_email"], since)?;
                    std::thread::sleep(std::time::Duration::from_millis(150));
                    if sent == 0 {
                        queue(conn, &email)?;
                    }
                    Ok::<_, db::DbError>(())
                })
            })
        });
        for raced in futures_util::future::join_all(racers).await {
            raced.expect("ran");
        }
        let total = db::run(&pool, move |conn| {
            count_sent_to(conn, "ana@example.com", &["verify_email"], since)
                .map_err(db::DbError::from)
        })
        .await
        .expect("counted");
        assert_eq!(total, 1);
    }

    #[test]
    fn statuses_round_trip() {
        for status in [EmailStatus::Pending, EmailStatus::Sent, EmailStatus::Parked] {
            assert_eq!(EmailStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(EmailStatus::parse("lost"), None);
    }
}
