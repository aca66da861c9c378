//! Admin moderation of accounts, and the counts of admin statistics.

use super::*;
use quickfix_shared::modlog::{self, ModAction, ModEntry};

/// The admin user list.
pub fn admin_list_users(
    conn: &mut DbConn,
    filter: &UserFilter,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<User>, UsersError> {
    let rows = repo::list_users(conn, filter, cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |u| Cursor::new(u.created_at, u.id.clone()),
        |u| u,
    ))
}

/// Activates or deactivates a user; deactivation also ends every login.
pub fn admin_set_active(
    conn: &mut DbConn,
    admin: &UserId,
    id: &UserId,
    active: bool,
) -> Result<User, UsersError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        if repo::set_active(conn, id.as_str(), active, at)? == 0 {
            return Err(UsersError::NotFound("user"));
        }
        modlog::record(
            conn,
            &ModEntry {
                actor_id: admin.as_str(),
                action: ModAction::SetUserActive,
                target_kind: "user",
                target_id: id.as_str(),
                reason: Some(if active { "activated" } else { "deactivated" }),
            },
        )?;
        if !active {
            repo::revoke_all_sessions(conn, id.as_str(), at)?;
        }
        get_user(conn, id)
    })
}

/// Marks a provider verified (an account made verified, `seed`); 404 when
/// the id is not a provider's.
pub fn mark_verified(conn: &mut DbConn, id: &UserId) -> Result<(), UsersError> {
    if repo::set_verified(conn, id.as_str(), now())? == 0 {
        return Err(UsersError::NotFound("provider"));
    }
    Ok(())
}

/// An admin marks a provider verified, in the modlog; 404 when the id is
/// not a provider's.
pub fn admin_verify_provider(
    conn: &mut DbConn,
    admin: &UserId,
    id: &UserId,
) -> Result<User, UsersError> {
    db::write_transaction(conn, |conn| {
        mark_verified(conn, id)?;
        modlog::record(
            conn,
            &ModEntry {
                actor_id: admin.as_str(),
                action: ModAction::VerifyProvider,
                target_kind: "user",
                target_id: id.as_str(),
                reason: None,
            },
        )?;
        get_user(conn, id)
    })
}

/// Users per role, for admin statistics.
pub fn count_by_role(conn: &mut DbConn) -> Result<HashMap<String, i64>, DbError> {
    Ok(repo::count_by_role(conn)?.into_iter().collect())
}
