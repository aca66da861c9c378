//! A customer's favourite providers.

use super::*;

/// Remembers a favourite provider; adding twice is harmless.
pub fn add_favorite(
    conn: &mut DbConn,
    customer: &UserId,
    provider: &UserId,
) -> Result<(), UsersError> {
    db::write_transaction(conn, |conn| {
        public_provider(conn, provider)?;
        let row = Favorite {
            customer_id: customer.to_string(),
            provider_id: provider.to_string(),
            created_at: now(),
        };
        match diesel::Connection::transaction(conn, |conn| repo::insert_favorite(conn, &row)) {
            Ok(_) => Ok(()),
            Err(err) if is_unique_violation(&err) => Ok(()),
            Err(err) => Err(err.into()),
        }
    })
}

/// Forgets a favourite provider; removing twice is harmless.
pub fn remove_favorite(
    conn: &mut DbConn,
    customer: &UserId,
    provider: &UserId,
) -> Result<(), UsersError> {
    repo::delete_favorite(conn, customer.as_str(), provider.as_str())?;
    Ok(())
}

/// The customer's favourite providers, most recently added first.
pub fn list_favorites(
    conn: &mut DbConn,
    customer: &UserId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<User>, UsersError> {
    let rows = repo::list_favorites(conn, customer.as_str(), cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |(at, u)| Cursor::new(*at, u.id.clone()),
        |(_, u)| u,
    ))
}
