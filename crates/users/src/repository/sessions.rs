//! Queries of logins and their refresh tokens.

use super::*;

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

/// What the account gate reads of a login: the account's role, whether it
/// is active, when the login was revoked, whether the email is verified.
pub type SessionState = (String, bool, Option<NaiveDateTime>, bool);

/// Whether the user is active and the session live: `None` when either is
/// unknown.
pub fn session_state(
    conn: &mut DbConn,
    user_id: &str,
    session_id: &str,
) -> QueryResult<Option<SessionState>> {
    users::table
        .inner_join(login_sessions::table.on(login_sessions::user_id.eq(users::id)))
        .filter(users::id.eq(user_id))
        .filter(login_sessions::id.eq(session_id))
        .select((
            users::role,
            users::is_active,
            login_sessions::revoked_at,
            users::email_verified,
        ))
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

/// Every login of a user still on record, newest first.
pub fn all_sessions(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<LoginSession>> {
    login_sessions::table
        .filter(login_sessions::user_id.eq(user_id))
        .order((login_sessions::created_at.desc(), login_sessions::id.desc()))
        .select(LoginSession::as_select())
        .load(conn)
}
