//! Blocks between users: a user's own list, and who blocked whom for the
//! checks of the other crates (through `AccountDirectory::blockers_of`).

use super::*;

/// `blocker` blocks `blocked`; blocking twice is harmless. Blocking
/// oneself is 409 (a well-formed request the accounts' relation refuses),
/// an unknown or deleted account 404.
pub fn block_user(conn: &mut DbConn, blocker: &UserId, blocked: &UserId) -> Result<(), UsersError> {
    if blocker == blocked {
        return Err(UsersError::Conflict("you cannot block yourself"));
    }
    db::write_transaction(conn, |conn| {
        match repo::find_user(conn, blocked.as_str())? {
            Some(user) if user.deleted_at.is_none() => {}
            _ => return Err(UsersError::NotFound("user")),
        }
        let inserted = diesel::Connection::transaction(conn, |conn| {
            repo::insert_block(conn, blocker.as_str(), blocked.as_str(), now())
        });
        match inserted {
            Ok(_) => Ok(()),
            Err(err) if is_unique_violation(&err) => Ok(()),
            Err(err) => Err(err.into()),
        }
    })
}

/// Lifts a block; lifting one that is not there is harmless.
pub fn unblock_user(
    conn: &mut DbConn,
    blocker: &UserId,
    blocked: &UserId,
) -> Result<(), UsersError> {
    repo::delete_block(conn, blocker.as_str(), blocked.as_str())?;
    Ok(())
}

/// The users `blocker` blocked, most recent first, with when.
pub fn list_blocks(
    conn: &mut DbConn,
    blocker: &UserId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<(NaiveDateTime, User)>, UsersError> {
    let rows = repo::list_blocks(conn, blocker.as_str(), cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |(at, u)| Cursor::new(*at, u.id.clone()),
        |row| row,
    ))
}

/// The users who blocked `user`.
pub fn blockers_of(
    conn: &mut DbConn,
    user: &UserId,
) -> Result<std::collections::HashSet<UserId>, UsersError> {
    Ok(repo::blockers_of(conn, user.as_str())?
        .into_iter()
        .map(UserId::from_db)
        .collect())
}
