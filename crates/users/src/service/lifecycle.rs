//! The account lifecycle over email: verification, password reset and
//! email change. Tokens are 256 random bits, mailed once, stored only as
//! SHA-256 hashes, single-use and short-lived; a newer token of the same
//! purpose replaces the older ones.

use super::*;
use crate::mail::{AccountMail, EMAIL_CHANGE, PASSWORD_RESET, VERIFY_EMAIL};

/// How long a verification or email-change link works.
pub const VERIFY_TTL: Duration = Duration::hours(48);

const RESET: &str = "reset";
const VERIFY: &str = "verify";
const CHANGE: &str = "change";

/// Makes a token of `purpose` for `user` at `email`, replacing the unused
/// ones of that purpose; answers the token and its expiry.
fn issue_token(
    conn: &mut DbConn,
    user: &User,
    purpose: &str,
    email: &str,
    ttl: Duration,
) -> Result<(String, NaiveDateTime), UsersError> {
    repo::discard_tokens(conn, &user.id, &[purpose])?;
    let token = new_refresh_token();
    let at = now();
    let expires_at = at + ttl;
    repo::insert_token(
        conn,
        &hash_refresh_token(&token),
        &user.id,
        purpose,
        &normalize_email(email),
        at,
        expires_at,
    )?;
    Ok((token, expires_at))
}

/// Mails `user` a link that verifies its current address, in the caller's
/// transaction (registration, a resend).
pub fn send_verification(
    conn: &mut DbConn,
    mail: &AccountMail,
    user: &User,
) -> Result<(), UsersError> {
    repo::claim_verification_send(conn, &user.id, now(), now())?;
    let (token, expires_at) = issue_token(conn, user, VERIFY, &user.email, VERIFY_TTL)?;
    mail.queue_token(conn, VERIFY_EMAIL, user, &user.email, &token, expires_at)?;
    Ok(())
}

/// Another verification email, at most one per `every` counted from the
/// last one; a verified address gets none.
pub fn resend_verification(
    conn: &mut DbConn,
    mail: &AccountMail,
    user: &UserId,
    every: Duration,
) -> Result<(), UsersError> {
    db::write_transaction(conn, |conn| {
        let user = get_user(conn, user)?;
        if user.email_verified {
            return Ok(());
        }
        let at = now();
        if repo::claim_verification_send(conn, &user.id, at, at - every)? == 0 {
            let last = repo::verification_sent_at(conn, &user.id)?.unwrap_or(at);
            let wait = (last + every - at).num_seconds().max(1);
            return Err(UsersError::ResendTooSoon(wait.unsigned_abs()));
        }
        let (token, expires_at) = issue_token(conn, &user, VERIFY, &user.email, VERIFY_TTL)?;
        mail.queue_token(conn, VERIFY_EMAIL, &user, &user.email, &token, expires_at)?;
        Ok(())
    })
}

/// Mails a reset link to the active account registered with `email`, if
/// there is one; nothing otherwise (the caller answered already).
pub fn request_password_reset(
    conn: &mut DbConn,
    mail: &AccountMail,
    email: &str,
    ttl: Duration,
) -> Result<(), UsersError> {
    db::write_transaction(conn, |conn| {
        let Some(user) = repo::find_user_by_email(conn, &normalize_email(email))? else {
            return Ok(());
        };
        if !user.is_active {
            return Ok(());
        }
        let (token, expires_at) = issue_token(conn, &user, RESET, &user.email, ttl)?;
        mail.queue_token(conn, PASSWORD_RESET, &user, &user.email, &token, expires_at)?;
        Ok(())
    })
}

/// The account a live reset token is for (checked before the new password
/// is hashed; [`confirm_password_reset`] checks again as it spends it).
pub fn reset_token_user(conn: &mut DbConn, token: &str) -> Result<String, UsersError> {
    repo::find_live_token(conn, &hash_refresh_token(token), &[RESET], now())?
        .map(|t| t.user_id)
        .ok_or(UsersError::InvalidToken)
}

/// Spends a reset token and sets the password it was for: every login of
/// the user ends and the other reset links die. Reaching the link proves
/// the address, so an unverified one becomes verified. Answers the user.
pub fn confirm_password_reset(
    conn: &mut DbConn,
    token: &str,
    new_hash: &str,
) -> Result<String, UsersError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        let spent = repo::spend_token(conn, &hash_refresh_token(token), &[RESET], at)?
            .ok_or(UsersError::InvalidToken)?;
        let user = repo::find_user(conn, &spent.user_id)?
            .filter(|u| u.is_active)
            .ok_or(UsersError::InvalidToken)?;
        set_password(conn, &UserId::from_db(user.id.clone()), new_hash)?;
        if user.email_normalized == spent.email && !user.email_verified {
            repo::set_email(conn, &user.id, &user.email, &user.email_normalized, at)?;
        }
        Ok(user.id)
    })
}

