//! Sign-in with an identity provider: an identity logs in to its account,
//! links to an account of the same verified email, or registers one; the
//! caller's identities are listed and unlinked, never the last way in.

use super::*;
use crate::models::{Identity, IdentityId};
use crate::oidc::VerifiedIdentity;

/// What the account needs when an identity registers one.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    /// The role chosen (required to register).
    pub role: Option<Role>,
    /// The name chosen; else the provider's, else the email's local part.
    pub name: Option<String>,
}

/// How an identity sign-in went.
#[derive(Debug)]
pub enum IdentitySignIn {
    /// The identity was linked already.
    Existing(IssuedLogin),
    /// The identity was linked now to the account of its verified email.
    Linked(IssuedLogin),
    /// A new account was made for it.
    Registered(IssuedLogin),
}

impl IdentitySignIn {
    /// The login it started.
    pub fn login(&self) -> &IssuedLogin {
        match self {
            Self::Existing(login) | Self::Linked(login) | Self::Registered(login) => login,
        }
    }
}

/// Signs in with a verified identity, in one transaction: the linked
/// account; else the account with the token's email when both the token's
/// and the account's email are verified (else `AccountExists`); else a new
/// account (role required). Two first sign-ins of one identity race on the
/// unique indexes: the loser fails with `EmailTaken` and the caller runs
/// it again, finding the winner's link.
pub fn sign_in_with_identity(
    conn: &mut DbConn,
    identity: &VerifiedIdentity,
    account: &NewAccount,
    meta: &SessionMeta,
    refresh_ttl_secs: i64,
) -> Result<IdentitySignIn, UsersError> {
    db::write_transaction(conn, |conn| {
        if let Some(linked) = repo::find_identity(conn, &identity.provider, &identity.subject)? {
            let user =
                repo::find_user(conn, &linked.user_id)?.ok_or(UsersError::InvalidCredentials)?;
            ensure_may_sign_in(&user)?;
            return Ok(IdentitySignIn::Existing(start_session(
                conn,
                user,
                meta,
                refresh_ttl_secs,
            )?));
        }
        let email = identity.email.as_deref().ok_or_else(|| {
            UsersError::invalid(
                "id_token",
                "the identity provider shares no email; an account needs one",
            )
        })?;
        if let Some(user) = repo::find_user_by_email(conn, &normalize_email(email))? {
            if !(identity.email_verified && user.email_verified) {
                return Err(UsersError::AccountExists);
            }
            ensure_may_sign_in(&user)?;
            link(conn, &user.id, identity)?;
            return Ok(IdentitySignIn::Linked(start_session(
                conn,
                user,
                meta,
                refresh_ttl_secs,
            )?));
        }
        let role = account
            .role
            .ok_or_else(|| UsersError::invalid("role", "required to create an account"))?;
        let name = account
            .name
            .clone()
            .or_else(|| identity.name.clone())
            .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_owned());
        let name: String = name.trim().chars().take(100).collect();
        let mut user = insert_account(conn, email, String::new(), role, &name, None)?;
        if identity.email_verified {
            repo::mark_email_verified(conn, &user.id)?;
            user.email_verified = true;
        }
        link(conn, &user.id, identity)?;
        Ok(IdentitySignIn::Registered(start_session(
            conn,
            user,
            meta,
            refresh_ttl_secs,
        )?))
    })
}

/// An active account signs in; a suspended one learns of it; any other
/// (deactivated) gets the answer of a wrong credential.
fn ensure_may_sign_in(user: &User) -> Result<(), UsersError> {
    if user.is_active && user.deleted_at.is_none() {
        Ok(())
    } else if user.is_suspended(now()) {
        Err(UsersError::Suspended(user.suspended_until))
    } else {
        Err(UsersError::InvalidCredentials)
    }
}

fn link(conn: &mut DbConn, user: &str, identity: &VerifiedIdentity) -> Result<(), UsersError> {
    repo::insert_identity(
        conn,
        &Identity {
            id: IdentityId::generate().into_string(),
            user_id: user.to_owned(),
            provider: identity.provider.clone(),
            subject: identity.subject.clone(),
            email: identity.email.clone(),
            created_at: now(),
        },
    )
    .map_err(|err| {
        if is_unique_violation(&err) {
            UsersError::EmailTaken
        } else {
            UsersError::from(err)
        }
    })?;
    Ok(())
}

/// The caller's identities, oldest first.
pub fn list_identities(
    conn: &mut DbConn,
    user: &UserId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<Identity>, UsersError> {
    let rows = repo::list_identities(conn, user.as_str(), cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |i| Cursor::new(i.created_at, i.id.clone()),
        |i| i,
    ))
}

/// Unlinks one of the caller's identities: `NotFound` when it is not
/// theirs, `LastSignInMethod` when the account has no password and no
/// other identity. Concurrent unlinks of one account queue on its row.
pub fn unlink_identity(
    conn: &mut DbConn,
    user: &UserId,
    id: &IdentityId,
) -> Result<(), UsersError> {
    db::write_transaction(conn, |conn| {
        repo::lock_user(conn, user.as_str())?;
        let account = get_user(conn, user)?;
        if !account.has_password() && repo::count_identities(conn, user.as_str())? <= 1 {
            let theirs = repo::list_identities(conn, user.as_str(), None, 1)?;
            return Err(if theirs.iter().any(|i| i.id == id.as_str()) {
                UsersError::LastSignInMethod
            } else {
                UsersError::NotFound("identity")
            });
        }
        match repo::delete_identity(conn, user.as_str(), id.as_str())? {
            0 => Err(UsersError::NotFound("identity")),
            _ => Ok(()),
        }
    })
}

/// Whether `identity` is linked to `user` (a fresh ID token standing in
/// for a password).
pub fn identity_belongs_to(
    conn: &mut DbConn,
    user: &UserId,
    identity: &VerifiedIdentity,
) -> Result<bool, UsersError> {
    Ok(
        repo::find_identity(conn, &identity.provider, &identity.subject)?
            .is_some_and(|linked| linked.user_id == user.as_str()),
    )
}

/// The user's identities for the data export.
pub fn identities_for_export(conn: &mut DbConn, user: &str) -> Result<Vec<Identity>, UsersError> {
    Ok(repo::list_identities(conn, user, None, i64::MAX)?)
}
