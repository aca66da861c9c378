//! Database access shared by every crate: the pool, migrations, write
//! transactions and the door to the blocking thread pool.

mod conn;

use std::cell::RefCell;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::migration::{Migration, MigrationSource};
use diesel::r2d2::R2D2Connection;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use conn::{DbConn, MultiBackend};

use crate::error::ApiError;

mod migrations;
mod pool;

pub use migrations::*;
pub use pool::*;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `sqlite://PATH` or `sqlite:PATH`.
    Sqlite,
}

impl Backend {
    /// The default pool size for this backend. PostgreSQL: four connections
    /// per core, at least 4. Measured on 2 cores: reads are fastest with few
    /// connections (`GET /auth/me`: 5,900 rps with 16, 7,500-8,300 with 4-8),
    /// writes with more (offers: 1,480 rps with 4, 1,800 with 8), since each
    /// commit waits for the WAL flush and concurrent commits share one.
    /// SQLite: 8, since readers run in parallel under WAL and writers queue
    /// on the database lock anyway.
    pub fn default_pool_size(self) -> u32 {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        match self {
            Backend::Postgres => (4 * cores).max(4),
            Backend::Sqlite => 8,
        }
    }
}

/// Errors of the database layer, before they become API errors.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had from the pool in time (database down or
    /// pool exhausted).
    #[error("database unavailable: {0}")]
    Pool(#[from] r2d2::Error),
    /// Every connection stayed busy for longer than the pool's wait limit.
    #[error("every database connection is busy")]
    Busy,
    /// A query failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// Migrations could not run.
    #[error("migration failed: {0}")]
    Migration(String),
    /// The blocking task panicked or was cancelled.
    #[error("blocking task failed: {0}")]
    Blocking(#[from] tokio::task::JoinError),
}

/// A database URL that names neither PostgreSQL nor SQLite.
#[derive(Debug, thiserror::Error)]
#[error("unsupported database url scheme (expected postgres://, postgresql:// or sqlite://): {0}")]
pub struct UnsupportedUrl(String);

/// Tells the backend from a URL's scheme.
pub fn backend_of(url: &str) -> Result<Backend, UnsupportedUrl> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else {
        Err(UnsupportedUrl(redact_url(url)))
    }
}

/// The file path of a `sqlite://PATH` or `sqlite:PATH` URL.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// A URL with any password replaced, fit for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The backend of a connection.
pub fn backend(conn: &DbConn) -> Backend {
    match conn {
        DbConn::Pg(_) => Backend::Postgres,
        DbConn::Sqlite(_) => Backend::Sqlite,
    }
}

/// A LIKE pattern matching `text` anywhere, with `%`, `_` and `\\` escaped;
/// use it with `.like(pattern).escape('\\')`. Callers lower-case both sides,
/// since LIKE is case-insensitive on SQLite but not on PostgreSQL.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Rows one statement of a retention purge deletes at most; the purge
/// repeats until a batch comes back short, so no lock is held for long.
pub const PURGE_BATCH: i64 = 1000;

/// Runs one purge in batches of [`PURGE_BATCH`] until it comes back short
/// and answers how many rows went; each batch is its own statement, so
/// several instances purging at once only share the work.
pub fn purge_in_batches(
    conn: &mut DbConn,
    mut batch: impl FnMut(&mut DbConn, i64) -> Result<usize, DbError>,
) -> Result<usize, DbError> {
    let mut total = 0;
    loop {
        let purged = batch(conn, PURGE_BATCH)?;
        total += purged;
        if purged < PURGE_BATCH as usize {
            return Ok(total);
        }
    }
}

/// The current time as stored: naive UTC cut to microseconds, which is what
/// PostgreSQL keeps, so values and keyset cursors compare exactly alike on
/// both backends.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    chrono::Utc::now().naive_utc().trunc_subsecs(6)
}

