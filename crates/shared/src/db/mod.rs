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

/// One crate's migrations, kept in its own folder under the top-level
/// `migrations/<crate>/`: `common/` holds what both backends run; `sqlite/`
/// and `postgres/` only the migrations whose SQL must differ. A crate that
/// leaves the monolith takes its folder along.
pub struct CrateMigrations {
    /// The owning crate (for logs).
    pub owner: &'static str,
    /// Migrations both backends run.
    pub common: EmbeddedMigrations,
    /// Migrations only SQLite runs.
    pub sqlite: Option<EmbeddedMigrations>,
    /// Migrations only PostgreSQL runs.
    pub postgres: Option<EmbeddedMigrations>,
}

/// The tables of this crate (`idempotency_keys` and the outbox's).
pub const MIGRATIONS: CrateMigrations = CrateMigrations {
    owner: "shared",
    common: embed_migrations!("../../migrations/shared/common"),
    sqlite: Some(embed_migrations!("../../migrations/shared/sqlite")),
    postgres: Some(embed_migrations!("../../migrations/shared/postgres")),
};

/// Several crates' migrations for one backend as one source, in version
/// order (versions are unique across crates: they are timestamps).
struct Merged<'a>(Vec<&'a EmbeddedMigrations>);

impl<DB: diesel::backend::Backend> MigrationSource<DB> for Merged<'_> {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<DB>>>> {
        let mut all = Vec::new();
        for set in &self.0 {
            all.extend(MigrationSource::<DB>::migrations(*set)?);
        }
        all.sort_by(|a, b| a.name().version().cmp(&b.name().version()));
        Ok(all)
    }
}

/// The pool every crate shares: r2d2's pool behind a first-come,
/// first-served queue.
///
/// [`run`] takes a place in the queue (an async wait, no thread) before it
/// goes to the blocking thread pool, and there are
/// [`PLACES_PER_CONNECTION`] places per connection. So a burst of requests
/// never parks more than that many blocking threads per connection, and
/// waiters are served in arrival order, where r2d2 alone wakes an arbitrary
/// waiter and lets unlucky requests wait seconds under load.
#[derive(Clone)]
pub struct DbPool {
    pool: r2d2::Pool<DbManager>,
    places: Arc<tokio::sync::Semaphore>,
    wait_limit: Duration,
    sqlite_writer: Option<SqliteWriter>,
}

/// The turn to write to one SQLite database, taken in process by
/// [`write_transaction`] before `BEGIN IMMEDIATE`. Writers then wait on a
/// mutex that wakes the next one the moment the lock is free, instead of in
/// SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and
/// leaves the lock idle between writers. The busy timeout still covers
/// writers in other processes.
type SqliteWriter = Arc<Mutex<()>>;

thread_local! {
    /// The writer turn of the SQLite database whose connection this
    /// thread holds inside [`run`].
    static SQLITE_WRITER: RefCell<Option<SqliteWriter>> = const { RefCell::new(None) };
}

/// Makes `writer` the thread's writer turn until dropped.
struct WriterScope;

impl WriterScope {
    fn enter(writer: Option<SqliteWriter>) -> Self {
        SQLITE_WRITER.with(|current| *current.borrow_mut() = writer);
        WriterScope
    }
}

impl Drop for WriterScope {
    fn drop(&mut self) {
        SQLITE_WRITER.with(|current| current.borrow_mut().take());
    }
}

/// Places in [`DbPool`]'s queue per connection: one using it, one waiting
/// on a blocking thread to take it the moment it is free. With one place
/// per connection, each connection idled while the next request moved to
/// its thread: offers on PostgreSQL fell 12 % against no queue; with two,
/// 4 %, with the queue's shorter tail kept.
const PLACES_PER_CONNECTION: usize = 2;

impl DbPool {
    fn new(pool: r2d2::Pool<DbManager>, backend: Backend, wait_limit: Duration) -> Self {
        let places = Arc::new(tokio::sync::Semaphore::new(
            PLACES_PER_CONNECTION * pool.max_size() as usize,
        ));
        let sqlite_writer = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Self {
            pool,
            places,
            wait_limit,
            sqlite_writer,
        }
    }
}

impl std::ops::Deref for DbPool {
    type Target = r2d2::Pool<DbManager>;
    fn deref(&self) -> &Self::Target {
        &self.pool
    }
}
/// A connection checked out of the pool.
pub type PooledConn = r2d2::PooledConnection<DbManager>;

