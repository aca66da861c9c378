//! The stored statuses of negotiation and time (5/8) as the migrations
//! left them: a job may be `expired`, an offer `countered` or `expired`, a
//! countered offer is still its provider's one open offer on the job, and
//! the rebuilt tables kept their rows and foreign keys.

use diesel::prelude::*;
use quickfix_shared::db::{self, DbError};

use super::{database, job_with_offers, relay};
use crate::schema::{jobs, offers};

#[tokio::test]
async fn the_new_states_are_stored_and_a_countered_offer_stays_the_providers_open_one() {
    let db = database();
    let relay = relay(&db);
    let (_, job, made) = job_with_offers(&relay, &db, 1).await;
    let (job_id, offer_id) = (job.to_string(), made[0].1.to_string());
    db::run(&db.pool(), move |conn| {
        diesel::update(offers::table.find(&offer_id))
            .set(offers::status.eq("countered"))
            .execute(conn)?;
        let mut second = offers::table
            .find(&offer_id)
            .select(crate::models::Offer::as_select())
            .first(conn)?;
        second.id = format!("{offer_id}-2");
        second.status = "pending".to_owned();
        let twin = diesel::insert_into(offers::table)
            .values(&second)
            .execute(conn);
        assert!(
            twin.is_err_and(|err| quickfix_shared::error::is_unique_violation(&err)),
            "one open offer per provider and job, countered included"
        );
        diesel::update(offers::table.find(&offer_id))
            .set(offers::status.eq("expired"))
            .execute(conn)?;
        diesel::insert_into(offers::table)
            .values(&second)
            .execute(conn)?;
        diesel::update(jobs::table.find(&job_id))
            .set(jobs::status.eq("expired"))
            .execute(conn)?;
        let refused = diesel::update(jobs::table.find(&job_id))
            .set(jobs::status.eq("lost"))
            .execute(conn);
        assert!(refused.is_err(), "the CHECK list still holds");
        let orphan = diesel::update(offers::table.find(format!("{offer_id}-2")))
            .set(offers::job_id.eq("no-such-job"))
            .execute(conn);
        assert!(orphan.is_err(), "the foreign key to jobs still holds");
        Ok::<_, DbError>(())
    })
    .await
    .expect("stored");
}

/// How many jobs there are and every offer, as stored.
async fn stored(db: &quickfix_shared::testing::TestDatabase) -> (i64, Vec<crate::models::Offer>) {
    db::run(&db.pool(), |conn| {
        Ok::<_, DbError>((
            jobs::table.count().get_result::<i64>(conn)?,
            offers::table
                .select(crate::models::Offer::as_select())
                .order(offers::id)
                .load(conn)?,
        ))
    })
    .await
    .expect("read")
}

/// The SQLite rebuild run again over stored rows with the migrations after
/// it (its down step leaves the tables as they are): every job and offer is still there, as it was.
#[tokio::test]
async fn the_sqlite_rebuild_keeps_every_row() {
    use diesel::migration::MigrationSource;
    use diesel::sqlite::Sqlite;
    use diesel_migrations::MigrationHarness;
    use quickfix_shared::db::DbConn;

    let db = database();
    let relay = relay(&db);
    job_with_offers(&relay, &db, 3).await;
    let before = stored(&db).await;
    let rebuilt = db::run(&db.pool(), |conn| {
        let DbConn::Sqlite(sqlite) = conn else {
            return Ok::<_, DbError>(false);
        };
        let sets = [
            crate::MIGRATIONS.common,
            crate::MIGRATIONS.sqlite.expect("SQLite migrations"),
        ];
        let mut migrations = Vec::new();
        for set in &sets {
            migrations.extend(
                MigrationSource::<Sqlite>::migrations(set)
                    .map_err(|err| DbError::Migration(err.to_string()))?,
            );
        }
        migrations.sort_by_key(|m| m.name().version().to_string());
        // The rebuild and every migration after it, reverted newest first
        // and applied again in order.
        let from = migrations
            .iter()
            .position(|m| m.name().to_string().contains("new_statuses"))
            .expect("the rebuild");
        let again = &migrations[from..];
        let mut redo = || -> diesel::migration::Result<()> {
            for migration in again.iter().rev() {
                sqlite.revert_migration(&**migration)?;
            }
            for migration in again {
                sqlite.run_migration(&**migration)?;
            }
            Ok(())
        };
        redo().map_err(|err| DbError::Migration(err.to_string()))?;
        Ok(true)
    })
    .await
    .expect("rebuilt");
    if !rebuilt {
        return;
    }
    let after = stored(&db).await;
    assert_eq!(before.0, after.0);
    assert_eq!(format!("{:?}", before.1), format!("{:?}", after.1));
}
