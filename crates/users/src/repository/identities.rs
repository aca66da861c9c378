//! Queries of the identities linked at identity providers.

use super::*;
use crate::models::Identity;
use crate::schema::user_identities;

/// Links an identity; a taken `(provider, subject)` is a unique violation.
pub fn insert_identity(conn: &mut DbConn, identity: &Identity) -> QueryResult<usize> {
    diesel::insert_into(user_identities::table)
        .values(identity)
        .execute(conn)
}

/// The account an identity signs in to.
pub fn find_identity(
    conn: &mut DbConn,
    provider: &str,
    subject: &str,
) -> QueryResult<Option<Identity>> {
    user_identities::table
        .filter(user_identities::provider.eq(provider))
        .filter(user_identities::subject.eq(subject))
        .select(Identity::as_select())
        .first(conn)
        .optional()
}

/// A user's identities, oldest first after `cursor`.
pub fn list_identities(
    conn: &mut DbConn,
    user_id: &str,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<Identity>> {
    let mut query = user_identities::table
        .filter(user_identities::user_id.eq(user_id))
        .select(Identity::as_select())
        .order((user_identities::created_at.asc(), user_identities::id.asc()))
        .limit(limit)
        .into_boxed::<MultiBackend>();
    if let Some(cursor) = cursor {
        query = query.filter(
            user_identities::created_at
                .gt(cursor.at)
                .or(user_identities::created_at
                    .eq(cursor.at)
                    .and(user_identities::id.gt(cursor.id.clone()))),
        );
    }
    query.load(conn)
}

/// How many identities a user has.
pub fn count_identities(conn: &mut DbConn, user_id: &str) -> QueryResult<i64> {
    user_identities::table
        .filter(user_identities::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

/// Unlinks one of a user's identities; answers how many rows went.
pub fn delete_identity(conn: &mut DbConn, user_id: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(
        user_identities::table
            .filter(user_identities::user_id.eq(user_id))
            .filter(user_identities::id.eq(id)),
    )
    .execute(conn)
}

/// Unlinks every identity of a user (a deleted account).
pub fn delete_identities_of(conn: &mut DbConn, user_id: &str) -> QueryResult<usize> {
    diesel::delete(user_identities::table.filter(user_identities::user_id.eq(user_id)))
        .execute(conn)
}

/// Locks a user's row (a no-op update), so concurrent unlinks of one
/// account's identities queue.
pub fn lock_user(conn: &mut DbConn, user_id: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::updated_at.eq(users::updated_at))
        .execute(conn)
}

/// Marks a new account's email verified (its identity provider verified it).
pub fn mark_email_verified(conn: &mut DbConn, user_id: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::email_verified.eq(true))
        .execute(conn)
}