/// How long after its last clean use a pooled connection is handed out
/// without a liveness ping (HikariCP's "alive bypass window"). Under load
/// connections come back within milliseconds, so the ping, a round trip per
/// request, disappears; a connection idle for longer, or whose last use
/// failed, is pinged first and replaced when the ping fails.
pub const TRUSTED_FOR: Duration = Duration::from_millis(500);

/// A pooled connection and what the pool knows of its health.
pub struct TrackedConn {
    conn: DbConn,
    /// When the connection last went back to the pool.
    returned_at: Instant,
    /// The last piece of work on it failed, so the failure may have been the
    /// connection itself.
    suspect: bool,
}

impl TrackedConn {
    fn new(conn: DbConn) -> Self {
        Self {
            conn,
            returned_at: Instant::now(),
            suspect: false,
        }
    }

    /// Whether the connection must be pinged before it is handed out.
    fn needs_ping(&self, now: Instant) -> bool {
        self.suspect || now.saturating_duration_since(self.returned_at) >= TRUSTED_FOR
    }
}

impl std::ops::Deref for TrackedConn {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for TrackedConn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

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

/// An r2d2 connection manager that picks the backend from the URL scheme and
/// keeps the real connection error (a wrong password says so), unlike the
/// derived `establish`, which tries both backends and loses both errors.
#[derive(Debug, Clone)]
pub struct DbManager {
    url: String,
    backend: Backend,
    pings: Arc<AtomicU64>,
}

impl DbManager {
    /// A manager for `url`, or an error when its scheme is unknown.
    pub fn new(url: &str) -> Result<Self, UnsupportedUrl> {
        Ok(Self {
            url: url.to_owned(),
            backend: backend_of(url)?,
            pings: Arc::default(),
        })
    }

    /// How many liveness pings checkouts have sent so far.
    pub fn pings(&self) -> u64 {
        self.pings.load(Ordering::Relaxed)
    }

    /// The backend this manager connects to.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl r2d2::ManageConnection for DbManager {
    type Connection = TrackedConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<TrackedConn, Self::Error> {
        self.establish().map(TrackedConn::new)
    }

    /// Pings only connections that are suspect or idle for longer than
    /// [`TRUSTED_FOR`].
    fn is_valid(&self, conn: &mut TrackedConn) -> Result<(), Self::Error> {
        if !conn.needs_ping(Instant::now()) {
            return Ok(());
        }
        self.pings.fetch_add(1, Ordering::Relaxed);
        conn.conn.ping().map_err(diesel::r2d2::Error::QueryError)?;
        conn.suspect = false;
        Ok(())
    }

