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

/// A verification document as uploaded.
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// The name it was uploaded under.
    pub filename: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The types a verification document may have, read from its bytes.
const DOCUMENT_TYPES: &[&str] = &["image/png", "image/jpeg", "application/pdf"];

/// 422 unless every document is a PNG, JPEG or PDF (read from the bytes).
pub fn check_documents(files: &[Uploaded]) -> Result<(), ApiError> {
    for (n, file) in files.iter().enumerate() {
        if document_type(&file.bytes).is_none() {
            return Err(UsersError::invalid(
                "files",
                &format!("file {} must be a PNG, JPEG or PDF", n + 1),
            )
            .into());
        }
    }
    Ok(())
}

fn document_type(bytes: &[u8]) -> Option<quickfix_shared::storage::Sniffed> {
    quickfix_shared::storage::sniff(bytes).filter(|s| DOCUMENT_TYPES.contains(&s.mime))
}

/// Stores a provider's verification documents privately and records the
/// submission as pending (409 while one is pending); files stored for a
/// submission that was not recorded are removed again.
pub async fn submit_verification(
    pool: &DbPool,
    storage: &quickfix_shared::storage::SharedStorage,
    provider: UserId,
    uploaded: Vec<Uploaded>,
) -> Result<service::VerificationWithFiles, ApiError> {
    check_documents(&uploaded)?;
    let mut files: Vec<service::SubmittedFile> = Vec::with_capacity(uploaded.len());
    for file in uploaded {
        let kind = document_type(&file.bytes).ok_or_else(|| ApiError::internal("checked"))?;
        let key = quickfix_shared::storage::new_key("verifications", kind.extension);
        let store = storage.clone();
        let (put_key, size) = (key.clone(), file.bytes.len());
        let stored = db::blocking(move || store.put(&put_key, &file.bytes)).await;
        if !matches!(stored, Ok(Ok(()))) {
            discard(
                storage,
                files.iter().map(|f| f.storage_key.clone()).collect(),
            )
            .await;
            return Err(ApiError::internal(
                "a verification file could not be stored",
            ));
        }
        files.push(service::SubmittedFile {
            storage_key: key,
            filename: file.filename,
            content_type: kind.mime.to_owned(),
            size: i64::try_from(size).unwrap_or(i64::MAX),
        });
    }
    let keys: Vec<String> = files.iter().map(|f| f.storage_key.clone()).collect();
    let submitted = db::run(pool, move |conn| {
        service::submit_verification(conn, &provider, &files)
    })
    .await;
    match submitted {
        Ok(done) => Ok(done),
        Err(err) => {
            discard(storage, keys).await;
            Err(err.into())
        }
    }
}

/// Removes stored files whose submission was not recorded.
async fn discard(storage: &quickfix_shared::storage::SharedStorage, keys: Vec<String>) {
    for key in keys {
        let store = storage.clone();
        let _ = db::blocking(move || store.delete(&key)).await;
    }
}

/// Files `reporter`'s report of a target they can see (the owning crate
/// answers, with a snapshot; else 404), or answers their open one of the
/// same target; answers whether this call made it.
pub async fn file_report(
    pool: &DbPool,
    sources: &[std::sync::Arc<dyn quickfix_shared::moderation::Moderated>],
    reporter: quickfix_shared::auth::AuthUser,
    request: crate::dto::CreateReportRequest,
) -> Result<(crate::models::Report, bool), ApiError> {
    let kind = request.target.kind;
    let snapshot = quickfix_shared::moderation::source_of(sources, kind)?
        .snapshot(kind, request.target.id.clone(), reporter.clone())
        .await?
        .ok_or_else(|| ApiError::not_found(kind.as_str()))?;
    let new = service::NewReport {
        kind,
        target_id: request.target.id,
        snapshot,
        reason: request.reason.as_str(),
        note: request.note.map(|n| n.trim().to_owned()),
    };
    db::run(pool, move |conn| {
        service::file_report(conn, &reporter.id, &new)
    })
    .await
    .map_err(ApiError::from)
}

/// An admin closes an open report without touching its target: resolved
/// with action `none`, or dismissed (`resolve` false); in the modlog.
pub async fn close_report(
    pool: &DbPool,
    admin: UserId,
    id: String,
    resolve: bool,
    note: String,
) -> Result<crate::models::Report, ApiError> {
    let action = resolve.then_some("none");
    db::run(pool, move |conn| {
        service::close_report(conn, &admin, &id, action, &note)
    })
    .await
    .map_err(ApiError::from)
}
