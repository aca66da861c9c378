//! Queries of a customer's favourites.

use super::*;

/// Adds a favourite; a duplicate is a unique violation the caller ignores.
pub fn insert_favorite(conn: &mut DbConn, row: &Favorite) -> QueryResult<usize> {
    diesel::insert_into(favorites::table)
        .values(row)
        .execute(conn)
}

/// Removes a favourite.
pub fn delete_favorite(
    conn: &mut DbConn,
    customer_id: &str,
    provider_id: &str,
) -> QueryResult<usize> {
    diesel::delete(
        favorites::table
            .filter(favorites::customer_id.eq(customer_id))
            .filter(favorites::provider_id.eq(provider_id)),
    )
    .execute(conn)
}

/// A customer's favourite providers with when they were added, most recent
/// first after `cursor` (one query: a join within this crate's tables).
pub fn list_favorites(
    conn: &mut DbConn,
    customer_id: &str,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<(NaiveDateTime, User)>> {
    let mut query = favorites::table
        .inner_join(users::table.on(users::id.eq(favorites::provider_id)))
        .filter(favorites::customer_id.eq(customer_id.to_owned()))
        .filter(users::is_active.eq(true))
        .select((favorites::created_at, User::as_select()))
        .into_boxed::<MultiBackend>();
    if let Some(cursor) = cursor {
        query = query.filter(
            favorites::created_at.lt(cursor.at).or(favorites::created_at
                .eq(cursor.at)
                .and(favorites::provider_id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((favorites::created_at.desc(), favorites::provider_id.desc()))
        .limit(limit)
        .load(conn)
}
