//! Queries on this crate's tables. Each takes the connection first, so it
//! runs inside or outside the caller's transaction alike.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use quickfix_shared::auth::Role;
use quickfix_shared::db::{DbConn, MultiBackend, contains_pattern};
use quickfix_shared::geo::BoundingBox;
use quickfix_shared::pagination::Cursor;

use crate::models::{
    Favorite, LoginSession, NewUser, ProfileChangeset, ProviderService, RefreshToken, User,
};
use crate::schema::{favorites, login_sessions, provider_services, refresh_tokens, users};

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

/// Activates or deactivates a user.
pub fn set_active(
    conn: &mut DbConn,
    id: &str,
    active: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::is_active.eq(active), users::updated_at.eq(now)))
        .execute(conn)
}

/// Marks a provider verified; 0 rows when it is not a provider.
pub fn set_verified(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::role.eq(Role::Provider.as_str())),
    )
    .set((users::verified.eq(true), users::updated_at.eq(now)))
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

/// Filters of the provider directory.
#[derive(Debug, Clone, Default)]
pub struct ProviderFilter {
    /// Category slug.
    pub category: Option<String>,
    /// Lower-cased words in name or description.
    pub q: Option<String>,
    /// Lowest average rating.
    pub min_rating: Option<f64>,
    /// Only available providers.
    pub available: bool,
    /// Only verified providers.
    pub verified: bool,
    /// The prefilter box of a `near` search.
    pub bbox: Option<BoundingBox>,
}

