//! The scheduler under a backlog: `--tasks` due tasks planted in the
//! server's database at once (one statement), drained by the server's
//! scheduler while `/auth/me` runs at a fixed rate; then how late a task
//! fires on the idle server.
//!
//! The planted tasks are `booking.remind` about bookings that do not
//! exist: each run is the real handler's re-check (a primary-key read that
//! finds nothing) and the scheduler's lease and finish, the fixed cost
//! every timed rule pays before its own work.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use quickfix_shared::db::{self, DbConn, DbError, DbPool, PoolOptions};

use super::*;

/// The kind planted: its handler is registered in every gateway.
const KIND: &str = "booking.remind";
/// The rate `/auth/me` is held at around the drain when `--rate` is unset:
/// well inside what the box serves, so latency shows blocking, not load.
const DEFAULT_RATE: f64 = 500.0;
/// How long the drain may take before the workload gives up on it.
const DRAIN_LIMIT: Duration = Duration::from_secs(1800);
/// Tasks planted, spread over a few seconds, for the lateness figure.
const LATENESS_TASKS: i64 = 50;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Fired {
    #[diesel(sql_type = Timestamp)]
    due_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    done_at: Option<NaiveDateTime>,
}

/// Plants `count` tasks about subjects `{prefix}{n}`, due `offset_ms`
/// from now plus `spread_ms * n`, in one statement.
async fn plant(
    pool: &DbPool,
    prefix: &str,
    count: i64,
    offset_ms: i64,
    spread_ms: i64,
) -> Result<(), DbError> {
    let prefix = prefix.to_owned();
    db::run(pool, move |conn| {
        let now = db::now();
        let first_due = now + chrono::Duration::milliseconds(offset_ms);
        let sql = match conn {
            DbConn::Pg(_) => {
                "INSERT INTO scheduled_tasks (id, kind, subject_id, due_at, attempts, created_at) \
                 SELECT $1 || g, $2, $1 || g, $3 + make_interval(secs => g * $4 / 1000.0), 0, $5 \
                 FROM generate_series(1, $6) AS g"
            }
            DbConn::Sqlite(_) => {
                // Numbered (`?N`): SQLite numbers `$N` in order of appearance.
                "WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < ?6) \
                 INSERT INTO scheduled_tasks (id, kind, subject_id, due_at, attempts, created_at) \
                 SELECT ?1 || g, ?2, ?1 || g, \
                 strftime('%Y-%m-%d %H:%M:%f', ?3, '+' || (g * ?4 / 1000.0) || ' seconds'), 0, ?5 \
                 FROM n"
            }
        };
        diesel::sql_query(sql)
            .bind::<Text, _>(prefix)
            .bind::<Text, _>(KIND)
            .bind::<Timestamp, _>(first_due)
            .bind::<BigInt, _>(spread_ms)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(count)
            .execute(conn)?;
        Ok(())
    })
    .await
}

/// How many of the tasks about `{prefix}*` are not done.
async fn waiting(pool: &DbPool, prefix: &str) -> Result<i64, DbError> {
    let pattern = format!("{prefix}%");
    db::run(pool, move |conn| {
        let count = diesel::sql_query(
            "SELECT COUNT(*) AS n FROM scheduled_tasks WHERE subject_id LIKE $1 AND done_at IS NULL",
        )
        .bind::<Text, _>(pattern)
        .get_result::<Count>(conn)?;
        Ok(count.n)
    })
    .await
}

/// Due and done times of the tasks about `{prefix}*`.
async fn fired(pool: &DbPool, prefix: &str) -> Result<Vec<Fired>, DbError> {
    let pattern = format!("{prefix}%");
    db::run(pool, move |conn| {
        Ok(diesel::sql_query(
            "SELECT due_at, done_at FROM scheduled_tasks WHERE subject_id LIKE $1",
        )
        .bind::<Text, _>(pattern)
        .load::<Fired>(conn)?)
    })
    .await
}

/// Removes what the workload planted.
async fn clear(pool: &DbPool, prefix: &str) -> Result<usize, DbError> {
    let pattern = format!("{prefix}%");
    db::run(pool, move |conn| {
        Ok(
            diesel::sql_query("DELETE FROM scheduled_tasks WHERE subject_id LIKE $1")
                .bind::<Text, _>(pattern)
                .execute(conn)?,
        )
    })
    .await
}

