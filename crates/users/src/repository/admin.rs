//! Queries of the admin views: counts per role, the user list.

use super::*;

/// Counts users per role.
pub fn count_by_role(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    users::table
        .group_by(users::role)
        .select((users::role, diesel::dsl::count_star()))
        .load(conn)
}

/// Filters of the admin user list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Role name.
    pub role: Option<String>,
    /// Lower-cased words in name or email.
    pub q: Option<String>,
    /// Active or not.
    pub is_active: Option<bool>,
}

/// Users newest first after `cursor`, at most `limit` rows.
pub fn list_users(
    conn: &mut DbConn,
    filter: &UserFilter,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .select(User::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(role) = &filter.role {
        query = query.filter(users::role.eq(role.clone()));
    }
    if let Some(active) = filter.is_active {
        query = query.filter(users::is_active.eq(active));
    }
    if let Some(q) = &filter.q {
        let pattern = contains_pattern(q);
        query = query.filter(
            users::search_text
                .like(pattern.clone())
                .escape('\\')
                .or(users::email_normalized.like(pattern).escape('\\')),
        );
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            users::created_at.lt(cursor.at).or(users::created_at
                .eq(cursor.at)
                .and(users::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((users::created_at.desc(), users::id.desc()))
        .limit(limit)
        .load(conn)
}
