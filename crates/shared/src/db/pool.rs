//! The pool and the ways to use it: r2d2 behind a fair first-come queue,
//! connections pinged only when idle or after a failure, write transactions
//! (one SQLite writer at a time), and the door to the blocking thread pool.

use super::*;

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
    pub(super) static SQLITE_WRITER: RefCell<Option<SqliteWriter>> = const { RefCell::new(None) };
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
pub(super) const PLACES_PER_CONNECTION: usize = 2;

impl DbPool {
    pub(super) fn new(pool: r2d2::Pool<DbManager>, backend: Backend, wait_limit: Duration) -> Self {
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
    pub(super) returned_at: Instant,
    /// The last piece of work on it failed, so the failure may have been the
    /// connection itself.
    pub(super) suspect: bool,
}

impl TrackedConn {
    pub(super) fn new(conn: DbConn) -> Self {
        Self {
            conn,
            returned_at: Instant::now(),
            suspect: false,
        }
    }

    /// Whether the connection must be pinged before it is handed out.
    pub(super) fn needs_ping(&self, now: Instant) -> bool {
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

pub(super) fn pool_of(manager: DbManager, options: &PoolOptions) -> DbPool {
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

/// Runs `f` in a transaction that takes the write lock up front.
///
/// On SQLite this is `BEGIN IMMEDIATE`: a deferred transaction that reads and
/// then writes fails at once with `SQLITE_BUSY` when another writer got there
/// first, while an immediate one waits its turn: inside [`run`] first on the
/// database's in-process writer turn, then on the busy timeout. On PostgreSQL
/// it is an ordinary transaction; correctness there comes from constraints
/// and conditional updates.
///
/// Called inside a transaction (a service's rules inside the relay's
/// transaction that stores their events), `f` joins it: no savepoint, two
/// statements fewer per request. Its error must then end the outer
/// transaction too, which every caller's `?` does; work that must survive
/// an error of its own (a racing insert's unique violation) takes an
/// explicit savepoint with `conn.transaction`.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let depth = match conn {
        DbConn::Sqlite(inner) => {
            AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth()?
        }
        DbConn::Pg(inner) => {
            AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth()?
        }
    };
    if depth.is_some() {
        return f(conn);
    }
    if let DbConn::Pg(_) = conn {
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

/// Answers whether the database responds; used by `/ready`.
pub async fn ping(pool: &DbPool) -> Result<(), DbError> {
    run(pool, |conn| {
        conn.batch_execute("SELECT 1").map_err(DbError::from)
    })
    .await
}
