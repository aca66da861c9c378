//! Queries of emailed tokens, email verification and notification choices.

use super::*;

/// Stores a token's hash.
pub fn insert_token(
    conn: &mut DbConn,
    token_hash: &str,
    user_id: &str,
    purpose: &str,
    email: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::token_hash.eq(token_hash),
            account_tokens::user_id.eq(user_id),
            account_tokens::purpose.eq(purpose),
            account_tokens::email.eq(email),
            account_tokens::created_at.eq(now),
            account_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// Deletes the user's tokens of these purposes that were not used: a newer
/// token, a password change or an applied email change replaces them.
pub fn discard_tokens(conn: &mut DbConn, user_id: &str, purposes: &[&str]) -> QueryResult<usize> {
    diesel::delete(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::purpose.eq_any(purposes))
            .filter(account_tokens::used_at.is_null()),
    )
    .execute(conn)
}

/// Spends a live token of one of `purposes`: 1 row when it was unused and
/// unexpired (of two racing uses, one gets it), 0 otherwise.
pub fn spend_token(
    conn: &mut DbConn,
    token_hash: &str,
    purposes: &[&str],
    now: NaiveDateTime,
) -> QueryResult<Option<AccountToken>> {
    diesel::update(
        account_tokens::table
            .find(token_hash)
            .filter(account_tokens::purpose.eq_any(purposes))
            .filter(account_tokens::used_at.is_null())
            .filter(account_tokens::expires_at.gt(now)),
    )
    .set(account_tokens::used_at.eq(Some(now)))
    .returning(<AccountToken as Selectable<MultiBackend>>::construct_selection())
    .get_result(conn)
    .optional()
}

/// A live token of one of `purposes`, without spending it.
pub fn find_live_token(
    conn: &mut DbConn,
    token_hash: &str,
    purposes: &[&str],
    now: NaiveDateTime,
) -> QueryResult<Option<AccountToken>> {
    account_tokens::table
        .find(token_hash)
        .filter(account_tokens::purpose.eq_any(purposes))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(now))
        .select(AccountToken::as_select())
        .first(conn)
        .optional()
}

/// Records that a verification email goes out now, unless one went out
/// after `not_before`: 1 row when this one may go (of racing resends, one).
pub fn claim_verification_send(
    conn: &mut DbConn,
    user_id: &str,
    now: NaiveDateTime,
    not_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        users::table.find(user_id).filter(
            users::verify_sent_at
                .is_null()
                .or(users::verify_sent_at.le(not_before)),
        ),
    )
    .set(users::verify_sent_at.eq(Some(now)))
    .execute(conn)
}

/// When the user's last verification email went out.
pub fn verification_sent_at(
    conn: &mut DbConn,
    user_id: &str,
) -> QueryResult<Option<NaiveDateTime>> {
    users::table
        .find(user_id)
        .select(users::verify_sent_at)
        .first(conn)
}

/// Marks the user's email verified, with the address it now has.
pub fn set_email(
    conn: &mut DbConn,
    user_id: &str,
    email: &str,
    email_normalized: &str,
    now: NaiveDateTime,
) -> QueryResult<User> {
    diesel::update(users::table.find(user_id))
        .set((
            users::email.eq(email),
            users::email_normalized.eq(email_normalized),
            users::email_verified.eq(true),
            users::updated_at.eq(now),
        ))
        .returning(<User as Selectable<MultiBackend>>::construct_selection())
        .get_result(conn)
}

