//! The durable scheduler: timed work stored in the database.
//!
//! - A crate calls [`schedule`] in the transaction of the change that makes
//!   work due (an offer's expiry, a reminder), so the task cannot be
//!   forgotten: one waiting task per kind and subject; scheduling again
//!   moves its `due_at`, and [`cancel`] drops it.
//! - A [`Scheduler`] runs in every instance. Every poll it leases the due
//!   tasks (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so instances never take
//!   one task together; SQLite: its single writer) for [`LEASE`], hands
//!   each to the [`TaskHandler`] of its kind and marks it done. A failure
//!   is retried with doubling backoff, up to an hour apart; a task whose
//!   instance died is leased again when its lease lapses, so a task runs
//!   late after a restart rather than never.
//! - Handlers re-check the state of their subject in their own
//!   transaction (a job changed by hand before its task fired is left
//!   alone), which also makes a second run after a lapsed lease harmless.
//! - Admins read the tasks at `GET /api/v1/admin/tasks`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use futures_util::future::BoxFuture;

use crate::db::{self, DbConn, DbError, DbPool};
use crate::pagination::Cursor;
use crate::schema::scheduled_tasks;

/// How long a leased task is its instance's before another may take it.
pub const LEASE: TimeDelta = TimeDelta::seconds(60);
/// Tasks one poll leases at most.
const BATCH: i64 = 100;
/// The longest wait between two tries of a failing task.
const MAX_BACKOFF: TimeDelta = TimeDelta::hours(1);

/// Runs the tasks of one kind.
pub trait TaskHandler: Send + Sync + 'static {
    /// The kind it runs (`offer.expire`, `booking.remind`, ...).
    fn kind(&self) -> &'static str;

    /// Does the work for `subject_id`; it re-checks the subject's state in
    /// its own transaction. `Err` is retried later.
    fn run(&self, subject_id: String) -> BoxFuture<'static, Result<(), String>>;
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = scheduled_tasks)]
pub struct Task {
    /// Its id.
    pub id: String,
    /// Its kind.
    pub kind: String,
    /// What it is about.
    pub subject_id: String,
    /// When it is due.
    pub due_at: NaiveDateTime,
    /// Tries so far.
    pub attempts: i32,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// When it was done.
    pub done_at: Option<NaiveDateTime>,
}

