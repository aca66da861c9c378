//! `Idempotency-Key` for creating POSTs: the same key from the same caller
//! within 24 hours replays the first answer (status and body) without doing
//! the work again; the same key with a different request is 422
//! (`idempotency_key_reused`); a duplicate arriving while the first is still
//! running waits for it a little, then gets 409 (`idempotency_key_in_progress`).
//!
//! Answers of 5xx are not kept, so a retry after an outage does the work.

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, LOCATION};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{self, DbConn, DbError, DbPool};
use crate::error::{ApiError, ErrorCode, PROBLEM_JSON, is_unique_violation};
use crate::schema::idempotency_keys;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header set on a replayed answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a key is remembered.
pub const RETENTION: chrono::Duration = chrono::Duration::hours(24);
/// After this long a pending key is taken to belong to a crashed request.
const STALE_PENDING: chrono::Duration = chrono::Duration::seconds(60);
/// How long a duplicate waits for the first request before 409.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(5);

/// The longest `Idempotency-Key`, in visible ASCII characters.
pub const MAX_KEY_LEN: usize = 255;

/// The optional `Idempotency-Key` header of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = match req.headers().get(HEADER) {
            None => Ok(IdempotencyKey(None)),
            Some(value) => match value.to_str() {
                Ok(key)
                    if !key.is_empty()
                        && key.len() <= MAX_KEY_LEN
                        && key.bytes().all(|b| b.is_ascii_graphic()) =>
                {
                    Ok(IdempotencyKey(Some(key.to_owned())))
                }
                _ => Err(ApiError::invalid_field(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters (no spaces)",
                )),
            },
        };
        std::future::ready(key)
    }
}

/// A request's fingerprint: what must be equal for a replay.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A record's state: the first request still runs, or its answer is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyState {
    Pending,
    Done,
}

impl KeyState {
    /// The stored name.
    fn as_str(self) -> &'static str {
        match self {
            KeyState::Pending => "pending",
            KeyState::Done => "done",
        }
    }

    /// Parses the stored name.
    fn parse(raw: &str) -> Option<Self> {
        [KeyState::Pending, KeyState::Done]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Queryable)]
struct StoredKey {
    request_hash: String,
    state: String,
    response_status: Option<i32>,
    response_body: Option<String>,
    created_at: NaiveDateTime,
}

enum Claim {
    Mine,
    Replay { status: u16, body: String },
    Reused,
    InProgress,
}

/// What [`run_once_stored`] answers.
#[derive(Debug)]
pub enum Stored<T> {
    /// The work ran now and produced this.
    Fresh(StatusCode, T),
    /// An earlier request with the key answered this (status, JSON body).
    Replayed(StatusCode, String),
}

/// Runs `work` at most once per (scope, key): the first answer is stored and
/// replayed to repeats. `scope` is the caller (a user id, or a fixed scope
/// for anonymous calls); `request` fingerprints what was asked.
pub async fn run_once<T, F, Fut>(
    pool: &DbPool,
    key: &IdempotencyKey,
    scope: &str,
    request: String,
    locate: Locate,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, T), ApiError>>,
{
    let (mut response, location) = match run_once_stored(pool, key, scope, request, work).await? {
        Stored::Fresh(status, body) => {
            let json = serde_json::to_value(&body).map_err(ApiError::internal)?;
            let location = (status == StatusCode::CREATED)
                .then(|| locate(&json))
                .flatten();
            (HttpResponse::build(status).json(json), location)
        }
        Stored::Replayed(status, body) => {
            let location = (status == StatusCode::CREATED)
                .then(|| serde_json::from_str(&body).ok())
                .flatten()
                .and_then(|json| locate(&json));
            (replay(status, body), location)
        }
    };
    if let Some(value) = location.and_then(|url| HeaderValue::from_str(&url).ok()) {
        response.headers_mut().insert(LOCATION, value);
    }
    Ok(response)
}

/// Where a created resource lives, read from the 201's JSON: the
/// `Location` header of a fresh answer and of its replays alike.
pub type Locate = fn(&serde_json::Value) -> Option<String>;

/// Like [`run_once`], but hands the answer back instead of rendering it, for
/// handlers whose stored answer is not the whole response (register keeps
/// no tokens in the store and mints fresh ones on a replay).
pub async fn run_once_stored<T, F, Fut>(
    pool: &DbPool,
    key: &IdempotencyKey,
    scope: &str,
    request: String,
    work: F,
) -> Result<Stored<T>, ApiError>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, T), ApiError>>,
{
    let Some(key) = key.0.clone() else {
        let (status, body) = work().await?;
        return Ok(Stored::Fresh(status, body));
    };
    let scope = scope.to_owned();
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    loop {
        let claim = {
            let (scope, key, request) = (scope.clone(), key.clone(), request.clone());
            db::run(pool, move |conn| claim(conn, &scope, &key, &request)).await?
        };
        match claim {
            Claim::Mine => break,
            Claim::Replay { status, body } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                return Ok(Stored::Replayed(status, body));
            }
            Claim::Reused => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::IdempotencyKeyReused,
                    "this Idempotency-Key was used for a different request",
                ));
            }
            Claim::InProgress if tokio::time::Instant::now() >= deadline => {
                return Err(ApiError::conflict(
                    ErrorCode::IdempotencyKeyInProgress,
                    "a request with this Idempotency-Key is still running",
                ));
            }
            Claim::InProgress => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }

    let outcome = work().await;
    let stored = match &outcome {
        Ok((status, body)) => Some((
            status.as_u16(),
            serde_json::to_string(body).map_err(ApiError::internal)?,
        )),
        Err(err) if err.status().is_client_error() => Some((
            err.status().as_u16(),
            serde_json::to_string(&err.problem()).map_err(ApiError::internal)?,
        )),
        Err(_) => None,
    };
    let finish = {
        let (scope, key) = (scope.clone(), key.clone());
        db::run(pool, move |conn| finish(conn, &scope, &key, stored)).await
    };
    if let Err(err) = finish {
        tracing::warn!(error = %err, "could not record the idempotent answer");
    }
    let (status, body) = outcome?;
    Ok(Stored::Fresh(status, body))
}