/// Waits until none of `{prefix}*` is waiting; answers when that was seen
/// (polling every 100 ms), or `None` past `limit`.
async fn drained(pool: &DbPool, prefix: &str, limit: Duration) -> Result<Option<Instant>, DbError> {
    let deadline = Instant::now() + limit;
    loop {
        if waiting(pool, prefix).await? == 0 {
            return Ok(Some(Instant::now()));
        }
        if Instant::now() > deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `/auth/me` at the workload's fixed rate for one window.
async fn paced_me(ctx: &Context, seed: &Seed) -> (PhaseResult, CpuMeter) {
    let meter = ctx.meter();
    let clock = Clock::start(ctx.cli.warmup, ctx.cli.duration, ctx.cli.max_requests)
        .paced(Some(ctx.cli.rate.unwrap_or(DEFAULT_RATE)));
    let tasks = ctx.connections().min(64);
    let phase = get_loop(ctx, seed, "/api/v1/auth/me", tasks, clock).await;
    (phase, meter)
}

fn text(err: DbError) -> String {
    err.to_string()
}

/// The backlog workload (see the module's doc).
pub async fn task_backlog(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let Some(url) = ctx.cli.database_url.as_deref() else {
        return vec![Row::skipped(
            "task-backlog",
            "needs --database-url (the server's database)",
        )];
    };
    let pool = match db::build_pool(url, &PoolOptions::default()) {
        Ok(pool) => pool,
        Err(err) => return vec![Row::skipped("task-backlog", err.to_string())],
    };
    match backlog_rows(ctx, seed, &pool).await {
        Ok(rows) => rows,
        Err(err) => vec![Row::skipped("task-backlog", format!("failed: {err}"))],
    }
}

async fn backlog_rows(ctx: &Context, seed: &Seed, pool: &DbPool) -> Result<Vec<Row>, String> {
    let count = i64::from(ctx.cli.tasks);
    let prefix = format!("bench-{}-", seed.run_id);
    let mut rows = Vec::new();

    let (phase, meter) = paced_me(ctx, seed).await;
    let mut row = row_of("tasks: me, no backlog", &phase, &meter);
    append_note(&mut row, "baseline");
    rows.push(row);

    let drain_meter = ctx.meter();
    let planting = Instant::now();
    plant(pool, &prefix, count, -1_000, 0).await.map_err(text)?;
    let planted = Instant::now();
    let monitor = {
        let (pool, prefix) = (pool.clone(), prefix.clone());
        tokio::spawn(async move { drained(&pool, &prefix, DRAIN_LIMIT).await })
    };
    let (phase, meter) = paced_me(ctx, seed).await;
    let mut row = row_of(&format!("tasks: me, {count} due"), &phase, &meter);
    let left = waiting(pool, &prefix).await.map_err(text)?;
    append_note(
        &mut row,
        &format!("during the drain ({left} still waiting at the window's end)"),
    );
    rows.push(row);

    let done_at = monitor
        .await
        .map_err(|err| err.to_string())?
        .map_err(text)?;
    let mut row = Row::skipped("tasks: drain", "");
    (row.server_cores, row.loadgen_cores) = drain_meter.stop();
    row.requests = u64::try_from(count).unwrap_or(0);
    match done_at {
        Some(done_at) => {
            let took = done_at - planted;
            row.rps = Some(count as f64 / took.as_secs_f64());
            row.note = format!(
                "{count} tasks planted in {:.1} s, drained in {:.1} s (tasks/s in the rps column)",
                (planted - planting).as_secs_f64(),
                took.as_secs_f64()
            );
        }
        None => row.note = format!("not drained within {} s", DRAIN_LIMIT.as_secs()),
    }
    rows.push(row);
    clear(pool, &prefix).await.map_err(text)?;

    // Idle now: tasks due every 100 ms from 1 s on, each timed from its
    // due time to its done time as the server recorded them.
    let late = format!("{prefix}late-");
    plant(pool, &late, LATENESS_TASKS, 1_000, 100)
        .await
        .map_err(text)?;
    drained(pool, &late, Duration::from_secs(60))
        .await
        .map_err(text)?;
    let mut record = Recorder::new();
    for task in fired(pool, &late).await.map_err(text)? {
        match task.done_at {
            Some(done) => record.ok((done - task.due_at).to_std().unwrap_or_default()),
            None => record.error("not run"),
        }
    }
    let mut row = Row::from_record("tasks: due to done, idle", &record, None);
    row.note = format!("{LATENESS_TASKS} tasks due 100 ms apart; latency is done_at - due_at");
    rows.push(row);
    clear(pool, &late).await.map_err(text)?;
    Ok(rows)
}
