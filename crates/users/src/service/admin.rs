//! Admin moderation of accounts, and the counts of admin statistics.

use super::*;
use quickfix_shared::modlog::{self, ModAction, ModEntry};
use quickfix_shared::tasks;

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

/// The scheduler's kind of a suspension's end (subject: the user).
pub const UNSUSPEND_TASK: &str = "user.unsuspend";

/// An admin suspends `id` with `reason` until `until` (`None`: until
/// lifted): the account is inactive and every login ends, in the modlog;
/// its end is scheduled in the same transaction.
pub fn suspend_user(
    conn: &mut DbConn,
    admin: &UserId,
    id: &UserId,
    reason: &str,
    until: Option<NaiveDateTime>,
) -> Result<User, UsersError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        if repo::suspend(conn, id.as_str(), reason, until, at)? == 0 {
            return Err(UsersError::NotFound("user"));
        }
        repo::revoke_all_sessions(conn, id.as_str(), at)?;
        match until {
            Some(until) => tasks::schedule(conn, UNSUSPEND_TASK, id.as_str(), until)?,
            None => {
                tasks::cancel(conn, UNSUSPEND_TASK, id.as_str())?;
            }
        }
        modlog::record(
            conn,
            &ModEntry {
                actor_id: admin.as_str(),
                action: ModAction::SuspendUser,
                target_kind: "user",
                target_id: id.as_str(),
                reason: Some(reason),
            },
        )?;
        get_user(conn, id)
    })
}

/// An admin lifts `id`'s suspension (or deactivation): active again, in
/// the modlog. Lifting an active account changes nothing but the log.
pub fn unsuspend_user(conn: &mut DbConn, admin: &UserId, id: &UserId) -> Result<User, UsersError> {
    db::write_transaction(conn, |conn| {
        if repo::lift_suspension(conn, id.as_str(), now())? == 0 {
            return Err(UsersError::NotFound("user"));
        }
        tasks::cancel(conn, UNSUSPEND_TASK, id.as_str())?;
        modlog::record(
            conn,
            &ModEntry {
                actor_id: admin.as_str(),
                action: ModAction::UnsuspendUser,
                target_kind: "user",
                target_id: id.as_str(),
                reason: None,
            },
        )?;
        get_user(conn, id)
    })
}

/// Ends `id`'s suspension when its time has come (the `user.unsuspend`
/// task); `None` when it was lifted, moved or replaced meanwhile (a later
/// `until` is scheduled again).
pub fn end_suspension(conn: &mut DbConn, id: &str) -> Result<Option<User>, UsersError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        let Some(user) = repo::find_user(conn, id)? else {
            return Ok(None);
        };
        let Some(until) = user.suspended_until.filter(|_| user.suspended_at.is_some()) else {
            return Ok(None);
        };
        if until > at {
            tasks::schedule(conn, UNSUSPEND_TASK, id, until)?;
            return Ok(None);
        }
        repo::lift_suspension(conn, id, at)?;
        Ok(repo::find_user(conn, id)?)
    })
}

/// Users per role, for admin statistics.
pub fn count_by_role(conn: &mut DbConn) -> Result<HashMap<String, i64>, DbError> {
    Ok(repo::count_by_role(conn)?.into_iter().collect())
}
