//! Provider verification documents: a provider submits files, an admin
//! approves (the profile becomes verified) or rejects with a reason. One
//! submission is pending per provider at a time; the files are private to
//! the provider and admins.

use super::*;
use crate::models::{Verification, VerificationFile};
use quickfix_shared::modlog::{self, ModAction, ModEntry};

/// A file of a submission, stored already under `storage_key`.
#[derive(Debug, Clone)]
pub struct SubmittedFile {
    /// Where the bytes are.
    pub storage_key: String,
    /// The uploaded name.
    pub filename: String,
    /// The type read from the bytes.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
}

/// A submission with its files.
pub type VerificationWithFiles = (Verification, Vec<VerificationFile>);

/// Stores a provider's submission as pending; another pending one is 409.
pub fn submit_verification(
    conn: &mut DbConn,
    provider: &UserId,
    files: &[SubmittedFile],
) -> Result<VerificationWithFiles, UsersError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        let verification = Verification {
            id: uuid::Uuid::now_v7().to_string(),
            provider_id: provider.to_string(),
            status: "pending".to_owned(),
            reason: None,
            submitted_at: at,
            decided_at: None,
            decided_by: None,
        };
        let rows: Vec<VerificationFile> = files
            .iter()
            .enumerate()
            .map(|(n, file)| VerificationFile {
                id: uuid::Uuid::now_v7().to_string(),
                verification_id: verification.id.clone(),
                position: i32::try_from(n).unwrap_or(i32::MAX),
                storage_key: file.storage_key.clone(),
                filename: file.filename.clone(),
                content_type: file.content_type.clone(),
                size: file.size,
            })
            .collect();
        let stored = diesel::Connection::transaction(conn, |conn| {
            repo::insert_verification(conn, &verification, &rows)
        });
        match stored {
            Ok(()) => {}
            Err(err) if is_unique_violation(&err) => {
                return Err(UsersError::Conflict(
                    "a verification is pending; wait for its decision",
                ));
            }
            Err(err) => return Err(err.into()),
        }
        repo::set_verification_shown(conn, provider.as_str(), "pending", at)?;
        Ok((verification, rows))
    })
}

/// A provider's latest submission with its files.
pub fn latest_verification(
    conn: &mut DbConn,
    provider: &UserId,
) -> Result<VerificationWithFiles, UsersError> {
    let verification = repo::latest_verification(conn, provider.as_str())?
        .ok_or(UsersError::NotFound("verification"))?;
    let files = repo::files_of(conn, std::slice::from_ref(&verification.id))?;
    Ok((verification, files))
}

/// A file of a submission, for its provider and admins (anyone else: 404).
pub fn verification_file(
    conn: &mut DbConn,
    viewer: &quickfix_shared::auth::AuthUser,
    verification_id: &str,
    file_id: &str,
) -> Result<VerificationFile, UsersError> {
    let verification = repo::find_verification(conn, verification_id)?
        .filter(|v| viewer.role == Role::Admin || v.provider_id == viewer.id.as_str())
        .ok_or(UsersError::NotFound("file"))?;
    repo::files_of(conn, std::slice::from_ref(&verification.id))?
        .into_iter()
        .find(|f| f.id == file_id)
        .ok_or(UsersError::NotFound("file"))
}

/// The admin queue, oldest first, each with its files (two queries).
pub fn admin_list_verifications(
    conn: &mut DbConn,
    status: Option<&str>,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<VerificationWithFiles>, UsersError> {
    let rows = repo::list_verifications(conn, status, cursor, i64::from(limit) + 1)?;
    let ids: Vec<String> = rows.iter().map(|v| v.id.clone()).collect();
    let mut files: HashMap<String, Vec<VerificationFile>> = HashMap::new();
    for file in repo::files_of(conn, &ids)? {
        files
            .entry(file.verification_id.clone())
            .or_default()
            .push(file);
    }
    Ok(Page::from_rows(
        rows,
        limit,
        |v| Cursor::new(v.submitted_at, v.id.clone()),
        |v| {
            let of = files.remove(&v.id).unwrap_or_default();
            (v, of)
        },
    ))
}

/// An admin approves a pending submission: the provider is verified; in
/// the modlog. Decided already: 409.
pub fn approve_verification(
    conn: &mut DbConn,
    admin: &UserId,
    id: &str,
) -> Result<VerificationWithFiles, UsersError> {
    decide(conn, admin, id, None)
}

/// An admin rejects a pending submission with a reason; in the modlog.
/// Decided already: 409.
pub fn reject_verification(
    conn: &mut DbConn,
    admin: &UserId,
    id: &str,
    reason: &str,
) -> Result<VerificationWithFiles, UsersError> {
    decide(conn, admin, id, Some(reason))
}

/// Approves (`reason` none) or rejects a pending submission.
fn decide(
    conn: &mut DbConn,
    admin: &UserId,
    id: &str,
    rejection: Option<&str>,
) -> Result<VerificationWithFiles, UsersError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        let verification =
            repo::find_verification(conn, id)?.ok_or(UsersError::NotFound("verification"))?;
        let (status, action) = match rejection {
            None => ("approved", ModAction::ApproveVerification),
            Some(_) => ("rejected", ModAction::RejectVerification),
        };
        if repo::decide_verification(conn, id, status, rejection, admin.as_str(), at)? == 0 {
            return Err(UsersError::Conflict(
                "this verification was decided already",
            ));
        }
        match rejection {
            None => {
                repo::set_verified(conn, &verification.provider_id, at)?;
            }
            Some(_) => {
                repo::set_verification_shown(conn, &verification.provider_id, "rejected", at)?;
            }
        }
        modlog::record(
            conn,
            &ModEntry {
                actor_id: admin.as_str(),
                action,
                target_kind: "verification",
                target_id: id,
                reason: rejection,
            },
        )?;
        let decided =
            repo::find_verification(conn, id)?.ok_or(UsersError::NotFound("verification"))?;
        let files = repo::files_of(conn, std::slice::from_ref(&decided.id))?;
        Ok((decided, files))
    })
}
