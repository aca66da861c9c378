//! Queries of accounts: made, found, their profile, password, state and
//! rating aggregate.

use super::*;

/// Inserts a user and returns the stored row.
pub fn insert_user(conn: &mut DbConn, user: &NewUser) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(user)
        .returning(<User as Selectable<MultiBackend>>::construct_selection())
        .get_result(conn)
}

/// A user by id.
pub fn find_user(conn: &mut DbConn, id: &str) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// A user by lower-cased email.
pub fn find_user_by_email(conn: &mut DbConn, email_normalized: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email_normalized.eq(email_normalized))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The users with these ids (any order; missing ids are skipped).
pub fn find_users(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .load(conn)
}

/// Applies a profile change and returns the row as it now is.
pub fn update_profile(conn: &mut DbConn, id: &str, change: &ProfileChangeset) -> QueryResult<User> {
    diesel::update(users::table.find(id))
        .set(change)
        .returning(<User as Selectable<MultiBackend>>::construct_selection())
        .get_result(conn)
}

/// Sets the avatar URL; returns the previous one.
pub fn set_avatar(
    conn: &mut DbConn,
    id: &str,
    url: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let previous: Option<String> = users::table
        .find(id)
        .select(users::avatar_url)
        .first(conn)?;
    diesel::update(users::table.find(id))
        .set((users::avatar_url.eq(url), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(previous)
}

/// Replaces the password hash.
pub fn set_password(
    conn: &mut DbConn,
    id: &str,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)
}

/// Replaces a password hash with another of the same password, only if it
/// is still `old` (a concurrent password change wins).
pub fn upgrade_password_hash(
    conn: &mut DbConn,
    id: &str,
    old: &str,
    new: &str,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id).filter(users::password_hash.eq(old)))
        .set(users::password_hash.eq(new))
        .execute(conn)
}

/// Activates or deactivates a user; activating also lifts a suspension.
pub fn set_active(
    conn: &mut DbConn,
    id: &str,
    active: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    if active {
        return lift_suspension(conn, id, now);
    }
    diesel::update(users::table.find(id))
        .set((users::is_active.eq(false), users::updated_at.eq(now)))
        .execute(conn)
}

/// Suspends a user (inactive, with the reason and the optional end); 0
/// rows when there is no such user.
pub fn suspend(
    conn: &mut DbConn,
    id: &str,
    reason: &str,
    until: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id).filter(users::deleted_at.is_null()))
        .set((
            users::is_active.eq(false),
            users::suspended_at.eq(Some(now)),
            users::suspended_until.eq(until),
            users::suspension_reason.eq(Some(reason)),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Makes a user active with no suspension; 0 rows when there is no such
/// user.
pub fn lift_suspension(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::is_active.eq(true),
            users::suspended_at.eq(None::<NaiveDateTime>),
            users::suspended_until.eq(None::<NaiveDateTime>),
            users::suspension_reason.eq(None::<String>),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Marks a provider verified; 0 rows when it is not a provider.
pub fn set_verified(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::role.eq(Role::Provider.as_str())),
    )
    .set((
        users::verified.eq(true),
        users::verification.eq("verified"),
        users::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Stores a user's rating aggregate.
/// Stores a rating aggregate unless a newer one (a higher `version`) is
/// there already; 0 rows when it was stale.
pub fn set_rating(
    conn: &mut DbConn,
    id: &str,
    avg: Option<f64>,
    count: i32,
    version: i64,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::rating_version.lt(version)),
    )
    .set((
        users::rating_avg.eq(avg),
        users::rating_count.eq(count),
        users::rating_version.eq(version),
    ))
    .execute(conn)
}
