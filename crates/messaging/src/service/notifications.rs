//! Notifications: stored in batches from events, listed, read, purged.

use super::*;

/// A notification to store: for whom, from which event.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// The recipient.
    pub user: UserId,
    /// The event kind.
    pub kind: String,
    /// What the notification says (JSON).
    pub payload: serde_json::Value,
    /// The domain event's id; one notification per user and event.
    pub event_id: String,
}

/// Rows per insert statement, well under SQLite's bound-parameter limit.
const NOTIFICATIONS_PER_INSERT: usize = 500;

/// Stores notifications in as few statements as the batch allows, skipping
/// any already stored for the same user and event (an event handled twice),
/// and returns the ones stored now with their recipients, in batch order.
pub fn create_notifications(
    conn: &mut DbConn,
    batch: &[NewNotification],
) -> Result<Vec<(UserId, NotificationResponse)>, MessagingError> {
    let at = now();
    let rows: Vec<Notification> = batch
        .iter()
        .map(|new| Notification {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: new.user.to_string(),
            kind: new.kind.clone(),
            payload: new.payload.to_string(),
            event_id: new.event_id.clone(),
            read_at: None,
            created_at: at,
        })
        .collect();
    let mut inserted = std::collections::HashSet::new();
    conn.transaction(|conn| {
        for chunk in rows.chunks(NOTIFICATIONS_PER_INSERT) {
            inserted.extend(repo::insert_new_notifications(conn, chunk)?);
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(batch
        .iter()
        .zip(&rows)
        .filter(|(_, row)| inserted.contains(&row.id))
        .map(|(new, row)| (new.user.clone(), NotificationResponse::from(row)))
        .collect())
}

/// The caller's notifications, newest first.
pub fn list_notifications(
    conn: &mut DbConn,
    user: &UserId,
    unread_only: bool,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<NotificationResponse>, MessagingError> {
    let rows = repo::list_notifications(
        conn,
        user.as_str(),
        unread_only,
        cursor,
        i64::from(limit) + 1,
    )?;
    // A message hidden since its notification was made is shown hidden
    // there too (one query for the page).
    let message_of = |n: &crate::models::Notification| -> Option<String> {
        (n.kind == "message.created")
            .then(|| serde_json::from_str::<serde_json::Value>(&n.payload).ok())
            .flatten()
            .and_then(|p| p.pointer("/message/id")?.as_str().map(str::to_owned))
    };
    let messages: Vec<String> = rows.iter().filter_map(message_of).collect();
    let hidden = if messages.is_empty() {
        std::collections::HashSet::new()
    } else {
        repo::hidden_messages(conn, &messages)?
    };
    Ok(Page::from_rows(
        rows,
        limit,
        |n| Cursor::new(n.created_at, n.id.clone()),
        |n| {
            let mut view = NotificationResponse::from(&n);
            if message_of(&n).is_some_and(|id| hidden.contains(&id))
                && let Some(message) = view.payload.get_mut("message")
            {
                message["body"] = serde_json::Value::Null;
                message["attachment"] = serde_json::Value::Null;
                message["hidden"] = serde_json::Value::Bool(true);
            }
            view
        },
    ))
}

/// Marks one of the caller's notifications read; 404 when it is not theirs.
/// Reading twice is harmless (the first time is kept).
pub fn mark_notification_read(
    conn: &mut DbConn,
    user: &UserId,
    id: &str,
) -> Result<(), MessagingError> {
    if repo::mark_notification_read(conn, id, user.as_str(), now())? == 0
        && !repo::notification_exists(conn, id, user.as_str())?
    {
        return Err(MessagingError::NotFound("notification"));
    }
    Ok(())
}

/// Marks every notification of the caller read.
pub fn mark_all_notifications_read(
    conn: &mut DbConn,
    user: &UserId,
) -> Result<usize, MessagingError> {
    Ok(repo::mark_all_notifications_read(
        conn,
        user.as_str(),
        now(),
    )?)
}

/// Deletes the notifications older than `retention`, in bounded batches;
/// answers how many went.
pub fn purge_notifications(
    conn: &mut DbConn,
    retention: chrono::Duration,
) -> Result<usize, quickfix_shared::db::DbError> {
    let cutoff = db::now() - retention;
    db::purge_in_batches(conn, |conn, batch| {
        Ok(repo::purge_notifications(conn, cutoff, batch)?)
    })
}