/// The response replaying a stored answer.
pub fn replay(status: StatusCode, body: String) -> HttpResponse {
    let content_type = if status.is_success() {
        "application/json"
    } else {
        PROBLEM_JSON
    };
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((REPLAYED_HEADER, "true"))
        .body(body)
}

fn claim(conn: &mut DbConn, scope: &str, key: &str, request: &str) -> Result<Claim, DbError> {
    use idempotency_keys::dsl as k;
    let now = db::now();
    db::write_transaction(conn, |conn| {
        // A savepoint, so a unique violation leaves the transaction usable on
        // PostgreSQL.
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(k::idempotency_keys)
                .values((
                    k::scope.eq(scope),
                    k::key.eq(key),
                    k::request_hash.eq(request),
                    k::state.eq(KeyState::Pending.as_str()),
                    k::created_at.eq(now),
                ))
                .execute(conn)
        });
        match inserted {
            Ok(_) => return Ok(Claim::Mine),
            Err(err) if is_unique_violation(&err) => {}
            Err(err) => return Err(DbError::from(err)),
        }
        let stored: StoredKey = k::idempotency_keys
            .filter(k::scope.eq(scope).and(k::key.eq(key)))
            .select((
                k::request_hash,
                k::state,
                k::response_status,
                k::response_body,
                k::created_at,
            ))
            .first(conn)?;
        let expired = stored.created_at < now - RETENTION;
        let state = KeyState::parse(&stored.state);
        let stale = state == Some(KeyState::Pending) && stored.created_at < now - STALE_PENDING;
        if expired || stale {
            diesel::update(k::idempotency_keys.filter(k::scope.eq(scope).and(k::key.eq(key))))
                .set((
                    k::request_hash.eq(request),
                    k::state.eq(KeyState::Pending.as_str()),
                    k::response_status.eq(None::<i32>),
                    k::response_body.eq(None::<String>),
                    k::created_at.eq(now),
                ))
                .execute(conn)?;
            return Ok(Claim::Mine);
        }
        if stored.request_hash != request {
            return Ok(Claim::Reused);
        }
        match (state, stored.response_status, stored.response_body) {
            (Some(KeyState::Done), Some(status), Some(body)) => Ok(Claim::Replay {
                status: u16::try_from(status).unwrap_or(200),
                body,
            }),
            _ => Ok(Claim::InProgress),
        }
    })
}

fn finish(
    conn: &mut DbConn,
    scope: &str,
    key: &str,
    stored: Option<(u16, String)>,
) -> Result<(), DbError> {
    use idempotency_keys::dsl as k;
    let target = k::idempotency_keys.filter(k::scope.eq(scope).and(k::key.eq(key)));
    match stored {
        Some((status, body)) => {
            diesel::update(target)
                .set((
                    k::state.eq(KeyState::Done.as_str()),
                    k::response_status.eq(i32::from(status)),
                    k::response_body.eq(body),
                ))
                .execute(conn)?;
        }
        None => {
            diesel::delete(target).execute(conn)?;
        }
    }
    Ok(())
}

/// Deletes at most `batch` records older than `retention` (the purge runs
/// it again until fewer come back, so no statement holds locks for long);
/// safe with several instances purging at once.
pub fn purge_older_than(
    conn: &mut DbConn,
    retention: chrono::Duration,
    batch: i64,
) -> Result<usize, DbError> {
    use idempotency_keys::dsl as k;
    let cutoff = db::now() - retention;
    // The batch ends at the `batch`-th oldest record's time (ties may add
    // a few), found on the created_at index.
    let boundary: Option<chrono::NaiveDateTime> = k::idempotency_keys
        .filter(k::created_at.lt(cutoff))
        .order(k::created_at.asc())
        .offset(batch.max(1) - 1)
        .select(k::created_at)
        .first(conn)
        .optional()?;
    let upto = boundary.map_or(cutoff, |at| at + chrono::Duration::microseconds(1));
    Ok(diesel::delete(
        k::idempotency_keys
            .filter(k::created_at.lt(cutoff))
            .filter(k::created_at.lt(upto)),
    )
    .execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_separate_their_parts() {
        assert_ne!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"a", b"bc"]));
        assert_eq!(fingerprint(&[b"x"]), fingerprint(&[b"x"]));
    }
}
