//! Logins: started by registration or login, refresh-token rotation with
//! reuse detection, logout, the caller's sessions, and their purge.

use super::*;

/// Where a login came from.
#[derive(Debug, Clone, Default)]
pub struct SessionMeta {
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
    /// The client's IP.
    pub ip: Option<String>,
}

/// A new refresh token: 256 random bits, base64url.
pub(super) fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a refresh token: SHA-256, hex.
pub fn hash_refresh_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A user with a fresh login.
#[derive(Debug, Clone)]
pub struct IssuedLogin {
    /// The user.
    pub user: User,
    /// The login session.
    pub session_id: String,
    /// The plain refresh token (only ever handed to the client).
    pub refresh_token: String,
}

pub(super) fn issue_refresh_token(
    conn: &mut DbConn,
    user_id: &str,
    session_id: &str,
    ttl_secs: i64,
    at: NaiveDateTime,
) -> Result<String, UsersError> {
    let token = new_refresh_token();
    repo::insert_refresh_token(
        conn,
        &RefreshToken {
            token_hash: hash_refresh_token(&token),
            session_id: session_id.to_owned(),
            user_id: user_id.to_owned(),
            created_at: at,
            expires_at: at + Duration::seconds(ttl_secs),
            used_at: None,
            revoked_at: None,
        },
    )?;
    Ok(token)
}

pub(super) fn start_session(
    conn: &mut DbConn,
    user: User,
    meta: &SessionMeta,
    ttl_secs: i64,
) -> Result<IssuedLogin, UsersError> {
    let at = now();
    let session_id = SessionId::generate().into_string();
    repo::insert_session(
        conn,
        &LoginSession {
            id: session_id.clone(),
            user_id: user.id.clone(),
            user_agent: meta.user_agent.clone(),
            ip: meta.ip.clone(),
            created_at: at,
            last_used_at: at,
            revoked_at: None,
        },
    )?;
    let refresh_token = issue_refresh_token(conn, &user.id, &session_id, ttl_secs, at)?;
    Ok(IssuedLogin {
        user,
        session_id,
        refresh_token,
    })
}

/// The user a login attempt names, if any.
pub fn find_login_candidate(conn: &mut DbConn, email: &str) -> Result<Option<User>, UsersError> {
    Ok(repo::find_user_by_email(conn, &normalize_email(email))?)
}

/// Starts a login for a user whose password was verified.
pub fn login(
    conn: &mut DbConn,
    user: User,
    meta: &SessionMeta,
    refresh_ttl_secs: i64,
) -> Result<IssuedLogin, UsersError> {
    db::write_transaction(conn, |conn| {
        start_session(conn, user, meta, refresh_ttl_secs)
    })
}

/// The outcome of presenting a refresh token.
#[derive(Debug, Clone)]
pub enum RefreshOutcome {
    /// The token was live: here is the next one.
    Rotated(Box<IssuedLogin>),
    /// The token was spent before: its whole login is now revoked.
    Reused {
        /// The revoked login's user.
        user_id: String,
        /// The revoked login.
        session_id: String,
    },
}

/// Rotates a refresh token. Spending is one conditional update, so of
/// concurrent refreshes with one token exactly one rotates; the others find
/// it spent and revoke the login, as any reuse does. The revocation commits,
/// so the caller answers 401 after it. A spent token's login is touched too,
/// but the revocation in the same transaction makes that moot.
pub fn refresh(
    conn: &mut DbConn,
    token: &str,
    refresh_ttl_secs: i64,
) -> Result<RefreshOutcome, UsersError> {
    let hash = hash_refresh_token(token);
    db::write_transaction(conn, |conn| {
        let at = now();
        let Some(stored) = repo::find_refresh_token(conn, &hash)? else {
            return Err(UsersError::InvalidRefreshToken);
        };
        // The login's row first, as every revocation takes it first: one
        // lock order for all, so concurrent refreshes and revocations of a
        // login queue instead of deadlocking.
        repo::touch_session(conn, &stored.session_id, at)?;
        if repo::spend_refresh_token(conn, &hash, at)? == 0 {
            let stored =
                repo::find_refresh_token(conn, &hash)?.ok_or(UsersError::InvalidRefreshToken)?;
            if stored.used_at.is_some() {
                repo::revoke_session(conn, &stored.user_id, &stored.session_id, at)?;
                return Ok(RefreshOutcome::Reused {
                    user_id: stored.user_id,
                    session_id: stored.session_id,
                });
            }
            return Err(UsersError::InvalidRefreshToken);
        }
        let session = repo::find_session(conn, &stored.session_id)?;
        let user = repo::find_user(conn, &stored.user_id)?;
        let (Some(session), Some(user)) = (session, user) else {
            return Err(UsersError::InvalidRefreshToken);
        };
        if session.revoked_at.is_some() || !user.is_active {
            return Err(UsersError::InvalidRefreshToken);
        }
        let refresh_token = issue_refresh_token(conn, &user.id, &session.id, refresh_ttl_secs, at)?;
        Ok(RefreshOutcome::Rotated(Box::new(IssuedLogin {
            user,
            session_id: session.id,
            refresh_token,
        })))
    })
}