/// Active providers newest first after `cursor`, at most `limit` rows.
pub fn list_providers(
    conn: &mut DbConn,
    filter: &ProviderFilter,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .select(User::as_select())
        .filter(users::role.eq(Role::Provider.as_str()))
        .filter(users::is_active.eq(true))
        .into_boxed::<MultiBackend>();
    if let Some(category) = &filter.category {
        query = query.filter(users::category.eq(category.clone()));
    }
    if let Some(q) = &filter.q {
        query = query.filter(users::search_text.like(contains_pattern(q)).escape('\\'));
    }
    if let Some(min) = filter.min_rating {
        query = query.filter(users::rating_avg.ge(min));
    }
    if filter.available {
        query = query.filter(users::is_available.eq(true));
    }
    if filter.verified {
        query = query.filter(users::verified.eq(true));
    }
    if let Some(bbox) = &filter.bbox {
        query = query.filter(users::lat.between(bbox.min_lat, bbox.max_lat));
        match bbox.lng_ranges.as_slice() {
            [] => {}
            [(west, east)] => query = query.filter(users::lng.between(*west, *east)),
            [(w1, e1), (w2, e2), ..] => {
                query = query.filter(
                    users::lng
                        .between(*w1, *e1)
                        .or(users::lng.between(*w2, *e2)),
                );
            }
        }
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

/// Stores a new login session.
pub fn insert_session(conn: &mut DbConn, session: &LoginSession) -> QueryResult<usize> {
    diesel::insert_into(login_sessions::table)
        .values(session)
        .execute(conn)
}

/// A user's live sessions, newest first after `cursor`.
pub fn list_sessions(
    conn: &mut DbConn,
    user_id: &str,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<LoginSession>> {
    let mut query = login_sessions::table
        .select(LoginSession::as_select())
        .filter(login_sessions::user_id.eq(user_id.to_owned()))
        .filter(login_sessions::revoked_at.is_null())
        .into_boxed::<MultiBackend>();
    if let Some(cursor) = cursor {
        query = query.filter(
            login_sessions::created_at
                .lt(cursor.at)
                .or(login_sessions::created_at
                    .eq(cursor.at)
                    .and(login_sessions::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((login_sessions::created_at.desc(), login_sessions::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Whether the user is active and the session live: `None` when either is
/// unknown.
pub fn session_state(
    conn: &mut DbConn,
    user_id: &str,
    session_id: &str,
) -> QueryResult<Option<(String, bool, Option<NaiveDateTime>)>> {
    users::table
        .inner_join(login_sessions::table.on(login_sessions::user_id.eq(users::id)))
        .filter(users::id.eq(user_id))
        .filter(login_sessions::id.eq(session_id))
        .select((users::role, users::is_active, login_sessions::revoked_at))
        .first(conn)
        .optional()
}

/// Revokes one session of a user and all its refresh tokens; 0 when the
/// session is not the user's or is revoked already.
pub fn revoke_session(
    conn: &mut DbConn,
    user_id: &str,
    session_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let revoked = diesel::update(
        login_sessions::table
            .filter(login_sessions::id.eq(session_id))
            .filter(login_sessions::user_id.eq(user_id))
            .filter(login_sessions::revoked_at.is_null()),
    )
    .set(login_sessions::revoked_at.eq(now))
    .execute(conn)?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::session_id.eq(session_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(revoked)
}

/// Revokes every session and refresh token of a user.
pub fn revoke_all_sessions(
    conn: &mut DbConn,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let revoked = diesel::update(
        login_sessions::table
            .filter(login_sessions::user_id.eq(user_id))
            .filter(login_sessions::revoked_at.is_null()),
    )
    .set(login_sessions::revoked_at.eq(now))
    .execute(conn)?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(revoked)
}

/// Marks a session used now.
pub fn touch_session(
    conn: &mut DbConn,
    session_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(login_sessions::table.find(session_id))
        .set(login_sessions::last_used_at.eq(now))
        .execute(conn)
}

/// Stores a refresh token (hash only).
pub fn insert_refresh_token(conn: &mut DbConn, token: &RefreshToken) -> QueryResult<usize> {
    diesel::insert_into(refresh_tokens::table)
        .values(token)
        .execute(conn)
}

/// Spends a refresh token if it is live: the conditional update is the
/// race's referee, so exactly one of many concurrent refreshes gets 1.
pub fn spend_refresh_token(
    conn: &mut DbConn,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(hash))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(now)),
    )
    .set(refresh_tokens::used_at.eq(now))
    .execute(conn)
}

/// A refresh token by hash.
pub fn find_refresh_token(conn: &mut DbConn, hash: &str) -> QueryResult<Option<RefreshToken>> {
    refresh_tokens::table
        .find(hash)
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()
}

/// A session by id.
pub fn find_session(conn: &mut DbConn, id: &str) -> QueryResult<Option<LoginSession>> {
    login_sessions::table
        .find(id)
        .select(LoginSession::as_select())
        .first(conn)
        .optional()
}

/// Stores a catalog service.
pub fn insert_catalog_service(conn: &mut DbConn, row: &ProviderService) -> QueryResult<usize> {
    diesel::insert_into(provider_services::table)
        .values(row)
        .execute(conn)
}

/// A provider's catalog, newest first after `cursor`.
pub fn list_catalog(
    conn: &mut DbConn,
    provider_id: &str,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<ProviderService>> {
    let mut query = provider_services::table
        .select(ProviderService::as_select())
        .filter(provider_services::provider_id.eq(provider_id.to_owned()))
        .into_boxed::<MultiBackend>();
    if let Some(cursor) = cursor {
        query = query.filter(
            provider_services::created_at
                .lt(cursor.at)
                .or(provider_services::created_at
                    .eq(cursor.at)
                    .and(provider_services::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((
            provider_services::created_at.desc(),
            provider_services::id.desc(),
        ))
        .limit(limit)
        .load(conn)
}

/// Replaces a catalog service of a provider; `None` when it is not theirs.
pub fn update_catalog_service(
    conn: &mut DbConn,
    provider_id: &str,
    row: &ProviderService,
) -> QueryResult<Option<ProviderService>> {
    diesel::update(
        provider_services::table
            .filter(provider_services::id.eq(&row.id))
            .filter(provider_services::provider_id.eq(provider_id)),
    )
    .set((
        provider_services::title.eq(&row.title),
        provider_services::description.eq(&row.description),
        provider_services::category.eq(&row.category),
        provider_services::price_cents.eq(row.price_cents),
        provider_services::unit.eq(&row.unit),
        provider_services::updated_at.eq(row.updated_at),
    ))
    .returning(<ProviderService as Selectable<MultiBackend>>::construct_selection())
    .get_result(conn)
    .optional()
}

/// Deletes a catalog service of a provider; 0 when it is not theirs.
pub fn delete_catalog_service(
    conn: &mut DbConn,
    provider_id: &str,
    id: &str,
) -> QueryResult<usize> {
    diesel::delete(
        provider_services::table
            .filter(provider_services::id.eq(id))
            .filter(provider_services::provider_id.eq(provider_id)),
    )
    .execute(conn)
}

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

/// Deletes at most `batch` logins that were revoked before `revoked_before`
/// or last used before `idle_before`, with their refresh tokens (run it in
/// a write transaction).
pub fn purge_sessions(
    conn: &mut DbConn,
    revoked_before: NaiveDateTime,
    idle_before: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    let over: Vec<String> = login_sessions::table
        .filter(
            login_sessions::revoked_at
                .lt(revoked_before)
                .or(login_sessions::last_used_at.lt(idle_before)),
        )
        .limit(batch)
        .select(login_sessions::id)
        .load(conn)?;
    if over.is_empty() {
        return Ok(0);
    }
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::session_id.eq_any(&over)))
        .execute(conn)?;
    diesel::delete(login_sessions::table.filter(login_sessions::id.eq_any(&over))).execute(conn)
}