/// Makes `kind` work about `subject_id` due at `due_at`, in the caller's
/// transaction; a waiting task of that kind and subject moves to `due_at`.
pub fn schedule(
    conn: &mut DbConn,
    kind: &str,
    subject_id: &str,
    due_at: NaiveDateTime,
) -> QueryResult<()> {
    let waiting = || {
        scheduled_tasks::table
            .filter(scheduled_tasks::kind.eq(kind))
            .filter(scheduled_tasks::subject_id.eq(subject_id))
            .filter(scheduled_tasks::done_at.is_null())
    };
    let moved = diesel::update(waiting())
        .set((
            scheduled_tasks::due_at.eq(due_at),
            scheduled_tasks::attempts.eq(0),
            scheduled_tasks::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    if moved > 0 {
        return Ok(());
    }
    // A savepoint: of two racing first schedules, the loser moves the
    // winner's task instead, and the caller's transaction lives on.
    let inserted = conn.transaction(|conn| insert_task(conn, kind, subject_id, due_at));
    match inserted {
        Ok(_) => Ok(()),
        Err(err) if crate::error::is_unique_violation(&err) => {
            diesel::update(waiting())
                .set(scheduled_tasks::due_at.eq(due_at))
                .execute(conn)?;
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// Schedules the first task of `kind` about a subject made in the
/// caller's transaction (a new row's id, so no task about it can exist):
/// one INSERT, where [`schedule`] first looks for a waiting task to move.
pub fn schedule_new(
    conn: &mut DbConn,
    kind: &str,
    subject_id: &str,
    due_at: NaiveDateTime,
) -> QueryResult<()> {
    insert_task(conn, kind, subject_id, due_at).map(|_| ())
}

fn insert_task(
    conn: &mut DbConn,
    kind: &str,
    subject_id: &str,
    due_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(scheduled_tasks::table)
        .values((
            scheduled_tasks::id.eq(uuid::Uuid::now_v7().to_string()),
            scheduled_tasks::kind.eq(kind),
            scheduled_tasks::subject_id.eq(subject_id),
            scheduled_tasks::due_at.eq(due_at),
            scheduled_tasks::attempts.eq(0),
            scheduled_tasks::created_at.eq(db::now()),
        ))
        .execute(conn)
}

/// Drops the waiting task of `kind` about `subject_id`, if any.
pub fn cancel(conn: &mut DbConn, kind: &str, subject_id: &str) -> QueryResult<usize> {
    diesel::delete(
        scheduled_tasks::table
            .filter(scheduled_tasks::kind.eq(kind))
            .filter(scheduled_tasks::subject_id.eq(subject_id))
            .filter(scheduled_tasks::done_at.is_null()),
    )
    .execute(conn)
}

/// The tasks newest due first, after `cursor`, at most `limit`; only those
/// not done yet when `pending`.
pub fn list_tasks(
    conn: &mut DbConn,
    pending: bool,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Task>, DbError> {
    let mut query = scheduled_tasks::table.into_boxed();
    if pending {
        query = query.filter(scheduled_tasks::done_at.is_null());
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            scheduled_tasks::due_at
                .lt(cursor.at)
                .or(scheduled_tasks::due_at
                    .eq(cursor.at)
                    .and(scheduled_tasks::id.lt(cursor.id.clone()))),
        );
    }
    Ok(query
        .order((scheduled_tasks::due_at.desc(), scheduled_tasks::id.desc()))
        .limit(limit)
        .select(Task::as_select())
        .load(conn)?)
}

/// Leases up to [`BATCH`] due tasks of `kinds` until `now + LEASE`.
fn lease_due(conn: &mut DbConn, kinds: &[&'static str]) -> Result<Vec<Task>, DbError> {
    let now = db::now();
    db::write_transaction(conn, |conn| {
        let due = scheduled_tasks::table
            .filter(scheduled_tasks::done_at.is_null())
            .filter(scheduled_tasks::due_at.le(now))
            .filter(
                scheduled_tasks::leased_until
                    .is_null()
                    .or(scheduled_tasks::leased_until.lt(now)),
            )
            .filter(scheduled_tasks::kind.eq_any(kinds))
            .order(scheduled_tasks::due_at)
            .limit(BATCH)
            .select(scheduled_tasks::id);
        let ids: Vec<String> = match conn {
            DbConn::Pg(pg) => due.for_update().skip_locked().load(pg)?,
            DbConn::Sqlite(sqlite) => due.load(sqlite)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(scheduled_tasks::table.filter(scheduled_tasks::id.eq_any(&ids)))
            .set(scheduled_tasks::leased_until.eq(Some(now + LEASE)))
            .execute(conn)?;
        Ok(scheduled_tasks::table
            .filter(scheduled_tasks::id.eq_any(&ids))
            .order(scheduled_tasks::due_at)
            .select(Task::as_select())
            .load(conn)?)
    })
}

/// Records how a try of `task` went. A task scheduled again while it ran
/// (its `due_at` moved: a new round of an offer, or the handler finding its
/// subject not yet due) is not done: its lease ends and it waits for its
/// new time.
fn finish(
    conn: &mut DbConn,
    task: &Task,
    outcome: Result<(), String>,
    backoff: TimeDelta,
) -> QueryResult<usize> {
    let now = db::now();
    let unmoved = scheduled_tasks::table
        .find(&task.id)
        .filter(scheduled_tasks::done_at.is_null())
        .filter(scheduled_tasks::due_at.eq(task.due_at));
    let recorded = match outcome {
        Ok(()) => diesel::update(unmoved)
            .set((
                scheduled_tasks::done_at.eq(Some(now)),
                scheduled_tasks::attempts.eq(task.attempts + 1),
                scheduled_tasks::leased_until.eq(None::<NaiveDateTime>),
                scheduled_tasks::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        Err(error) => {
            let attempts = task.attempts + 1;
            let delay = (backoff * (1 << (attempts - 1).clamp(0, 20))).min(MAX_BACKOFF);
            diesel::update(unmoved)
                .set((
                    scheduled_tasks::attempts.eq(attempts),
                    scheduled_tasks::due_at.eq(now + delay),
                    scheduled_tasks::leased_until.eq(None::<NaiveDateTime>),
                    scheduled_tasks::last_error.eq(Some(error)),
                ))
                .execute(conn)?
        }
    };
    if recorded > 0 {
        return Ok(recorded);
    }
    diesel::update(
        scheduled_tasks::table
            .find(&task.id)
            .filter(scheduled_tasks::done_at.is_null()),
    )
    .set(scheduled_tasks::leased_until.eq(None::<NaiveDateTime>))
    .execute(conn)
}

/// The subjects of `kind` with a task waiting (not done), for a catch-up
/// that schedules only what is missing.
pub fn waiting_subjects(
    conn: &mut DbConn,
    kind: &str,
) -> QueryResult<std::collections::HashSet<String>> {
    Ok(scheduled_tasks::table
        .filter(scheduled_tasks::kind.eq(kind))
        .filter(scheduled_tasks::done_at.is_null())
        .select(scheduled_tasks::subject_id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Runs the due tasks of the registered kinds.
pub struct Scheduler {
    pool: DbPool,
    handlers: HashMap<&'static str, Arc<dyn TaskHandler>>,
    poll: Duration,
    backoff: TimeDelta,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("kinds", &self.handlers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Scheduler {
    /// A scheduler over `pool` looking every `poll`, retrying a failed task
    /// after `backoff` (doubling).
    pub fn new(pool: DbPool, poll: Duration, backoff: TimeDelta) -> Self {
        Self {
            pool,
            handlers: HashMap::new(),
            poll,
            backoff,
        }
    }

    /// Runs the tasks of `handler`'s kind too.
    pub fn with(mut self, handler: Arc<dyn TaskHandler>) -> Self {
        self.handlers.insert(handler.kind(), handler);
        self
    }

    /// One pass: leases the due tasks and runs each; answers how many ran.
    pub async fn run_due(&self) -> Result<usize, DbError> {
        let kinds: Vec<&'static str> = self.handlers.keys().copied().collect();
        if kinds.is_empty() {
            return Ok(0);
        }
        let leased = db::run(&self.pool, move |conn| lease_due(conn, &kinds)).await?;
        let ran = leased.len();
        let mut outcomes = Vec::with_capacity(ran);
        for task in leased {
            let Some(handler) = self.handlers.get(task.kind.as_str()) else {
                continue;
            };
            let outcome = handler.run(task.subject_id.clone()).await;
            if let Err(error) = &outcome {
                tracing::warn!(task.id = %task.id, kind = %task.kind, attempts = task.attempts + 1, %error, "a task failed; it is retried");
            }
            outcomes.push((task, outcome));
        }
        // The batch's outcomes in one transaction: one commit for the
        // batch, not one per task. A crash before it leaves the tasks
        // leased; they run again when the lease ends, and each handler
        // re-checks its subject, so a second run is harmless.
        let backoff = self.backoff;
        db::run(&self.pool, move |conn| {
            db::write_transaction(conn, |conn| {
                for (task, outcome) in outcomes {
                    finish(conn, &task, outcome, backoff)?;
                }
                Ok::<_, DbError>(())
            })
        })
        .await?;
        Ok(ran)
    }

    /// Runs the scheduler until the process ends.
    pub fn spawn(self) {
        tokio::spawn(async move {
            loop {
                match self.run_due().await {
                    Ok(n) if n as i64 >= BATCH => continue,
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "scheduled tasks could not be read"),
                }
                tokio::time::sleep(self.poll).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::testing::TestDatabase;

    /// Counts the runs of each subject; fails those named `fail`.
    #[derive(Default)]
    struct Recorder {
        runs: Mutex<Vec<String>>,
    }

    impl TaskHandler for Recorder {
        fn kind(&self) -> &'static str {
            "test.record"
        }

        fn run(&self, subject_id: String) -> BoxFuture<'static, Result<(), String>> {
            self.runs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(subject_id.clone());
            Box::pin(async move {
                if subject_id.starts_with("fail") {
                    Err("it failed".to_owned())
                } else {
                    Ok(())
                }
            })
        }
    }

    impl Recorder {
        fn runs(&self) -> Vec<String> {
            let mut runs = self
                .runs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            runs.sort();
            runs
        }
    }

    fn database() -> TestDatabase {
        TestDatabase::new(&[crate::db::MIGRATIONS])
    }

    async fn plan(db: &TestDatabase, tasks: Vec<(&'static str, NaiveDateTime)>) {
        db::run(&db.pool(), move |conn| {
            for (subject, due) in &tasks {
                schedule(conn, "test.record", subject, *due)?;
            }
            Ok::<_, DbError>(())
        })
        .await
        .expect("scheduled");
    }

    fn scheduler(db: &TestDatabase, recorder: &Arc<Recorder>) -> Scheduler {
        Scheduler::new(db.pool(), Duration::from_millis(10), TimeDelta::seconds(30))
            .with(Arc::clone(recorder) as Arc<dyn TaskHandler>)
    }

    #[tokio::test]
    async fn a_due_task_runs_once_a_future_one_waits_and_a_moved_one_follows() {
        let db = database();
        let now = db::now();
        plan(
            &db,
            vec![
                ("due", now - TimeDelta::seconds(1)),
                ("later", now + TimeDelta::hours(1)),
                ("moved", now + TimeDelta::hours(1)),
                ("moved", now - TimeDelta::seconds(1)),
            ],
        )
        .await;
        let recorder = Arc::new(Recorder::default());
        let scheduler = scheduler(&db, &recorder);
        assert_eq!(scheduler.run_due().await.expect("ran"), 2);
        assert_eq!(scheduler.run_due().await.expect("ran"), 0, "done is done");
        assert_eq!(recorder.runs(), vec!["due", "moved"]);
        let listed = db::run(&db.pool(), |conn| list_tasks(conn, true, None, 10))
            .await
            .expect("listed");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].subject_id, "later");
    }

    #[tokio::test]
    async fn a_task_scheduled_again_while_it_runs_waits_for_its_new_time() {
        let db = database();
        plan(&db, vec![("offer", db::now() - TimeDelta::seconds(1))]).await;
        let later = db::now() + TimeDelta::hours(1);
        let (done, waiting) = db::run(&db.pool(), move |conn| {
            let leased = lease_due(conn, &["test.record"])?;
            schedule(conn, "test.record", "offer", later)?;
            finish(conn, &leased[0], Ok(()), TimeDelta::seconds(30))?;
            let waiting = list_tasks(conn, true, None, 10)?;
            Ok::<_, DbError>((leased.len(), waiting))
        })
        .await
        .expect("ran");
        assert_eq!(done, 1);
        assert_eq!(waiting.len(), 1, "not marked done: it moved");
        assert_eq!(waiting[0].due_at, later);
        let recorder = Arc::new(Recorder::default());
        assert_eq!(scheduler(&db, &recorder).run_due().await.expect("ran"), 0);
        let leased_until = db::run(&db.pool(), |conn| {
            scheduled_tasks::table
                .select(scheduled_tasks::leased_until)
                .first::<Option<NaiveDateTime>>(conn)
                .map_err(DbError::from)
        })
        .await
        .expect("read");
        assert_eq!(leased_until, None, "its lease ended");
    }

    #[tokio::test]
    async fn a_failing_task_is_retried_later_with_its_error_kept() {
        let db = database();
        plan(&db, vec![("fail-1", db::now() - TimeDelta::seconds(1))]).await;
        let recorder = Arc::new(Recorder::default());
        let scheduler = scheduler(&db, &recorder);
        assert_eq!(scheduler.run_due().await.expect("ran"), 1);
        assert_eq!(scheduler.run_due().await.expect("ran"), 0, "backing off");
        let task = db::run(&db.pool(), |conn| list_tasks(conn, true, None, 10))
            .await
            .expect("listed")
            .remove(0);
        assert_eq!(task.attempts, 1);
        assert_eq!(task.last_error.as_deref(), Some("it failed"));
        assert!(task.due_at > db::now() + TimeDelta::seconds(20));
    }

    #[tokio::test]
    async fn two_instances_run_each_task_exactly_once_and_a_lapsed_lease_is_taken_again() {
        let db = database();
        let past = db::now() - TimeDelta::seconds(1);
        let subjects: Vec<&'static str> = (0..60)
            .map(|n| &*Box::leak(format!("task-{n:02}").into_boxed_str()))
            .collect();
        plan(&db, subjects.iter().map(|s| (*s, past)).collect()).await;
        let recorder = Arc::new(Recorder::default());
        let (one, two) = (scheduler(&db, &recorder), scheduler(&db, &recorder));
        let (a, b) = tokio::join!(one.run_due(), two.run_due());
        let (a, b) = (a.expect("ran"), b.expect("ran"));
        let (c, d) = tokio::join!(one.run_due(), two.run_due());
        assert_eq!(a + b + c.expect("ran") + d.expect("ran"), 60);
        let mut expected: Vec<String> = subjects.iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        assert_eq!(recorder.runs(), expected, "each task once");

        // An instance that leased a task and died: the lease lapses.
        plan(&db, vec![("orphan", past)]).await;
        let leased = db::run(&db.pool(), |conn| lease_due(conn, &["test.record"]))
            .await
            .expect("leased");
        assert_eq!(leased.len(), 1);
        assert_eq!(one.run_due().await.expect("ran"), 0, "leased elsewhere");
        db::run(&db.pool(), |conn| {
            diesel::update(scheduled_tasks::table)
                .set(scheduled_tasks::leased_until.eq(Some(db::now() - TimeDelta::seconds(1))))
                .execute(conn)
                .map_err(DbError::from)
        })
        .await
        .expect("lapsed");
        assert_eq!(
            one.run_due().await.expect("ran"),
            1,
            "late rather than never"
        );
    }
}
