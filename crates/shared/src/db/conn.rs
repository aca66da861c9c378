//! The connection enum over both backends.
//!
//! Kept alone in this module because the `MultiConnection` derive emits a
//! `multi_connection_impl` module and re-exports `MultiBackend` where it stands.
#![expect(
    missing_docs,
    reason = "the MultiConnection derive generates undocumented items"
)]

/// A database connection: PostgreSQL in production, SQLite embedded.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// A PostgreSQL connection.
    Pg(diesel::PgConnection),
    /// A SQLite connection.
    Sqlite(diesel::SqliteConnection),
}