/// A fresh refresh token in an existing live login (a replayed
/// registration); `InvalidRefreshToken` when the login has ended.
pub fn reissue(
    conn: &mut DbConn,
    user_id: &str,
    session_id: &str,
    refresh_ttl_secs: i64,
) -> Result<IssuedLogin, UsersError> {
    db::write_transaction(conn, |conn| {
        let session = repo::find_session(conn, session_id)?;
        let user = repo::find_user(conn, user_id)?;
        match (session, user) {
            (Some(session), Some(user))
                if session.revoked_at.is_none() && session.user_id == user.id && user.is_active =>
            {
                let refresh_token =
                    issue_refresh_token(conn, &user.id, &session.id, refresh_ttl_secs, now())?;
                Ok(IssuedLogin {
                    user,
                    session_id: session.id,
                    refresh_token,
                })
            }
            _ => Err(UsersError::InvalidRefreshToken),
        }
    })
}

/// Ends the login a refresh token belongs to and returns its user's and its
/// own id. Unknown tokens are ignored, so logout cannot probe tokens.
pub fn logout(conn: &mut DbConn, token: &str) -> Result<Option<(String, String)>, UsersError> {
    let hash = hash_refresh_token(token);
    db::write_transaction(conn, |conn| {
        let Some(stored) = repo::find_refresh_token(conn, &hash)? else {
            return Ok(None);
        };
        repo::revoke_session(conn, &stored.user_id, &stored.session_id, now())?;
        Ok(Some((stored.user_id, stored.session_id)))
    })
}

/// A user's live logins.
pub fn list_sessions(
    conn: &mut DbConn,
    user: &UserId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<LoginSession>, UsersError> {
    let rows = repo::list_sessions(conn, user.as_str(), cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |s| Cursor::new(s.created_at, s.id.clone()),
        |s| s,
    ))
}

/// Revokes one of the user's logins; `NotFound` when it is not theirs.
pub fn revoke_session(
    conn: &mut DbConn,
    user: &UserId,
    session_id: &SessionId,
) -> Result<(), UsersError> {
    db::write_transaction(conn, |conn| {
        match repo::revoke_session(conn, user.as_str(), session_id.as_str(), now())? {
            0 => Err(UsersError::NotFound("session")),
            _ => Ok(()),
        }
    })
}

/// The account's current role when the user is active and the login live
/// (`None` otherwise); asked on every authenticated request.
pub fn live_session_standing(
    conn: &mut DbConn,
    user: &UserId,
    session_id: &str,
) -> Result<Option<Standing>, DbError> {
    Ok(
        match repo::session_state(conn, user.as_str(), session_id)? {
            Some((role, true, None, email_verified)) => Role::parse(&role).map(|role| Standing {
                role,
                email_verified,
            }),
            _ => None,
        },
    )
}

/// Deletes the logins that ended (revoked) or expired (unused for the
/// refresh lifetime) more than `retention` ago, with their refresh tokens,
/// in bounded batches. A live login keeps its used tokens: reuse detection
/// needs them.
pub fn purge_sessions(
    conn: &mut DbConn,
    retention: Duration,
    refresh_ttl: Duration,
) -> Result<usize, DbError> {
    let at = now();
    let (revoked_before, idle_before) = (at - retention, at - refresh_ttl - retention);
    db::purge_in_batches(conn, |conn, batch| {
        db::write_transaction(conn, |conn| {
            Ok(repo::purge_sessions(
                conn,
                revoked_before,
                idle_before,
                batch,
            )?)
        })
    })
}