    /// Called as the connection goes back to the pool: drops it when a
    /// transaction was left broken, and starts its trusted window otherwise.
    fn has_broken(&self, conn: &mut TrackedConn) -> bool {
        if std::thread::panicking() || conn.conn.is_broken() {
            return true;
        }
        conn.returned_at = Instant::now();
        false
    }
}

impl DbManager {
    fn establish(&self) -> Result<DbConn, diesel::r2d2::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(DbConn::Pg)
                .map_err(diesel::r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let path = sqlite_path(&self.url);
                if let Some(parent) = Path::new(path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent).map_err(|err| {
                        diesel::r2d2::Error::ConnectionError(
                            diesel::ConnectionError::BadConnection(format!(
                                "cannot create {}: {err}",
                                parent.display()
                            )),
                        )
                    })?;
                }
                let mut conn = SqliteConnection::establish(path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // busy_timeout first, so that switching to WAL waits for other writers.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// How the pool is built.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Maximum connections; `None` picks the backend's default.
    pub size: Option<u32>,
    /// How long a request waits for a connection before it gets 503.
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            size: None,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Builds the pool without connecting; connections are made on demand, so a
/// database that is down at start or later comes back without a restart.
/// Checkouts ping only connections that are idle or suspect (see
/// [`TRUSTED_FOR`]).
pub fn build_pool(url: &str, options: &PoolOptions) -> Result<DbPool, UnsupportedUrl> {
    Ok(pool_of(DbManager::new(url)?, options))
}

fn pool_of(manager: DbManager, options: &PoolOptions) -> DbPool {
    let size = options
        .size
        .unwrap_or_else(|| manager.backend().default_pool_size());
    let backend = manager.backend();
    let pool = r2d2::Pool::builder()
        .max_size(size.max(1))
        .min_idle(Some(0))
        .connection_timeout(options.connect_timeout)
        .test_on_check_out(true)
        .build_unchecked(manager);
    DbPool::new(pool, backend, options.connect_timeout)
}

/// The backend of a connection.
pub fn backend(conn: &DbConn) -> Backend {
    match conn {
        DbConn::Pg(_) => Backend::Postgres,
        DbConn::Sqlite(_) => Backend::Sqlite,
    }
}

/// Applies the crates' pending migrations for the connection's backend, in
/// version order, and returns their versions. On PostgreSQL an advisory
/// lock keeps two instances starting together from migrating at once.
pub fn run_migrations(
    conn: &mut DbConn,
    crates: &[CrateMigrations],
) -> Result<Vec<String>, DbError> {
    const MIGRATION_LOCK: i64 = 0x5155_4943_4b46_4958; // "QUICKFIX"
    let is_pg = matches!(conn, DbConn::Pg(_));
    let migrations = Merged(
        crates
            .iter()
            .flat_map(|set| {
                let own = if is_pg { &set.postgres } else { &set.sqlite };
                std::iter::once(&set.common).chain(own.as_ref())
            })
            .collect(),
    );
    if is_pg {
        conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
    }
    let result = conn
        .run_pending_migrations(migrations)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|err| DbError::Migration(err.to_string()));
    if is_pg {
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
    }
    result
}

/// Runs `f` in a transaction that takes the write lock up front.
///
/// On SQLite this is `BEGIN IMMEDIATE`: a deferred transaction that reads and
/// then writes fails at once with `SQLITE_BUSY` when another writer got there
/// first, while an immediate one waits its turn: inside [`run`] first on the
/// database's in-process writer turn, then on the busy timeout. On PostgreSQL
/// it is an ordinary transaction; correctness there comes from constraints
/// and conditional updates. Nested calls become savepoints on both.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let outermost_sqlite = match conn {
        DbConn::Sqlite(inner) => AnsiTransactionManager::transaction_manager_status_mut(inner)
            .transaction_depth()?
            .is_none(),
        DbConn::Pg(_) => false,
    };
    if !outermost_sqlite {
        return conn.transaction(f);
    }
    let writer = SQLITE_WRITER.with(|current| current.borrow().clone());
    let _turn = writer
        .as_ref()
        .map(|turn| turn.lock().unwrap_or_else(PoisonError::into_inner));
    if let DbConn::Sqlite(inner) = conn {
        AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    }
    let result = f(conn);
    let DbConn::Sqlite(inner) = conn else {
        unreachable!("the connection's backend does not change")
    };
    match result {
        Ok(value) => match AnsiTransactionManager::commit_transaction(inner) {
            Ok(()) => Ok(value),
            Err(err) => {
                // A failed COMMIT leaves the transaction open on SQLite; close it.
                let _ = AnsiTransactionManager::rollback_transaction(inner);
                Err(err.into())
            }
        },
        Err(err) => {
            AnsiTransactionManager::rollback_transaction(inner)?;
            Err(err)
        }
    }
}

/// Runs synchronous database work on the blocking thread pool, inside the
/// caller's tracing span, with a connection from the pool.
///
/// Services are synchronous and own their transactions; handlers call them
/// through this door so Diesel never blocks the async executor.
pub async fn run<T, E, F>(pool: &DbPool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let place = tokio::time::timeout(pool.wait_limit, Arc::clone(&pool.places).acquire_owned())
        .await
        .map_err(|_| DbError::Busy)?
        .map_err(|_| DbError::Busy)?;
    let writer = pool.sqlite_writer.clone();
    let pool = pool.pool.clone();
    blocking(move || {
        let _place = place;
        let _writer = WriterScope::enter(writer);
        let mut conn = pool.get().map_err(DbError::Pool)?;
        let result = work(&mut conn.conn);
        if result.is_err() {
            conn.suspect = true;
        }
        result
    })
    .await
    .map_err(E::from)?
}

/// Runs any blocking closure (bcrypt, file I/O) on the blocking thread pool
/// inside the caller's tracing span.
pub async fn blocking<T, F>(work: F) -> Result<T, DbError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    Ok(tokio::task::spawn_blocking(move || span.in_scope(work)).await?)
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

/// Answers whether the database responds; used by `/ready`.
pub async fn ping(pool: &DbPool) -> Result<(), DbError> {
    run(pool, |conn| {
        conn.batch_execute("SELECT 1").map_err(DbError::from)
    })
    .await
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