/// A client-given time as stored (see [`now`]).
pub fn stored_time(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    at.naive_utc().trunc_subsecs(6)
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Pool(err) => ApiError::unavailable(err),
            DbError::Busy => ApiError::unavailable(DbError::Busy),
            DbError::Query(err) => ApiError::from(err),
            DbError::Migration(msg) => ApiError::internal(msg),
            DbError::Blocking(err) => ApiError::internal(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::RunQueryDsl;

    #[test]
    fn connections_are_pinged_only_when_idle_or_suspect() {
        let conn = SqliteConnection::establish(":memory:").expect("in-memory sqlite");
        let mut tracked = TrackedConn::new(DbConn::Sqlite(conn));
        let returned = tracked.returned_at;
        assert!(!tracked.needs_ping(returned));
        assert!(!tracked.needs_ping(returned + TRUSTED_FOR / 2));
        assert!(tracked.needs_ping(returned + TRUSTED_FOR));
        tracked.suspect = true;
        assert!(tracked.needs_ping(returned));
    }

    #[test]
    fn a_failed_use_makes_the_next_checkout_ping() {
        let options = PoolOptions {
            size: Some(1),
            ..PoolOptions::default()
        };
        let manager = DbManager::new("sqlite://:memory:").expect("scheme");
        let pool = pool_of(manager.clone(), &options);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let select_one = |conn: &mut DbConn| conn.batch_execute("SELECT 1").map_err(DbError::from);
        runtime.block_on(run(&pool, select_one)).expect("works");
        runtime.block_on(run(&pool, select_one)).expect("works");
        assert_eq!(manager.pings(), 0, "a connection in use is trusted");

        let failed = runtime.block_on(run(&pool, |conn| {
            conn.batch_execute("SELECT missing FROM nowhere")
                .map_err(DbError::from)
        }));
        assert!(failed.is_err());
        runtime.block_on(run(&pool, select_one)).expect("works");
        assert_eq!(manager.pings(), 1, "a failure earns a ping");
        runtime.block_on(run(&pool, select_one)).expect("works");
        assert_eq!(manager.pings(), 1, "the ping cleared the mark");
    }

    fn one_connection_pool(wait_limit: Duration) -> DbPool {
        let options = PoolOptions {
            size: Some(1),
            connect_timeout: wait_limit,
        };
        build_pool("sqlite://:memory:", &options).expect("pool")
    }

    #[tokio::test]
    async fn waiters_are_served_in_arrival_order() {
        let pool = one_connection_pool(Duration::from_secs(5));
        let served = Arc::new(std::sync::Mutex::new(Vec::new()));
        let runs = (0..16_usize).map(|i| {
            let served = Arc::clone(&served);
            run(&pool, move |_conn| {
                std::thread::sleep(Duration::from_millis(5));
                served.lock().map_err(|_| DbError::Busy)?.push(i);
                Ok::<_, DbError>(())
            })
        });
        for result in futures_util::future::join_all(runs).await {
            result.expect("served");
        }
        let served = served.lock().expect("not poisoned").clone();
        // Arrival order, give or take the requests already holding places.
        for (position, index) in served.iter().enumerate() {
            assert!(
                position.abs_diff(*index) <= PLACES_PER_CONNECTION,
                "served out of order: {served:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_wait_longer_than_the_limit_is_busy_and_changes_nothing() {
        let pool = one_connection_pool(Duration::from_millis(100));
        let holder = tokio::spawn({
            let pool = pool.clone();
            async move {
                run(&pool, |_conn| {
                    std::thread::sleep(Duration::from_millis(400));
                    Ok::<_, DbError>(())
                })
                .await
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let waited = run(&pool, |_conn| Ok::<_, DbError>(())).await;
        let err = waited.expect_err("no connection within the limit");
        assert!(
            matches!(err, DbError::Busy | DbError::Pool(_)),
            "got {err:?}"
        );
        assert_eq!(ApiError::from(err).status().as_u16(), 503);
        holder.await.expect("joined").expect("the holder finished");
        run(&pool, |_conn| Ok::<_, DbError>(()))
            .await
            .expect("the place came back");
    }

    #[tokio::test]
    async fn sqlite_writers_take_turns_in_process_and_lose_no_update() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("turns.db").display());
        let pool = build_pool(&url, &PoolOptions::default()).expect("pool");
        run(&pool, |conn| {
            conn.batch_execute(
                "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);",
            )
            .map_err(DbError::from)
        })
        .await
        .expect("created");
        let increments = (0..16).map(|_| {
            run(&pool, |conn| {
                assert!(
                    SQLITE_WRITER.with(|turn| turn.borrow().is_some()),
                    "run hands the writer turn to the thread"
                );
                write_transaction(conn, |conn| {
                    let n: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                        "(SELECT n FROM counter)",
                    ))
                    .get_result(conn)?;
                    std::thread::sleep(Duration::from_millis(5));
                    diesel::sql_query(format!("UPDATE counter SET n = {}", n + 1)).execute(conn)?;
                    Ok::<_, DbError>(())
                })
            })
        });
        for result in futures_util::future::join_all(increments).await {
            result.expect("every writer got its turn");
        }
        let n: i64 = run(&pool, |conn| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT n FROM counter)",
            ))
            .get_result(conn)
            .map_err(DbError::from)
        })
        .await
        .expect("read");
        assert_eq!(n, 16);
        assert!(SQLITE_WRITER.with(|turn| turn.borrow().is_none()));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(contains_pattern("leak"), "%leak%");
    }

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(
            backend_of("postgres://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            backend_of("postgresql://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            backend_of("sqlite://quickfix.db").ok(),
            Some(Backend::Sqlite)
        );
        assert!(backend_of("host=localhost dbname=x").is_err());
        assert!(backend_of("mysql://h/db").is_err());
    }

    #[test]
    fn sqlite_paths_are_taken_from_both_url_forms() {
        assert_eq!(sqlite_path("sqlite://quickfix.db"), "quickfix.db");
        assert_eq!(sqlite_path("sqlite:///var/lib/q.db"), "/var/lib/q.db");
        assert_eq!(sqlite_path("sqlite:data/q.db"), "data/q.db");
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/q"),
            "postgres://app:***@db:5432/q"
        );
        assert_eq!(redact_url("postgres://app@db/q"), "postgres://app@db/q");
        assert_eq!(redact_url("sqlite://q.db"), "sqlite://q.db");
    }

    #[test]
    fn a_wrong_postgres_url_reports_the_real_error() {
        let manager = DbManager::new("postgres://nobody:wrong@127.0.0.1:1/none").expect("scheme");
        let err = r2d2::ManageConnection::connect(&manager)
            .err()
            .expect("connecting to a closed port fails");
        let text = err.to_string();
        assert!(
            !text.contains("multiconnection"),
            "error should come from libpq, got: {text}"
        );
    }
}
