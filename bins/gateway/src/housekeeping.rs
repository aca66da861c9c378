//! Periodic upkeep that must not wait for a request: the retention purge,
//! each crate deleting its own expired rows.

use std::time::Duration;

use quickfix_shared::db::{self, DbError, DbPool};
use quickfix_shared::idempotency;

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
        }
    }
}

/// One pass of the retention purge: each crate deletes its own expired
/// rows in bounded batches. Safe with several instances at once (each
/// batch deletes what is still there); answers the rows each kind lost.
pub async fn purge_expired(pool: &DbPool, retention: Retention) -> Result<[usize; 3], DbError> {
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
    Ok([idempotency, notifications, sessions])
}

/// Periodic upkeep that must not wait for a request: the retention purge.
pub(crate) fn spawn_housekeeping(pool: DbPool, retention: Retention, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match purge_expired(&pool, retention).await {
                Ok([0, 0, 0]) => {}
                Ok([idempotency, notifications, sessions]) => {
                    tracing::info!(idempotency, notifications, sessions, "expired data purged");
                }
                Err(err) => tracing::warn!(error = %err, "retention purge failed"),
            }
        }
    });
}
