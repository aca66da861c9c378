//! Queries on this crate's tables.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use quickfix_shared::db::{DbConn, MultiBackend};
use quickfix_shared::error::is_unique_violation;
use quickfix_shared::pagination::Cursor;

use crate::models::Rating;
use crate::schema::{rating_pairs, ratings};

/// Stores a rating.
pub fn insert_rating(conn: &mut DbConn, rating: &Rating) -> QueryResult<usize> {
    diesel::insert_into(ratings::table)
        .values(rating)
        .execute(conn)
}

/// Takes the booking's pair row (creating it on first use) and counts a
/// rating on it. The update holds the row until commit, so two parties
/// rating at once are serialised and the second sees the first.
pub fn lock_pair(conn: &mut DbConn, booking_id: &str) -> QueryResult<()> {
    let created = conn.transaction(|conn| {
        diesel::insert_into(rating_pairs::table)
            .values((
                rating_pairs::booking_id.eq(booking_id),
                rating_pairs::rating_count.eq(0),
            ))
            .execute(conn)
    });
    match created {
        Ok(_) => {}
        Err(err) if is_unique_violation(&err) => {}
        Err(err) => return Err(err),
    }
    diesel::update(rating_pairs::table.find(booking_id))
        .set(rating_pairs::rating_count.eq(rating_pairs::rating_count + 1))
        .execute(conn)?;
    Ok(())
}

/// A booking's ratings.
pub fn ratings_of_booking(conn: &mut DbConn, booking_id: &str) -> QueryResult<Vec<Rating>> {
    ratings::table
        .filter(ratings::booking_id.eq(booking_id))
        .order((ratings::created_at.asc(), ratings::id.asc()))
        .select(Rating::as_select())
        .load(conn)
}

/// A rating by id.
pub fn find_rating(conn: &mut DbConn, id: &str) -> QueryResult<Option<Rating>> {
    ratings::table
        .find(id)
        .select(Rating::as_select())
        .first(conn)
        .optional()
}

/// Reveals a hidden rating; 0 rows when it was revealed already.
pub fn reveal(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        ratings::table
            .find(id)
            .filter(ratings::revealed_at.is_null()),
    )
    .set(ratings::revealed_at.eq(now))
    .execute(conn)
}

/// Hidden ratings of bookings completed at or before `cutoff`.
pub fn due_for_reveal(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Rating>> {
    ratings::table
        .filter(ratings::revealed_at.is_null())
        .filter(ratings::booking_completed_at.le(cutoff))
        .order(ratings::booking_completed_at.asc())
        .limit(limit)
        .select(Rating::as_select())
        .load(conn)
}

/// The bookings with a hidden rating, with their completion time.
pub fn hidden_bookings(conn: &mut DbConn) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    ratings::table
        .filter(ratings::revealed_at.is_null())
        .select((ratings::booking_id, ratings::booking_completed_at))
        .distinct()
        .load(conn)
}

/// Sum and count of a user's revealed stars.
pub fn revealed_totals(conn: &mut DbConn, rated_id: &str) -> QueryResult<(i64, i64)> {
    let (sum, count): (Option<i64>, i64) = ratings::table
        .filter(ratings::rated_id.eq(rated_id))
        .filter(ratings::revealed_at.is_not_null())
        .filter(ratings::hidden.eq(false))
        .select((diesel::dsl::sum(ratings::stars), diesel::dsl::count_star()))
        .first(conn)?;
    Ok((sum.unwrap_or(0), count))
}

/// A user's revealed ratings per star value.
pub fn revealed_histogram(conn: &mut DbConn, rated_id: &str) -> QueryResult<Vec<(i32, i64)>> {
    ratings::table
        .filter(ratings::rated_id.eq(rated_id))
        .filter(ratings::revealed_at.is_not_null())
        .filter(ratings::hidden.eq(false))
        .group_by(ratings::stars)
        .select((ratings::stars, diesel::dsl::count_star()))
        .load(conn)
}

/// A user's revealed ratings newest first after `cursor`.
pub fn list_revealed(
    conn: &mut DbConn,
    rated_id: &str,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<Rating>> {
    let mut query = ratings::table
        .select(Rating::as_select())
        .filter(ratings::rated_id.eq(rated_id.to_owned()))
        .filter(ratings::revealed_at.is_not_null())
        .filter(ratings::hidden.eq(false))
        .into_boxed::<MultiBackend>();
    if let Some(cursor) = cursor {
        query = query.filter(
            ratings::created_at.lt(cursor.at).or(ratings::created_at
                .eq(cursor.at)
                .and(ratings::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((ratings::created_at.desc(), ratings::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Deletes a rating.
pub fn delete_rating(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(ratings::table.find(id)).execute(conn)
}

/// Sum and count of every revealed rating.
pub fn overall_totals(conn: &mut DbConn) -> QueryResult<(i64, i64)> {
    let (sum, count): (Option<i64>, i64) = ratings::table
        .filter(ratings::revealed_at.is_not_null())
        .filter(ratings::hidden.eq(false))
        .select((diesel::dsl::sum(ratings::stars), diesel::dsl::count_star()))
        .first(conn)?;
    Ok((sum.unwrap_or(0), count))
}

/// Hides a rating; 0 rows when it is hidden already or not there.
pub fn hide_rating(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::update(ratings::table.find(id).filter(ratings::hidden.eq(false)))
        .set(ratings::hidden.eq(true))
        .execute(conn)
}
