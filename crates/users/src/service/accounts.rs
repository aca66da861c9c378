//! Accounts: made by registration or the tools, read, their password set.

use super::*;

/// Inserts an account; a taken email (case-insensitive) is `EmailTaken`,
/// also when two registrations race: the unique index decides.
pub(super) fn insert_account(
    conn: &mut DbConn,
    email: &str,
    password_hash: String,
    role: Role,
    name: &str,
    phone: Option<&str>,
) -> Result<User, UsersError> {
    let at = now();
    let new = NewUser {
        id: UserId::generate().into_string(),
        email: email.trim().to_owned(),
        email_normalized: normalize_email(email),
        password_hash,
        role: role.as_str().to_owned(),
        name: name.trim().to_owned(),
        phone: phone.map(|p| p.trim().to_owned()),
        search_text: search_text(name.trim(), None),
        created_at: at,
        updated_at: at,
    };
    repo::insert_user(conn, &new).map_err(|err| {
        if is_unique_violation(&err) {
            UsersError::EmailTaken
        } else {
            UsersError::from(err)
        }
    })
}

/// Creates an account of any role without starting a login (tools such as
/// `seed`); the password must already be hashed.
pub fn create_user(
    conn: &mut DbConn,
    email: &str,
    password_hash: String,
    role: Role,
    name: &str,
    phone: Option<&str>,
) -> Result<User, UsersError> {
    db::write_transaction(conn, |conn| {
        insert_account(conn, email, password_hash, role, name, phone)
    })
}

/// Registers a customer or provider.
pub fn register(
    conn: &mut DbConn,
    request: &RegisterRequest,
    password_hash: String,
    meta: &SessionMeta,
    refresh_ttl_secs: i64,
) -> Result<IssuedLogin, UsersError> {
    db::write_transaction(conn, |conn| {
        let user = insert_account(
            conn,
            &request.email,
            password_hash,
            request.role.into(),
            &request.name,
            request.phone.as_deref(),
        )?;
        start_session(conn, user, meta, refresh_ttl_secs)
    })
}

/// A user by id.
pub fn get_user(conn: &mut DbConn, id: &UserId) -> Result<User, UsersError> {
    repo::find_user(conn, id.as_str())?.ok_or(UsersError::NotFound("user"))
}

/// Stores a new password and revokes every login, after the caller checked
/// the current one.
pub fn set_password(conn: &mut DbConn, user: &UserId, new_hash: &str) -> Result<(), UsersError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        repo::set_password(conn, user.as_str(), new_hash, at)?;
        repo::revoke_all_sessions(conn, user.as_str(), at)?;
        repo::discard_tokens(conn, user.as_str(), &["reset"])?;
        Ok(())
    })
}

/// Stores a password's hash in the current scheme after a login verified
/// it against an outdated one; logins live on.
pub fn upgrade_password_hash(
    conn: &mut DbConn,
    user: &str,
    old: &str,
    new: &str,
) -> Result<(), UsersError> {
    repo::upgrade_password_hash(conn, user, old, new)?;
    Ok(())
}

/// Deletes `user`'s account, after the caller checked the password and the
/// jobs crate closed it (no active booking): the row is anonymised and
/// everything else of theirs here is erased, in one transaction with
/// `user.deleted` (each other crate erases its own on that event). Answers
/// the avatar's storage key, deleted after the commit.
pub fn delete_account(conn: &mut DbConn, user: &UserId) -> Result<(User, Vec<String>), UsersError> {
    db::write_transaction(conn, |conn| {
        let before = get_user(conn, user)?;
        if before.deleted_at.is_some() {
            return Err(UsersError::NotFound("user"));
        }
        let at = now();
        let deleted = repo::anonymise_user(conn, user.as_str(), at)?;
        let mut files = repo::files_of_provider(conn, user.as_str())?;
        repo::delete_verifications_of(conn, user.as_str())?;
        repo::erase_user_data(conn, user.as_str())?;
        quickfix_shared::mail::forget_user(conn, user.as_str())?;
        files.extend(before.avatar_url.as_deref().and_then(avatar_key));
        Ok((deleted, files))
    })
}
