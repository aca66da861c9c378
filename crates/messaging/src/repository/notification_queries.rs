//! Queries of notifications.

use super::*;

/// Inserts notifications, skipping any whose (user, event) pair is stored
/// already; returns the ids of those inserted. PostgreSQL takes them in one
/// statement; SQLite, where Diesel sends a multi-row insert as one statement
/// per row anyway, one `INSERT ... ON CONFLICT DO NOTHING` each, which costs
/// no round trip in process.
pub fn insert_new_notifications(
    conn: &mut DbConn,
    rows: &[Notification],
) -> QueryResult<Vec<String>> {
    let target = (notifications::user_id, notifications::event_id);
    match conn {
        DbConn::Pg(pg) => diesel::insert_into(notifications::table)
            .values(rows)
            .on_conflict(target)
            .do_nothing()
            .returning(notifications::id)
            .get_results(pg),
        DbConn::Sqlite(sqlite) => {
            let mut inserted = Vec::with_capacity(rows.len());
            for row in rows {
                let count = diesel::insert_into(notifications::table)
                    .values(row)
                    .on_conflict(target)
                    .do_nothing()
                    .execute(sqlite)?;
                if count == 1 {
                    inserted.push(row.id.clone());
                }
            }
            Ok(inserted)
        }
    }
}

/// A user's notifications, newest first, after `cursor`.
pub fn list_notifications(
    conn: &mut DbConn,
    user: &str,
    unread_only: bool,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    let mut query = notifications::table
        .filter(notifications::user_id.eq(user.to_owned()))
        .select(Notification::as_select())
        .into_boxed::<MultiBackend>();
    if unread_only {
        query = query.filter(notifications::read_at.is_null());
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            notifications::created_at
                .lt(cursor.at)
                .or(notifications::created_at
                    .eq(cursor.at)
                    .and(notifications::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Whether a notification of `user` exists.
pub fn notification_exists(conn: &mut DbConn, id: &str, user: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::user_id.eq(user)),
    ))
    .get_result(conn)
}

/// Marks one of `user`'s notifications read, if it is not already.
pub fn mark_notification_read(
    conn: &mut DbConn,
    id: &str,
    user: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::user_id.eq(user))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(at))
    .execute(conn)
}

/// Marks every unread notification of `user` read.
pub fn mark_all_notifications_read(
    conn: &mut DbConn,
    user: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(at))
    .execute(conn)
}

/// Deletes at most about `batch` notifications created before `cutoff`,
/// oldest first (ties at the batch's last time go too).
pub fn purge_notifications(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    let boundary: Option<NaiveDateTime> = notifications::table
        .filter(notifications::created_at.lt(cutoff))
        .order(notifications::created_at.asc())
        .offset(batch.max(1) - 1)
        .select(notifications::created_at)
        .first(conn)
        .optional()?;
    let upto = boundary.map_or(cutoff, |at| at + chrono::Duration::microseconds(1));
    diesel::delete(
        notifications::table
            .filter(notifications::created_at.lt(cutoff))
            .filter(notifications::created_at.lt(upto)),
    )
    .execute(conn)
}
