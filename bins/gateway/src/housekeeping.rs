//! Periodic upkeep that must not wait for a request: the retention purge,
//! each crate deleting its own expired rows.

use std::time::Duration;

use quickfix_shared::db::{self, DbError, DbPool};
use quickfix_shared::{idempotency, mail};

use crate::settings::Settings;

/// How long each kind of data is kept (`retention.*`).
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Notifications.
    pub notifications: chrono::Duration,
    /// Ended or expired logins with their refresh tokens.
    pub sessions: chrono::Duration,
    /// The refresh-token lifetime (when a login unused expires).
    pub refresh_ttl: chrono::Duration,
    /// Idempotency records.
    pub idempotency: chrono::Duration,
    /// Sent emails (their links carry tokens).
    pub sent_emails: chrono::Duration,
}

/// What one purge deleted, per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Idempotency records.
    pub idempotency: usize,
    /// Notifications.
    pub notifications: usize,
    /// Ended or expired logins.
    pub sessions: usize,
    /// Sent emails.
    pub sent_emails: usize,
    /// Expired reset, verification and email-change tokens.
    pub account_tokens: usize,
}

impl Purged {
    /// Rows deleted in all.
    pub fn total(&self) -> usize {
        self.idempotency
            + self.notifications
            + self.sessions
            + self.sent_emails
            + self.account_tokens
    }
}

impl Retention {
    /// The retention the settings ask for.
    pub fn of(settings: &Settings) -> Self {
        let secs = |s: i64| chrono::Duration::seconds(s.max(0));
        let refresh_ttl = secs(settings.auth.refresh_ttl_secs);
        Self {
            notifications: secs(settings.retention.notifications_secs),
            sessions: match settings.retention.sessions_secs {
                0 => refresh_ttl,
                other => secs(other),
            },
            refresh_ttl,
            idempotency: secs(settings.retention.idempotency_secs),
            sent_emails: secs(settings.email.keep_sent_secs),
        }
    }
}

/// One pass of the retention purge: each crate deletes its own expired
/// rows in bounded batches. Safe with several instances at once (each
/// batch deletes what is still there); answers the rows each kind lost.
pub async fn purge_expired(pool: &DbPool, retention: Retention) -> Result<Purged, DbError> {
    let idempotency = db::run(pool, move |conn| {
        db::purge_in_batches(conn, |conn, batch| {
            idempotency::purge_older_than(conn, retention.idempotency, batch)
        })
    })
    .await?;
    let notifications =
        quickfix_messaging::purge_notifications(pool, retention.notifications).await?;
    let sessions =
        quickfix_users::purge_sessions(pool, retention.sessions, retention.refresh_ttl).await?;
    let sent_emails = db::run(pool, move |conn| {
        mail::purge_sent(conn, db::now() - retention.sent_emails)
    })
    .await?;
    let account_tokens = quickfix_users::purge_account_tokens(pool).await?;
    Ok(Purged {
        idempotency,
        notifications,
        sessions,
        sent_emails,
        account_tokens,
    })
}

/// Periodic upkeep that must not wait for a request: the retention purge.
pub(crate) fn spawn_housekeeping(pool: DbPool, retention: Retention, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match purge_expired(&pool, retention).await {
                Ok(purged) if purged.total() == 0 => {}
                Ok(purged) => tracing::info!(?purged, "expired data purged"),
                Err(err) => tracing::warn!(error = %err, "retention purge failed"),
            }
        }
    });
}
