//! Database rows of this crate's tables.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::ratings;

/// A `ratings` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ratings)]
#[diesel(treat_none_as_default_value = false)]
pub struct Rating {
    /// Id.
    pub id: String,
    /// The booking.
    pub booking_id: String,
    /// Who rated.
    pub rater_id: String,
    /// Who was rated (the other party).
    pub rated_id: String,
    /// 1 to 5.
    pub stars: i32,
    /// Optional words.
    pub comment: Option<String>,
    /// When the booking was completed (the reveal clock starts there).
    pub booking_completed_at: NaiveDateTime,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Revealed; null while hidden.
    pub revealed_at: Option<NaiveDateTime>,
    /// Hidden by an admin: out of every list and aggregate.
    pub hidden: bool,
}
