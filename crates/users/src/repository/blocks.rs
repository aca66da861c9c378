//! Queries of the blocks between users.

use super::*;
use crate::schema::blocks;

/// Stores that `blocker` blocked `blocked`; a duplicate is a unique
/// violation the caller ignores.
pub fn insert_block(
    conn: &mut DbConn,
    blocker: &str,
    blocked: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(blocks::table)
        .values((
            blocks::blocker_id.eq(blocker),
            blocks::blocked_id.eq(blocked),
            blocks::created_at.eq(at),
        ))
        .execute(conn)
}

/// Removes a block.
pub fn delete_block(conn: &mut DbConn, blocker: &str, blocked: &str) -> QueryResult<usize> {
    diesel::delete(
        blocks::table
            .filter(blocks::blocker_id.eq(blocker))
            .filter(blocks::blocked_id.eq(blocked)),
    )
    .execute(conn)
}

/// Removes every block by or of `user` (a deleted account).
pub fn delete_blocks_of(conn: &mut DbConn, user: &str) -> QueryResult<usize> {
    diesel::delete(
        blocks::table.filter(blocks::blocker_id.eq(user).or(blocks::blocked_id.eq(user))),
    )
    .execute(conn)
}

/// The users who blocked `user`.
pub fn blockers_of(conn: &mut DbConn, user: &str) -> QueryResult<Vec<String>> {
    blocks::table
        .filter(blocks::blocked_id.eq(user))
        .select(blocks::blocker_id)
        .load(conn)
}

/// The users `blocker` blocked with when, most recent first after `cursor`
/// (one query: a join within this crate's tables).
pub fn list_blocks(
    conn: &mut DbConn,
    blocker: &str,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<(NaiveDateTime, User)>> {
    let mut query = blocks::table
        .inner_join(users::table.on(users::id.eq(blocks::blocked_id)))
        .filter(blocks::blocker_id.eq(blocker.to_owned()))
        .select((blocks::created_at, User::as_select()))
        .into_boxed::<MultiBackend>();
    if let Some(cursor) = cursor {
        query = query.filter(
            blocks::created_at.lt(cursor.at).or(blocks::created_at
                .eq(cursor.at)
                .and(blocks::blocked_id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((blocks::created_at.desc(), blocks::blocked_id.desc()))
        .limit(limit)
        .load(conn)
}

/// Every user `blocker` blocked, with when (a data export).
pub fn blocks_by(conn: &mut DbConn, blocker: &str) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    blocks::table
        .filter(blocks::blocker_id.eq(blocker))
        .order(blocks::created_at.asc())
        .select((blocks::blocked_id, blocks::created_at))
        .load(conn)
}
