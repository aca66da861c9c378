//! What the gateway's tools (`seed`, the CLI) ask of the users crate: async,
//! through the pool, in the crate's own transactions.

use quickfix_shared::ApiError;
use quickfix_shared::auth::Role;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::ids::UserId;

use quickfix_shared::outbox::SharedRelay;

use crate::dto::UpdateProfileRequest;
use crate::error::UsersError;
use crate::events;
use crate::service;

/// An account to make with a password hash made beforehand.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Email (normalised here).
    pub email: String,
    /// A hash from [`crate::passwords::hash_password`].
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Display name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Profile fields to set.
    pub profile: UpdateProfileRequest,
    /// Whether an admin verified this provider.
    pub verified: bool,
}

/// Makes an account with its profile in one transaction, with
/// `user.registered`; a taken email is 409.
pub async fn create_account(relay: &SharedRelay, account: NewAccount) -> Result<UserId, ApiError> {
    relay
        .run(move |conn| {
            let user = service::create_user(
                conn,
                &account.email,
                account.password_hash.clone(),
                account.role,
                &account.name,
                account.phone.as_deref(),
            )?;
            let registered = events::registered(&user);
            let id = UserId::from_db(user.id);
            service::update_profile(conn, &id, &account.profile)?;
            if account.verified {
                service::mark_verified(conn, &id)?;
            }
            Ok::<_, UsersError>((id, vec![registered]))
        })
        .await
        .map_err(ApiError::from)
}

/// Whether an account has this email.
pub async fn email_taken(pool: &DbPool, email: &str) -> Result<bool, ApiError> {
    let email = email.to_owned();
    let found = db::run(pool, move |conn| {
        service::find_login_candidate(conn, &email)
    })
    .await?;
    Ok(found.is_some())
}

/// An admin suspends an account until `until` (`None`: until lifted), with
/// `user.suspended` and its modlog line, in one transaction; the caller
/// ends the account's sockets in this process (`UsersState::logins_ended`).
pub async fn suspend_account(
    relay: &SharedRelay,
    admin: UserId,
    id: UserId,
    reason: String,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<crate::models::User, ApiError> {
    let suspended = events::activation(id.as_str(), false, admin.as_str());
    relay
        .run(move |conn| {
            let until = until.map(db::stored_time);
            let user = service::suspend_user(conn, &admin, &id, &reason, until)?;
            Ok::<_, UsersError>((user, vec![suspended]))
        })
        .await
        .map_err(ApiError::from)
}