/// The user's email notification choices, `(kind, on)`.
pub fn notification_choices(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<(String, bool)>> {
    notification_preferences::table
        .filter(notification_preferences::user_id.eq(user_id))
        .select((
            notification_preferences::kind,
            notification_preferences::email,
        ))
        .load(conn)
}

/// The choices of these users for one kind, `(user, on)`; a user without a
/// row has made none.
pub fn choices_for_kind(
    conn: &mut DbConn,
    user_ids: &[String],
    kind: &str,
) -> QueryResult<Vec<(String, bool)>> {
    notification_preferences::table
        .filter(notification_preferences::user_id.eq_any(user_ids))
        .filter(notification_preferences::kind.eq(kind))
        .select((
            notification_preferences::user_id,
            notification_preferences::email,
        ))
        .load(conn)
}

/// Stores one choice: an update, or an insert when there is no row yet;
/// of two racing inserts the loser (a savepoint, so the caller's
/// transaction lives on) updates the winner's row.
pub fn set_notification_choice(
    conn: &mut DbConn,
    user_id: &str,
    kind: &str,
    on: bool,
) -> QueryResult<usize> {
    let update = |conn: &mut DbConn| {
        diesel::update(
            notification_preferences::table
                .filter(notification_preferences::user_id.eq(user_id))
                .filter(notification_preferences::kind.eq(kind)),
        )
        .set(notification_preferences::email.eq(on))
        .execute(conn)
    };
    let updated = update(conn)?;
    if updated > 0 {
        return Ok(updated);
    }
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(notification_preferences::table)
            .values((
                notification_preferences::user_id.eq(user_id),
                notification_preferences::kind.eq(kind),
                notification_preferences::email.eq(on),
            ))
            .execute(conn)
    });
    match inserted {
        Err(err) if quickfix_shared::error::is_unique_violation(&err) => update(conn),
        other => other,
    }
}

/// Anonymises a deleted account's row: the name becomes "Deleted user",
/// the email, password, phone, address, avatar, description and location
/// are erased, and the address is free to register again.
pub fn anonymise_user(conn: &mut DbConn, user_id: &str, now: NaiveDateTime) -> QueryResult<User> {
    diesel::update(users::table.find(user_id))
        .set((
            users::name.eq(DELETED_NAME),
            users::email.eq(""),
            users::email_normalized.eq(format!("deleted:{user_id}")),
            users::password_hash.eq(""),
            users::phone.eq(None::<String>),
            users::address.eq(None::<String>),
            users::avatar_url.eq(None::<String>),
            users::description.eq(None::<String>),
            users::service_area.eq(None::<String>),
            users::lat.eq(None::<f64>),
            users::lng.eq(None::<f64>),
            users::is_active.eq(false),
            users::is_available.eq(false),
            users::email_verified.eq(false),
            users::verify_sent_at.eq(None::<NaiveDateTime>),
            users::search_text.eq(DELETED_NAME.to_lowercase()),
            users::deleted_at.eq(Some(now)),
            users::updated_at.eq(now),
        ))
        .returning(<User as Selectable<MultiBackend>>::construct_selection())
        .get_result(conn)
}

/// The name a deleted account shows.
pub const DELETED_NAME: &str = "Deleted user";

/// Deletes everything of the user's own but the row: logins and refresh
/// tokens, favourites (theirs and others' of them), blocks (both ways),
/// catalog, mailed tokens and notification choices.
pub fn erase_user_data(conn: &mut DbConn, user_id: &str) -> QueryResult<()> {
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(login_sessions::table.filter(login_sessions::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(
        favorites::table.filter(
            favorites::customer_id
                .eq(user_id)
                .or(favorites::provider_id.eq(user_id)),
        ),
    )
    .execute(conn)?;
    delete_blocks_of(conn, user_id)?;
    delete_identities_of(conn, user_id)?;
    forget_reporter(conn, user_id)?;
    diesel::delete(provider_services::table.filter(provider_services::provider_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(account_tokens::table.filter(account_tokens::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(
        notification_preferences::table.filter(notification_preferences::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Deletes up to `batch` tokens that expired before `now`.
pub fn purge_expired_tokens(
    conn: &mut DbConn,
    now: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    let expired: Vec<String> = account_tokens::table
        .filter(account_tokens::expires_at.lt(now))
        .select(account_tokens::token_hash)
        .limit(batch)
        .load(conn)?;
    diesel::delete(account_tokens::table.filter(account_tokens::token_hash.eq_any(&expired)))
        .execute(conn)
}
