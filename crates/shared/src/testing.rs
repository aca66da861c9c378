//! Fresh databases for tests: a temporary SQLite file by default, or a new
//! PostgreSQL database when `QUICKFIX_TEST_POSTGRES_URL` names a server.
//! Either is removed when the guard drops.

use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::db::{self, DbPool, PoolOptions};

/// The variable naming a PostgreSQL server (any database on it) for tests.
pub const POSTGRES_ENV: &str = "QUICKFIX_TEST_POSTGRES_URL";

/// A database that exists for one test.
pub struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(
        #[expect(
            dead_code,
            reason = "held so the directory lives as long as the database"
        )]
        tempfile::TempDir,
    ),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl TestDatabase {
    /// A new database on the backend the environment picks, with these
    /// crates' tables (a crate's tests migrate only what they use).
    pub fn new(migrations: &[db::CrateMigrations]) -> Self {
        let db = match std::env::var(POSTGRES_ENV) {
            Ok(server) if !server.is_empty() => Self::postgres(&server),
            _ => Self::sqlite(),
        };
        let pool = db.pool();
        let mut conn = pool.get().expect("a test database connection");
        db::run_migrations(&mut conn, migrations).expect("migrations apply");
        db
    }

    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        Self {
            url,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    fn postgres(server: &str) -> Self {
        let name = format!("quickfix_test_{}", uuid::Uuid::now_v7().simple());
        let admin_url = with_database(server, "postgres");
        let mut admin = PgConnection::establish(&admin_url).expect("the test PostgreSQL server");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("CREATE DATABASE");
        Self {
            url: with_database(server, &name),
            cleanup: Cleanup::Postgres { admin_url, name },
        }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self.cleanup, Cleanup::Postgres { .. })
    }

    /// A small pool over the database.
    pub fn pool(&self) -> DbPool {
        db::build_pool(
            &self.url,
            &PoolOptions {
                size: Some(4),
                ..PoolOptions::default()
            },
        )
        .expect("a supported url")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// The same server URL naming another database.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_swapped_in_urls() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
    }
}
