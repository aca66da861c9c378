//! Queries of providers' verification submissions and their files.

use super::*;
use crate::models::{Verification, VerificationFile};
use crate::schema::{verification_files, verifications};

/// Stores a submission with its files.
pub fn insert_verification(
    conn: &mut DbConn,
    verification: &Verification,
    files: &[VerificationFile],
) -> QueryResult<()> {
    diesel::insert_into(verifications::table)
        .values(verification)
        .execute(conn)?;
    // One statement per file (at most five): a multi-row insert is not
    // one statement on both backends here.
    for file in files {
        diesel::insert_into(verification_files::table)
            .values(file)
            .execute(conn)?;
    }
    Ok(())
}

/// A submission by id.
pub fn find_verification(conn: &mut DbConn, id: &str) -> QueryResult<Option<Verification>> {
    verifications::table
        .find(id)
        .select(Verification::as_select())
        .first(conn)
        .optional()
}

/// A provider's latest submission.
pub fn latest_verification(
    conn: &mut DbConn,
    provider_id: &str,
) -> QueryResult<Option<Verification>> {
    verifications::table
        .filter(verifications::provider_id.eq(provider_id))
        .order((verifications::submitted_at.desc(), verifications::id.desc()))
        .select(Verification::as_select())
        .first(conn)
        .optional()
}

/// The files of these submissions, in order (one query for a page).
pub fn files_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<VerificationFile>> {
    verification_files::table
        .filter(verification_files::verification_id.eq_any(ids))
        .order((
            verification_files::verification_id.asc(),
            verification_files::position.asc(),
        ))
        .select(VerificationFile::as_select())
        .load(conn)
}

/// Every file of a provider's submissions (an account deletion).
pub fn files_of_provider(conn: &mut DbConn, provider_id: &str) -> QueryResult<Vec<String>> {
    verification_files::table
        .inner_join(
            verifications::table.on(verifications::id.eq(verification_files::verification_id)),
        )
        .filter(verifications::provider_id.eq(provider_id))
        .select(verification_files::storage_key)
        .load(conn)
}

/// Deletes a provider's submissions and their file rows.
pub fn delete_verifications_of(conn: &mut DbConn, provider_id: &str) -> QueryResult<usize> {
    let ids: Vec<String> = verifications::table
        .filter(verifications::provider_id.eq(provider_id))
        .select(verifications::id)
        .load(conn)?;
    diesel::delete(
        verification_files::table.filter(verification_files::verification_id.eq_any(&ids)),
    )
    .execute(conn)?;
    diesel::delete(verifications::table.filter(verifications::id.eq_any(&ids))).execute(conn)
}

/// The admin queue: submissions in `status` (all without), oldest first
/// after `cursor`.
pub fn list_verifications(
    conn: &mut DbConn,
    status: Option<&str>,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<Verification>> {
    let mut query = verifications::table
        .select(Verification::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(status) = status {
        query = query.filter(verifications::status.eq(status.to_owned()));
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            verifications::submitted_at
                .gt(cursor.at)
                .or(verifications::submitted_at
                    .eq(cursor.at)
                    .and(verifications::id.gt(cursor.id.clone()))),
        );
    }
    query
        .order((verifications::submitted_at.asc(), verifications::id.asc()))
        .limit(limit)
        .load(conn)
}

/// Decides a pending submission; 0 rows when it is no longer pending.
pub fn decide_verification(
    conn: &mut DbConn,
    id: &str,
    status: &str,
    reason: Option<&str>,
    admin: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        verifications::table
            .find(id)
            .filter(verifications::status.eq("pending")),
    )
    .set((
        verifications::status.eq(status),
        verifications::reason.eq(reason),
        verifications::decided_at.eq(Some(now)),
        verifications::decided_by.eq(Some(admin)),
    ))
    .execute(conn)
}

/// What a provider's profile shows of verification (a provider verified
/// stays `verified`).
pub fn set_verification_shown(
    conn: &mut DbConn,
    provider_id: &str,
    shown: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(provider_id)
            .filter(users::verified.eq(false)),
    )
    .set((users::verification.eq(shown), users::updated_at.eq(now)))
    .execute(conn)
}
