//! Each crate's migrations, merged in version order and run on either
//! backend.

use super::*;

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
/// order. Versions must be unique across crates: diesel records a version
/// as applied, so a second migration under one version would never run.
/// A repeated version is an error before anything runs.
struct Merged<'a>(Vec<&'a EmbeddedMigrations>);

impl<DB: diesel::backend::Backend> MigrationSource<DB> for Merged<'_> {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<DB>>>> {
        let mut all = Vec::new();
        for set in &self.0 {
            all.extend(MigrationSource::<DB>::migrations(*set)?);
        }
        all.sort_by(|a, b| a.name().version().cmp(&b.name().version()));
        if let Some(pair) = all
            .windows(2)
            .find(|pair| pair[0].name().version() == pair[1].name().version())
        {
            return Err(format!(
                "two migrations share the version {}: {} and {}; give one a version of its own",
                pair[0].name().version(),
                pair[0].name(),
                pair[1].name()
            )
            .into());
        }
        Ok(all)
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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sqlite::Sqlite;

    #[test]
    fn a_version_two_crates_share_is_refused_before_anything_runs() {
        let once = Merged(vec![&MIGRATIONS.common]);
        assert!(MigrationSource::<Sqlite>::migrations(&once).is_ok());
        let twice = Merged(vec![&MIGRATIONS.common, &MIGRATIONS.common]);
        let refused = MigrationSource::<Sqlite>::migrations(&twice)
            .err()
            .expect("a shared version is an error");
        assert!(
            refused.to_string().contains("share the version"),
            "{refused}"
        );
    }
}