/// Spends a verification or email-change token: the address it was sent
/// to becomes the account's, verified. A change to an address taken
/// meanwhile is 409 `email_taken`; a verification of an address the
/// account no longer has is `invalid_token`.
pub fn verify_email(conn: &mut DbConn, token: &str) -> Result<User, UsersError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        let spent = repo::spend_token(conn, &hash_refresh_token(token), &[VERIFY, CHANGE], at)?
            .ok_or(UsersError::InvalidToken)?;
        let user = repo::find_user(conn, &spent.user_id)?
            .filter(|u| u.is_active)
            .ok_or(UsersError::InvalidToken)?;
        if spent.purpose == VERIFY {
            if user.email_normalized != spent.email {
                return Err(UsersError::InvalidToken);
            }
            return Ok(repo::set_email(
                conn,
                &user.id,
                &user.email,
                &user.email_normalized,
                at,
            )?);
        }
        let changed =
            repo::set_email(conn, &user.id, &spent.email, &spent.email, at).map_err(|err| {
                if is_unique_violation(&err) {
                    UsersError::EmailTaken
                } else {
                    UsersError::from(err)
                }
            })?;
        repo::discard_tokens(conn, &user.id, &[VERIFY, CHANGE, RESET])?;
        Ok(changed)
    })
}

/// Asks to change `user`'s email to `new_email`: a confirmation link goes
/// to the new address and a notice to the old; nothing changes until the
/// link is followed. A taken address is 409 `email_taken`.
pub fn request_email_change(
    conn: &mut DbConn,
    mail: &AccountMail,
    user: &UserId,
    new_email: &str,
) -> Result<(), UsersError> {
    db::write_transaction(conn, |conn| {
        let user = get_user(conn, user)?;
        let normalized = normalize_email(new_email);
        if normalized == user.email_normalized {
            return Err(UsersError::invalid(
                "new_email",
                "this is the account's email already",
            ));
        }
        if repo::find_user_by_email(conn, &normalized)?.is_some() {
            return Err(UsersError::EmailTaken);
        }
        let (token, expires_at) = issue_token(conn, &user, CHANGE, new_email, VERIFY_TTL)?;
        let new_email = new_email.trim();
        if mail.queue_token(conn, EMAIL_CHANGE, &user, new_email, &token, expires_at)? {
            mail.queue_change_notice(conn, &user, new_email)?;
        }
        Ok(())
    })
}

/// The users crate's sections of `user`'s data export, in order.
pub fn export_sections(
    conn: &mut DbConn,
    user: &UserId,
    currency: &str,
) -> Result<Vec<(&'static str, serde_json::Value)>, UsersError> {
    let account = get_user(conn, user)?;
    let choices = notification_preferences(conn, user)?;
    let sessions = repo::all_sessions(conn, user.as_str())?;
    let view = crate::dto::UserResponse::private(&account, currency);
    let json = |value: serde_json::Result<serde_json::Value>| {
        value.map_err(|err| UsersError::Internal(err.to_string()))
    };
    let sessions: Vec<_> = sessions
        .iter()
        .map(|s| crate::dto::SessionResponse::of(s, ""))
        .collect();
    let verification = crate::dto::ProfileVerification::of(&account);
    let blocks: Vec<_> = repo::blocks_by(conn, user.as_str())?
        .into_iter()
        .map(|(blocked, at)| serde_json::json!({"user_id": blocked, "created_at": at.and_utc()}))
        .collect();
    let identities: Vec<_> = identities_for_export(conn, user.as_str())?
        .iter()
        .map(crate::dto::IdentityResponse::from)
        .collect();
    let reports: Vec<_> = repo::reports_by(conn, user.as_str())?
        .iter()
        .map(crate::dto::ReportResponse::from)
        .collect();
    Ok(vec![
        ("account", json(serde_json::to_value(&view))?),
        ("profile", json(serde_json::to_value(&view.profile))?),
        (
            "notification_preferences",
            json(serde_json::to_value(
                crate::dto::NotificationPreferences::from_choices(&choices),
            ))?,
        ),
        ("identities", json(serde_json::to_value(identities))?),
        ("sessions", json(serde_json::to_value(sessions))?),
        ("blocks", serde_json::Value::Array(blocks)),
        ("reports_filed", json(serde_json::to_value(reports))?),
        ("verification", json(serde_json::to_value(verification))?),
    ])
}

/// Deletes expired tokens in bounded batches; answers how many went.
pub fn purge_account_tokens(conn: &mut DbConn) -> Result<usize, DbError> {
    let at = now();
    db::purge_in_batches(conn, |conn, batch| {
        Ok(repo::purge_expired_tokens(conn, at, batch)?)
    })
}
