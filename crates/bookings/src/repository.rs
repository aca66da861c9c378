//! Queries on this crate's tables. Each takes the connection first, so it
//! runs inside or outside the caller's transaction alike.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use quickfix_shared::db::{DbConn, MultiBackend};
use quickfix_shared::pagination::Cursor;

use crate::models::{Booking, BookingEvent, LocationPoint};
use crate::schema::{booking_events, booking_locations, bookings};

/// Stores a booking.
pub fn insert_booking(conn: &mut DbConn, booking: &Booking) -> QueryResult<usize> {
    diesel::insert_into(bookings::table)
        .values(booking)
        .execute(conn)
}

/// A booking by id.
pub fn find_booking(conn: &mut DbConn, id: &str) -> QueryResult<Option<Booking>> {
    bookings::table
        .find(id)
        .select(Booking::as_select())
        .first(conn)
        .optional()
}

/// The timestamps a transition sets.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = bookings)]
pub struct TransitionChangeset {
    /// New state.
    pub status: String,
    /// Started.
    pub started_at: Option<NaiveDateTime>,
    /// Completed.
    pub completed_at: Option<NaiveDateTime>,
    /// Cancelled.
    pub cancelled_at: Option<NaiveDateTime>,
    /// Why.
    pub cancel_reason: Option<String>,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// Applies a transition if the booking is still in `from`; 0 rows when a
/// concurrent change got there first.
pub fn transition(
    conn: &mut DbConn,
    id: &str,
    from: &str,
    change: &TransitionChangeset,
) -> QueryResult<usize> {
    diesel::update(bookings::table.find(id).filter(bookings::status.eq(from)))
        .set(change)
        .execute(conn)
}

/// Whose bookings a list shows.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Bookings where this user is the customer or the provider.
    Party(String),
    /// Every booking (admins).
    All,
}

/// Bookings newest first after `cursor`.
pub fn list_bookings(
    conn: &mut DbConn,
    scope: &Scope,
    status: Option<&str>,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<Booking>> {
    let mut query = bookings::table
        .select(Booking::as_select())
        .into_boxed::<MultiBackend>();
    if let Scope::Party(user) = scope {
        query = query.filter(
            bookings::customer_id
                .eq(user.clone())
                .or(bookings::provider_id.eq(user.clone())),
        );
    }
    if let Some(status) = status {
        query = query.filter(bookings::status.eq(status.to_owned()));
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            bookings::created_at.lt(cursor.at).or(bookings::created_at
                .eq(cursor.at)
                .and(bookings::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((bookings::created_at.desc(), bookings::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Bookings per state.
pub fn count_by_status(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    bookings::table
        .group_by(bookings::status)
        .select((bookings::status, diesel::dsl::count_star()))
        .load(conn)
}

/// The next position in a booking's timeline.
pub fn next_seq(conn: &mut DbConn, booking_id: &str) -> QueryResult<i32> {
    let last: Option<i32> = booking_events::table
        .filter(booking_events::booking_id.eq(booking_id))
        .select(diesel::dsl::max(booking_events::seq))
        .first(conn)?;
    Ok(last.unwrap_or(0) + 1)
}

/// Whether the booking's timeline has an entry into `status`.
pub fn ever_was(conn: &mut DbConn, booking_id: &str, status: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        booking_events::table
            .filter(booking_events::booking_id.eq(booking_id))
            .filter(booking_events::to_status.eq(status)),
    ))
    .get_result(conn)
}

/// Appends to a booking's timeline.
pub fn insert_event(conn: &mut DbConn, event: &BookingEvent) -> QueryResult<usize> {
    diesel::insert_into(booking_events::table)
        .values(event)
        .execute(conn)
}

/// A booking's timeline, oldest first after `after_seq`.
pub fn list_events(
    conn: &mut DbConn,
    booking_id: &str,
    after_seq: i32,
    limit: i64,
) -> QueryResult<Vec<BookingEvent>> {
    booking_events::table
        .filter(booking_events::booking_id.eq(booking_id))
        .filter(booking_events::seq.gt(after_seq))
        .order(booking_events::seq.asc())
        .limit(limit)
        .select(BookingEvent::as_select())
        .load(conn)
}

/// Stores a position.
pub fn insert_location(conn: &mut DbConn, point: &LocationPoint) -> QueryResult<usize> {
    diesel::insert_into(booking_locations::table)
        .values(point)
        .execute(conn)
}

/// The most recent `limit` positions of a booking, newest first.
pub fn recent_locations(
    conn: &mut DbConn,
    booking_id: &str,
    limit: i64,
) -> QueryResult<Vec<LocationPoint>> {
    booking_locations::table
        .filter(booking_locations::booking_id.eq(booking_id))
        .order((
            booking_locations::recorded_at.desc(),
            booking_locations::id.desc(),
        ))
        .limit(limit)
        .select(LocationPoint::as_select())
        .load(conn)
}

/// Deletes a booking's positions beyond the newest `keep`.
pub fn prune_locations(conn: &mut DbConn, booking_id: &str, keep: i64) -> QueryResult<usize> {
    let stale: Vec<String> = booking_locations::table
        .filter(booking_locations::booking_id.eq(booking_id))
        .order((
            booking_locations::recorded_at.desc(),
            booking_locations::id.desc(),
        ))
        .offset(keep)
        .limit(1000)
        .select(booking_locations::id)
        .load(conn)?;
    if stale.is_empty() {
        return Ok(0);
    }
    diesel::delete(booking_locations::table.filter(booking_locations::id.eq_any(stale)))
        .execute(conn)
}

/// Deletes every position of a booking (it ended: its trail has no purpose).
pub fn delete_locations(conn: &mut DbConn, booking_id: &str) -> QueryResult<usize> {
    diesel::delete(booking_locations::table.filter(booking_locations::booking_id.eq(booking_id)))
        .execute(conn)
}
