//! The transactional outbox and its relay: domain events are written in the
//! transaction of the change that causes them, and delivered at least once
//! to every consumer, each of which handles an event id once.
//!
//! - [`Relay::run`] runs a change in a write transaction, stores the events
//!   it returns in `outbox_events` before the commit, then hands them to
//!   the in-process consumers: the handler answers once those the caller's
//!   next request depends on are done ([`Consumer::awaited`]); the others
//!   get the events through a queue of their own, whose worker takes what
//!   concurrent requests queued in one call (a group commit: one database
//!   round for a burst, not one per request).
//! - Consumers are idempotent by event id: what they handled is marked in
//!   `outbox_handled` (in batches, a moment later; a crash before the mark
//!   means the event comes again, and the consumer's own unique keys make
//!   that harmless).
//! - A sweeper finds events no consumer mark covers once they are a few
//!   seconds old (a crash between commit and delivery, a failed delivery),
//!   delivers them in `seq` order, retries failures with backoff, and parks
//!   an event after [`MAX_ATTEMPTS`] tries (`outbox_parked`, admins see it
//!   at `GET /api/v1/admin/events`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

pub mod streams;

use crate::db::{self, DbConn, DbError, DbPool};
use crate::events::{DomainEvent, Subject};
use crate::pagination::Cursor;
use crate::schema::{outbox_events, outbox_handled, outbox_parked};

mod log;
mod store;

pub use log::*;
pub use store::*;

/// Tries before an event is parked for a consumer.
pub const MAX_ATTEMPTS: u32 = 5;
/// How old an unmarked event must be before the sweeper takes it (the
/// in-process delivery of a fresh event is still under way before that).
const SWEEP_AFTER: TimeDelta = TimeDelta::seconds(2);
/// How far back a transaction may still commit an event below the newest
/// `seq` (PostgreSQL hands out sequence numbers before commit).
const GAP_WINDOW: TimeDelta = TimeDelta::seconds(30);
/// Events a sweep hands a consumer at once.
const SWEEP_BATCH: i64 = 256;
/// How often the sweeper looks.
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// How often a sweep looks again from the floor, by default.
const FULL_SWEEP_EVERY: Duration = Duration::from_secs(10);
/// How often handled marks are written.
const MARK_EVERY: Duration = Duration::from_millis(200);
/// Deliveries a consumer that runs beside the response may have waiting;
/// beyond that they are left to the sweeper (the events are stored).
const BACKGROUND_QUEUE: usize = 4096;
/// Deliveries a background worker takes into one call at most.
const BACKGROUND_ROUND: usize = 256;

/// Something that reacts to domain events (notifications, socket pushes,
/// aggregates, another crate's mirror). It must be idempotent by event id:
/// an event may come again after a crash or a failure.
pub trait Consumer: Send + Sync + 'static {
    /// A stable name: the key of its marks.
    fn name(&self) -> &'static str;
    /// Handles events in order; `Err` retries them later.
    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>>;

    /// Whether the request that caused the events waits for this consumer
    /// before it answers: yes where the caller's next request must see the
    /// effect (a job's status, an aggregate); a consumer whose effects only
    /// others see (the recipients' notifications) answers `false` and runs
    /// beside the response.
    fn awaited(&self) -> bool {
        true
    }
}

/// The relay as shared in app data.
pub type SharedRelay = Arc<Relay>;

/// Delivers stored events to the registered consumers.
pub struct Relay {
    pool: DbPool,
    timing: RelayTiming,
    consumers: RwLock<Vec<Arc<dyn Consumer>>>,
    marks: Mutex<Vec<(&'static str, String)>>,
    failures: Mutex<HashMap<(&'static str, String), Failure>>,
    watermarks: Mutex<HashMap<&'static str, Watermark>>,
    last_full_sweep: Mutex<Option<std::time::Instant>>,
    recent: Arc<RecentMarks>,
    background: Mutex<HashMap<&'static str, mpsc::Sender<Vec<DomainEvent>>>>,
}

/// The handled marks this relay wrote in the last half minute or so (an
/// event's id with the consumers that handled it, [`ALL_CONSUMERS`] for
/// all): the sweeps between full ones find the events they look at here,
/// without asking the database for their marks. Per consumer, because the
/// consumers beside the response often finish an event after the marks of
/// those awaited were written, so its marks do not always collapse.
#[derive(Debug, Default)]
pub(crate) struct RecentMarks {
    generations: Mutex<(MarkGeneration, MarkGeneration, Option<std::time::Instant>)>,
}

/// Event ids with the consumers whose marks of them were written.
type MarkGeneration = HashMap<String, Vec<&'static str>>;

/// How long a generation of [`RecentMarks`] lasts (two are kept).
const RECENT_GENERATION: Duration = Duration::from_secs(15);

impl RecentMarks {
    fn remember<'a>(&self, marks: impl IntoIterator<Item = &'a (&'static str, String)>) {
        let mut g = self
            .generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if g.2.is_none_or(|at| at.elapsed() >= RECENT_GENERATION) {
            g.1 = std::mem::take(&mut g.0);
            g.2 = Some(std::time::Instant::now());
        }
        for (consumer, id) in marks {
            g.0.entry(id.clone()).or_default().push(consumer);
        }
    }

    /// Whether `consumer` (or every consumer) lately marked `id` handled.
    pub(crate) fn contains(&self, consumer: &str, id: &str) -> bool {
        let g = self
            .generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        [&g.0, &g.1].into_iter().any(|generation| {
            generation
                .get(id)
                .is_some_and(|names| names.iter().any(|n| *n == ALL_CONSUMERS || *n == consumer))
        })
    }
}

/// How far a consumer's sweeps have looked.
#[derive(Debug, Clone, Copy, Default)]
struct Watermark {
    /// Every event at or below this `seq` is handled or parked, and no
    /// transaction can still commit one there: full sweeps start here.
    floor: i64,
    /// Every event at or below this `seq` that was visible when a sweep
    /// looked is handled: the sweeps in between start here, so each looks
    /// only at what is new. Full sweeps catch late commits below it.
    checked: i64,
}

/// The mark of an event every consumer registered at the time handled:
/// one row instead of one per consumer.
pub const ALL_CONSUMERS: &str = "*";

/// Replaces the marks of an event that every one of `consumers` handled by
/// one [`ALL_CONSUMERS`] mark; the others stay as they are.
fn collapse_marks(
    marks: Vec<(&'static str, String)>,
    consumers: &[&'static str],
) -> Vec<(&'static str, String)> {
    let mut by_event: HashMap<String, Vec<&'static str>> = HashMap::new();
    let mut order = Vec::new();
    for (consumer, id) in marks {
        let names = by_event.entry(id.clone()).or_insert_with(|| {
            order.push(id);
            Vec::new()
        });
        if !names.contains(&consumer) {
            names.push(consumer);
        }
    }
    let mut collapsed = Vec::new();
    for id in order {
        let names = by_event.remove(&id).unwrap_or_default();
        if !consumers.is_empty() && consumers.iter().all(|c| names.contains(c)) {
            collapsed.push((ALL_CONSUMERS, id));
        } else {
            collapsed.extend(names.into_iter().map(|name| (name, id.clone())));
        }
    }
    collapsed
}

/// How patient the sweeper is; tests shorten it.
#[derive(Debug, Clone, Copy)]
pub struct RelayTiming {
    /// How old an unmarked event must be before the sweeper takes it.
    pub sweep_after: TimeDelta,
    /// The first retry's delay; each further one doubles it.
    pub backoff: TimeDelta,
    /// How often a sweep looks again from the floor, for events that
    /// committed late below what the sweeps in between looked at.
    pub full_sweep_every: Duration,
}

impl Default for RelayTiming {
    fn default() -> Self {
        Self {
            sweep_after: SWEEP_AFTER,
            backoff: TimeDelta::seconds(1),
            full_sweep_every: FULL_SWEEP_EVERY,
        }
    }
}

#[derive(Debug, Clone)]
struct Failure {
    attempts: u32,
    retry_at: NaiveDateTime,
    last_error: String,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").finish_non_exhaustive()
    }
}

impl Relay {
    /// A relay over `pool` with no consumers yet.
    pub fn new(pool: DbPool) -> SharedRelay {
        Self::with_timing(pool, RelayTiming::default())
    }

    /// A relay with its own patience (tests shorten it).
    pub fn with_timing(pool: DbPool, timing: RelayTiming) -> SharedRelay {
        Arc::new(Self {
            pool,
            timing,
            consumers: RwLock::new(Vec::new()),
            marks: Mutex::new(Vec::new()),
            failures: Mutex::new(HashMap::new()),
            watermarks: Mutex::new(HashMap::new()),
            last_full_sweep: Mutex::new(None),
            recent: Arc::new(RecentMarks::default()),
            background: Mutex::new(HashMap::new()),
        })
    }

    /// Adds a consumer; it gets every event delivered from now on, and the
    /// sweeper brings it every stored event it has not handled.
    pub fn register(&self, consumer: Arc<dyn Consumer>) {
        self.consumers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(consumer);
    }

    fn consumer_names(&self) -> Vec<&'static str> {
        self.consumers().iter().map(|c| c.name()).collect()
    }

    fn consumers(&self) -> Vec<Arc<dyn Consumer>> {
        self.consumers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs `work` in a write transaction, stores the events it returns in
    /// the same transaction, and after the commit hands them to the
    /// consumers before answering its value.
    pub async fn run<T, E, F>(self: &Arc<Self>, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<(T, Vec<DomainEvent>), E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let (value, events) = self.commit(work).await?;
        self.deliver(events).await;
        Ok(value)
    }

    /// [`Relay::run`] without the delivery: the caller does something
    /// first (pushes the message itself) and then calls
    /// [`Relay::deliver`] with the events.
    pub async fn commit<T, E, F>(&self, work: F) -> Result<(T, Vec<DomainEvent>), E>
    where
        F: FnOnce(&mut DbConn) -> Result<(T, Vec<DomainEvent>), E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        db::run(&self.pool, move |conn| {
            db::write_transaction(conn, |conn| {
                let (value, events) = work(conn)?;
                for event in &events {
                    record(conn, event)?;
                }
                Ok::<_, E>((value, events))
            })
        })
        .await
    }

    /// Stores events that stand alone (no other change) and delivers them.
    pub async fn emit(self: &Arc<Self>, events: Vec<DomainEvent>) -> Result<(), DbError> {
        self.run(move |_| Ok::<_, DbError>(((), events))).await
    }

    /// Hands committed events to every consumer now, waiting for those the
    /// caller's next request depends on ([`Consumer::awaited`]). A consumer
    /// that fails gets them again from the sweeper.
    pub async fn deliver(self: &Arc<Self>, events: Vec<DomainEvent>) {
        self.deliver_except(events, None).await;
    }

    /// [`Relay::deliver`] to every consumer but `except`.
    async fn deliver_except(self: &Arc<Self>, events: Vec<DomainEvent>, except: Option<&str>) {
        if events.is_empty() {
            return;
        }
        for consumer in self.consumers() {
            if Some(consumer.name()) == except {
                continue;
            }
            if consumer.awaited() {
                self.hand(&consumer, events.clone()).await;
            } else {
                self.queue_for(&consumer, events.clone());
            }
        }
    }

    /// Queues `events` for a consumer that runs beside the response. A
    /// worker that died (its consumer panicked) is replaced; a full queue
    /// leaves the events to the sweeper (they are stored).
    fn queue_for(self: &Arc<Self>, consumer: &Arc<dyn Consumer>, events: Vec<DomainEvent>) {
        let events = match self.background_queue(consumer).try_send(events) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Closed(events)) => events,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(
                    consumer = consumer.name(),
                    "the consumer's queue is full; the sweeper brings these events"
                );
                return;
            }
        };
        self.background
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(consumer.name());
        if self.background_queue(consumer).try_send(events).is_err() {
            tracing::warn!(
                consumer = consumer.name(),
                "the consumer's worker stopped; the sweeper brings these events"
            );
        }
    }

    /// The queue of a consumer that runs beside the response, with its
    /// worker started on first use: the worker hands the consumer every
    /// delivery waiting at once, in the order they were queued.
    fn background_queue(
        self: &Arc<Self>,
        consumer: &Arc<dyn Consumer>,
    ) -> mpsc::Sender<Vec<DomainEvent>> {
        let mut queues = self
            .background
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(queue) = queues.get(consumer.name()) {
            return queue.clone();
        }
        let (queue, mut waiting) = mpsc::channel::<Vec<DomainEvent>>(BACKGROUND_QUEUE);
        queues.insert(consumer.name(), queue.clone());
        let relay = Arc::downgrade(self);
        let consumer = Arc::clone(consumer);
        tokio::spawn(async move {
            let mut round = Vec::with_capacity(BACKGROUND_ROUND);
            while waiting.recv_many(&mut round, BACKGROUND_ROUND).await > 0 {
                let Some(relay) = relay.upgrade() else { break };
                let events = round.drain(..).flatten().collect();
                relay.hand(&consumer, events).await;
            }
        });
        queue
    }

    async fn hand(&self, consumer: &Arc<dyn Consumer>, events: Vec<DomainEvent>) {
        let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        match consumer.handle(events).await {
            Ok(()) => {
                let mut marks = self.marks.lock().unwrap_or_else(PoisonError::into_inner);
                marks.extend(ids.into_iter().map(|id| (consumer.name(), id)));
            }
            Err(err) => tracing::warn!(
                consumer = consumer.name(),
                error = %err,
                "a consumer failed; the sweeper retries"
            ),
        }
    }

    /// Takes in an event another service stored (read from the stream of
    /// [`streams`]): stores it in this outbox unless its id is here already,
    /// marked as handled by `source` (the consumer that publishes this
    /// outbox to the stream, so it is not sent back), and delivers it to the
    /// other consumers. Answers whether it was new. Once this returns the
    /// event is durable here: the sweeper brings it to any consumer that
    /// misses it.
    pub async fn import(
        self: &Arc<Self>,
        event: DomainEvent,
        source: &'static str,
    ) -> Result<bool, DbError> {
        let stored = event.clone();
        let fresh = db::run(&self.pool, move |conn| {
            db::write_transaction(conn, |conn| {
                let known = outbox_events::table
                    .filter(outbox_events::id.eq(&stored.id))
                    .count()
                    .get_result::<i64>(conn)?;
                if known > 0 {
                    return Ok::<_, DbError>(false);
                }
                record(conn, &stored)?;
                mark_handled(conn, source, &stored.id, db::now())?;
                Ok(true)
            })
        })
        .await?;
        if fresh {
            self.deliver_except(vec![event], Some(source)).await;
        }
        Ok(fresh)
    }

    /// Writes the handled marks gathered since the last call.
    pub async fn flush_marks(&self) -> Result<(), DbError> {
        let marks = std::mem::take(&mut *self.marks.lock().unwrap_or_else(PoisonError::into_inner));
        if marks.is_empty() {
            return Ok(());
        }
        let marks = collapse_marks(marks, &self.consumer_names());
        let written = db::run(&self.pool, move |conn| {
            db::write_transaction(conn, |conn| mark_all_handled(conn, &marks, db::now()))?;
            Ok::<_, DbError>(marks)
        })
        .await?;
        self.recent.remember(&written);
        Ok(())
    }

    /// One pass of the sweeper for every consumer; answers how many events
    /// it delivered.
    pub async fn sweep(&self) -> Result<usize, DbError> {
        self.flush_marks().await?;
        let after = self.timing.sweep_after;
        // Two index seeks for the whole pass: the newest event old enough
        // to sweep, and the newest no transaction can still commit below.
        let (upper, settled) = db::run(&self.pool, move |conn| {
            Ok::<_, DbError>((
                newest_seq_before(conn, db::now() - after)?,
                newest_seq_before(conn, db::now() - GAP_WINDOW)?,
            ))
        })
        .await?;
        let Some(upper) = upper else {
            return Ok(0);
        };
        let full = {
            let mut last = self
                .last_full_sweep
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let due = last.is_none_or(|at| at.elapsed() >= self.timing.full_sweep_every);
            if due {
                *last = Some(std::time::Instant::now());
            }
            due
        };
        let mut delivered = 0;
        for consumer in self.consumers() {
            delivered += self.sweep_one(&consumer, upper, settled, full).await?;
        }
        Ok(delivered)
    }

    /// One consumer's share of a pass: the unhandled events above its
    /// watermark (its floor on a full sweep) up to `upper`.
    async fn sweep_one(
        &self,
        consumer: &Arc<dyn Consumer>,
        upper: i64,
        settled: Option<i64>,
        full: bool,
    ) -> Result<usize, DbError> {
        let name = consumer.name();
        let mark = self
            .watermarks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .copied()
            .unwrap_or_default();
        let from = if full {
            mark.floor
        } else {
            mark.floor.max(mark.checked)
        };
        let after = self.timing.sweep_after;
        let recent = Arc::clone(&self.recent);
        let found = db::run(&self.pool, move |conn| {
            unhandled(conn, name, Window { from, upper, after }, &recent)
        })
        .await?;
        let (events, mut reached) = (found.events, found.examined_to);
        let now = db::now();
        let mut delivered = 0;
        // One at a time here: a poison event must not hold the others back.
        for (seq, event) in events {
            let key = (name, event.id.clone());
            let due = self
                .failures
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&key)
                .is_none_or(|f| f.retry_at <= now);
            if !due {
                reached = reached.min(seq - 1);
                continue;
            }
            let id = event.id.clone();
            match consumer.handle(vec![event]).await {
                Ok(()) => {
                    self.failures
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .remove(&key);
                    db::run(&self.pool, move |conn| {
                        mark_handled(conn, name, &id, db::now())
                    })
                    .await?;
                    delivered += 1;
                }
                Err(err) => {
                    if !self.failed(name, id, err).await? {
                        reached = reached.min(seq - 1);
                    }
                }
            }
        }
        let mut watermarks = self
            .watermarks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let entry = watermarks.entry(name).or_default();
        entry.checked = entry.checked.max(reached);
        if full && let Some(settled) = settled {
            // Everything from the floor up to `reached` was looked at now.
            entry.floor = entry.floor.max(settled.min(reached));
        }
        Ok(delivered)
    }

    /// Counts a failure; the [`MAX_ATTEMPTS`]-th parks the event. Answers
    /// whether it was parked (it rests then).
    async fn failed(
        &self,
        consumer: &'static str,
        id: String,
        err: String,
    ) -> Result<bool, DbError> {
        let failure = {
            let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = failures
                .entry((consumer, id.clone()))
                .or_insert_with(|| Failure {
                    attempts: 0,
                    retry_at: db::now(),
                    last_error: String::new(),
                });
            entry.attempts += 1;
            let backoff = self.timing.backoff * (1 << (entry.attempts - 1).min(10));
            entry.retry_at = db::now() + backoff;
            entry.last_error = err;
            entry.clone()
        };
        tracing::warn!(
            consumer,
            event.id = %id,
            attempts = failure.attempts,
            error = %failure.last_error,
            "an event failed"
        );
        if failure.attempts < MAX_ATTEMPTS {
            return Ok(false);
        }
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&(consumer, id.clone()));
        tracing::error!(consumer, event.id = %id, "an event is parked after its retries");
        db::run(&self.pool, move |conn| {
            db::write_transaction(conn, |conn| {
                let at = db::now();
                diesel::insert_into(outbox_parked::table)
                    .values((
                        outbox_parked::consumer.eq(consumer),
                        outbox_parked::event_id.eq(&id),
                        outbox_parked::attempts.eq(failure.attempts as i32),
                        outbox_parked::last_error.eq(&failure.last_error),
                        outbox_parked::parked_at.eq(at),
                    ))
                    .execute(conn)?;
                mark_handled(conn, consumer, &id, at)?;
                Ok::<_, DbError>(())
            })
        })
        .await?;
        Ok(true)
    }

    /// Starts the task that writes marks and sweeps, for the process's life.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let relay = Arc::clone(self);
        tokio::spawn(async move {
            let mut marks = tokio::time::interval(MARK_EVERY);
            let mut sweeps = tokio::time::interval(SWEEP_EVERY);
            loop {
                tokio::select! {
                    _ = marks.tick() => {
                        if let Err(err) = relay.flush_marks().await {
                            tracing::warn!(error = %err, "handled marks were not written; the events may come again");
                        }
                    }
                    _ = sweeps.tick() => match relay.sweep().await {
                        Ok(0) => {}
                        Ok(delivered) => tracing::info!(delivered, "the sweeper delivered stored events"),
                        Err(err) => tracing::warn!(error = %err, "the outbox sweep failed"),
                    },
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::testing::TestDatabase;

    /// Records what it got; fails its first `fail_first` calls.
    struct Recorder {
        name: &'static str,
        seen: Mutex<Vec<String>>,
        calls: AtomicU32,
        fail_first: u32,
    }

    impl Recorder {
        fn new(name: &'static str, fail_first: u32) -> Arc<Self> {
            Arc::new(Self {
                name,
                seen: Mutex::new(Vec::new()),
                calls: AtomicU32::new(0),
                fail_first,
            })
        }

        fn seen(&self) -> Vec<String> {
            self.seen.lock().expect("seen").clone()
        }
    }

    impl Consumer for Recorder {
        fn name(&self) -> &'static str {
            self.name
        }

        fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            if call < self.fail_first {
                return Box::pin(std::future::ready(Err(format!("failure {call}"))));
            }
            self.seen
                .lock()
                .expect("seen")
                .extend(events.into_iter().map(|e| e.id));
            Box::pin(std::future::ready(Ok(())))
        }
    }

    fn quick(db: &TestDatabase) -> SharedRelay {
        Relay::with_timing(
            db.pool(),
            RelayTiming {
                sweep_after: TimeDelta::zero(),
                backoff: TimeDelta::milliseconds(1),
                full_sweep_every: std::time::Duration::ZERO,
            },
        )
    }

    fn event(n: u32) -> DomainEvent {
        DomainEvent::new("test.happened", serde_json::json!({ "n": n }))
            .about("test", n.to_string())
    }

    async fn log(db: &TestDatabase) -> Vec<LoggedEvent> {
        db::run(&db.pool(), |conn| {
            list(conn, &LogFilter::default(), None, 10)
        })
        .await
        .expect("listed")
        .into_iter()
        .map(|(event, _)| event)
        .collect()
    }

    #[tokio::test]
    async fn events_are_stored_with_the_change_and_delivered_before_run_returns() {
        let db = TestDatabase::new(&[crate::db::MIGRATIONS]);
        let relay = quick(&db);
        let consumer = Recorder::new("recorder", 0);
        relay.register(consumer.clone());
        let first = event(1);
        let id = first.id.clone();
        relay.emit(vec![first]).await.expect("stored");
        assert_eq!(consumer.seen(), vec![id.clone()]);
        relay.flush_marks().await.expect("marked");
        assert_eq!(
            relay.sweep().await.expect("swept"),
            0,
            "handled once, not again"
        );
        let logged = log(&db).await;
        assert_eq!(logged.len(), 1);
        assert_eq!(logged[0].event.id, id);
        assert_eq!(logged[0].event.subject.kind, "test");
    }

    #[tokio::test]
    async fn a_failed_change_stores_no_event() {
        let db = TestDatabase::new(&[crate::db::MIGRATIONS]);
        let relay = quick(&db);
        let consumer = Recorder::new("recorder", 0);
        relay.register(consumer.clone());
        let failed: Result<(), DbError> = relay
            .run(|conn| {
                record(conn, &event(1))?;
                Err(DbError::Query(diesel::result::Error::RollbackTransaction))
            })
            .await;
        assert!(failed.is_err());
        assert!(consumer.seen().is_empty());
        assert_eq!(
            relay.sweep().await.expect("swept"),
            0,
            "nothing was committed"
        );
        assert!(log(&db).await.is_empty());
    }

    #[tokio::test]
    async fn events_committed_but_never_delivered_are_swept_in_order() {
        let db = TestDatabase::new(&[crate::db::MIGRATIONS]);
        let events: Vec<DomainEvent> = (1..=5).map(event).collect();
        let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        // As a crash between the commit and the delivery leaves them.
        db::run(&db.pool(), move |conn| {
            for e in &events {
                record(conn, e)?;
            }
            Ok::<_, DbError>(())
        })
        .await
        .expect("committed");
        let relay = quick(&db);
        let consumer = Recorder::new("recorder", 0);
        relay.register(consumer.clone());
        assert_eq!(relay.sweep().await.expect("swept"), 5);
        assert_eq!(consumer.seen(), ids, "in the order they were stored");
        assert_eq!(relay.sweep().await.expect("swept"), 0);
    }

    #[tokio::test]
    async fn a_failing_consumer_is_retried_and_a_poisoned_one_parks_the_event() {
        let db = TestDatabase::new(&[crate::db::MIGRATIONS]);
        let relay = quick(&db);
        let flaky = Recorder::new("flaky", 2);
        let broken = Recorder::new("broken", u32::MAX);
        relay.register(flaky.clone());
        relay.register(broken.clone());
        let poison = event(7);
        let id = poison.id.clone();
        relay.emit(vec![poison]).await.expect("stored");
        for _ in 0..(MAX_ATTEMPTS * 4) {
            relay.sweep().await.expect("swept");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(
            flaky.seen(),
            vec![id.clone()],
            "delivered once it recovered"
        );
        let logged = log(&db).await;
        let parked = &logged[0].parked;
        assert_eq!(parked.len(), 1, "{parked:?}");
        assert_eq!(parked[0].consumer, "broken");
        assert_eq!(parked[0].attempts, MAX_ATTEMPTS as i32);
        let calls = broken.calls.load(Ordering::SeqCst);
        relay.sweep().await.expect("swept");
        assert_eq!(
            broken.calls.load(Ordering::SeqCst),
            calls,
            "a parked event rests"
        );
    }

    /// A consumer far slower than the events come: it runs beside the
    /// callers (`awaited() == false`) and takes its time over each batch.
    struct Laggard {
        seen: Mutex<Vec<String>>,
        calls: AtomicU32,
    }

    impl Consumer for Laggard {
        fn name(&self) -> &'static str {
            "laggard"
        }

        fn awaited(&self) -> bool {
            false
        }

        fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.seen
                .lock()
                .expect("seen")
                .extend(events.into_iter().map(|e| e.id));
            Box::pin(async {
                tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn a_lagging_consumer_drops_nothing_and_gets_nothing_twice() {
        let db = TestDatabase::new(&[crate::db::MIGRATIONS]);
        let relay = quick(&db);
        let laggard = Arc::new(Laggard {
            seen: Mutex::new(Vec::new()),
            calls: AtomicU32::new(0),
        });
        relay.register(laggard.clone());
        let emitters = (0..10).map(|task| {
            let relay = Arc::clone(&relay);
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..20 {
                    let e = event(task * 100 + n);
                    ids.push(e.id.clone());
                    relay.emit(vec![e]).await.expect("stored");
                }
                ids
            })
        });
        let mut emitted: Vec<String> = Vec::new();
        for ids in futures_util::future::join_all(emitters).await {
            emitted.extend(ids.expect("emitted"));
        }
        for _ in 0..200 {
            if laggard.seen.lock().expect("seen").len() >= emitted.len() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        relay.flush_marks().await.expect("marked");
        assert_eq!(relay.sweep().await.expect("swept"), 0, "nothing left over");
        let mut seen = laggard.seen.lock().expect("seen").clone();
        seen.sort();
        emitted.sort();
        assert_eq!(seen, emitted, "every event exactly once");
        let calls = laggard.calls.load(Ordering::SeqCst) as usize;
        assert!(
            calls < emitted.len() / 2,
            "what queued while it worked came in one call: {calls} calls for {} events",
            emitted.len()
        );
    }

    #[tokio::test]
    async fn events_cross_to_another_service_through_the_stream_once() {
        let Ok(url) = std::env::var("QUICKFIX_TEST_REDIS_URL") else {
            eprintln!("skipped: set QUICKFIX_TEST_REDIS_URL to run the stream test");
            return;
        };
        let url = format!(
            "{url}?channel_prefix=qf-test-{}",
            uuid::Uuid::now_v7().simple()
        );
        let target = |service: &str| streams::StreamTarget::open(&url, service).expect("a url");
        let (a_db, b_db) = (
            TestDatabase::new(&[crate::db::MIGRATIONS]),
            TestDatabase::new(&[crate::db::MIGRATIONS]),
        );
        let a = quick(&a_db);
        a.register(streams::StreamPublisher::new(target("svc-a")));
        let b = quick(&b_db);
        let got = Recorder::new("b.recorder", 0);
        b.register(got.clone());
        b.register(streams::StreamPublisher::new(target("svc-b")));
        // Two instances of service b share its group.
        for _ in 0..2 {
            streams::spawn_subscriber(target("svc-b"), vec!["test.happened"], Arc::clone(&b));
        }
        let wanted = event(1);
        let other = DomainEvent::new("test.ignored", serde_json::json!({}));
        a.emit(vec![wanted.clone(), other]).await.expect("stored");
        for _ in 0..250 {
            if !got.seen().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(got.seen(), vec![wanted.id.clone()], "crossed over");
        // The same event on the stream again (an at-least-once repeat).
        a.deliver(vec![wanted.clone()]).await;
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert_eq!(got.seen(), vec![wanted.id.clone()], "handled once");
        let stored = log(&b_db).await;
        assert_eq!(stored.len(), 1, "only the wanted kind is taken");
        assert_eq!(stored[0].event.id, wanted.id);
        let mut redis = redis::Client::open(streams::split_prefix(&url).0.as_str())
            .expect("a client")
            .get_multiplexed_async_connection()
            .await
            .expect("connected");
        let length: i64 = redis::cmd("XLEN")
            .arg(target("svc-b").key())
            .query_async(&mut redis)
            .await
            .expect("XLEN");
        assert_eq!(length, 3, "b did not send the imported event back");
        b.flush_marks().await.expect("marked");
        assert_eq!(b.sweep().await.expect("swept"), 0, "nothing left for b");
    }

    #[tokio::test]
    async fn an_event_committed_late_below_the_watermark_is_found_by_the_full_sweep() {
        let db = TestDatabase::new(&[crate::db::MIGRATIONS]);
        if !db.is_postgres() {
            eprintln!("skipped: only PostgreSQL commits below a newer seq");
            return;
        }
        let relay = Relay::with_timing(
            db.pool(),
            RelayTiming {
                sweep_after: TimeDelta::zero(),
                backoff: TimeDelta::milliseconds(1),
                full_sweep_every: std::time::Duration::from_millis(400),
            },
        );
        let consumer = Recorder::new("recorder", 0);
        relay.register(consumer.clone());
        // A transaction takes a seq and holds its commit back.
        let late = event(1);
        let late_id = late.id.clone();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let pool = db.pool();
        let held = std::thread::spawn(move || {
            let mut conn = pool.get().expect("a connection");
            db::write_transaction(&mut conn, |conn| {
                record(conn, &late)?;
                wait.recv().ok();
                Ok::<_, DbError>(())
            })
            .expect("committed");
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let early = event(2);
        db::run(&db.pool(), move |conn| {
            record(conn, &early).map_err(DbError::Query)
        })
        .await
        .expect("stored");
        assert_eq!(relay.sweep().await.expect("swept"), 1, "the first pass");
        go.send(()).expect("released");
        held.join().expect("joined");
        assert_eq!(
            relay.sweep().await.expect("swept"),
            0,
            "a pass between full ones looks above its watermark only"
        );
        tokio::time::sleep(std::time::Duration::from_millis(450)).await;
        assert_eq!(relay.sweep().await.expect("swept"), 1, "the full pass");
        assert!(consumer.seen().contains(&late_id));
    }

    /// A consumer beside the response that panics on its first call: its
    /// worker dies with it, and the next delivery starts a new one.
    struct Fragile {
        calls: AtomicU32,
        seen: Mutex<Vec<String>>,
    }

    impl Consumer for Fragile {
        fn name(&self) -> &'static str {
            "fragile"
        }

        fn awaited(&self) -> bool {
            false
        }

        fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
            assert!(
                self.calls.fetch_add(1, Ordering::SeqCst) > 0,
                "the first call panics"
            );
            self.seen
                .lock()
                .expect("seen")
                .extend(events.into_iter().map(|e| e.id));
            Box::pin(std::future::ready(Ok(())))
        }
    }

    #[tokio::test]
    async fn a_consumer_that_panicked_gets_the_next_events_in_process() {
        let db = TestDatabase::new(&[crate::db::MIGRATIONS]);
        let relay = quick(&db);
        let fragile = Arc::new(Fragile {
            calls: AtomicU32::new(0),
            seen: Mutex::new(Vec::new()),
        });
        relay.register(fragile.clone());
        relay.emit(vec![event(1)]).await.expect("stored");
        for _ in 0..100 {
            if fragile.calls.load(Ordering::SeqCst) > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let second = event(2);
        let id = second.id.clone();
        relay.emit(vec![second]).await.expect("stored");
        for _ in 0..100 {
            if fragile.seen.lock().expect("seen").contains(&id) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the event after the panic never reached the consumer in process");
    }

    #[test]
    fn recent_marks_answer_per_consumer() {
        let recent = RecentMarks::default();
        recent.remember(&[("a", "e1".to_owned()), (ALL_CONSUMERS, "e2".to_owned())]);
        assert!(recent.contains("a", "e1"));
        assert!(!recent.contains("b", "e1"), "b did not handle e1");
        assert!(recent.contains("b", "e2"), "every consumer handled e2");
        assert!(!recent.contains("a", "e3"));
    }

    #[test]
    fn an_event_every_consumer_handled_gets_one_mark() {
        let marks = vec![
            ("a", "e1".to_owned()),
            ("b", "e1".to_owned()),
            ("a", "e2".to_owned()),
            ("b", "e1".to_owned()),
        ];
        assert_eq!(
            collapse_marks(marks, &["a", "b"]),
            vec![(ALL_CONSUMERS, "e1".to_owned()), ("a", "e2".to_owned())]
        );
    }

    #[tokio::test]
    async fn a_collapsed_mark_counts_for_every_consumer_in_the_sweep() {
        let db = TestDatabase::new(&[crate::db::MIGRATIONS]);
        let relay = quick(&db);
        let (one, two) = (Recorder::new("one", 0), Recorder::new("two", 0));
        relay.register(one.clone());
        relay.register(two.clone());
        relay.emit(vec![event(1)]).await.expect("stored");
        relay.flush_marks().await.expect("marked");
        let marks = db::run(&db.pool(), |conn| {
            outbox_handled::table
                .select(outbox_handled::consumer)
                .load::<String>(conn)
                .map_err(DbError::Query)
        })
        .await
        .expect("read");
        assert_eq!(marks, vec![ALL_CONSUMERS.to_owned()]);
        assert_eq!(relay.sweep().await.expect("swept"), 0, "nothing again");
        assert_eq!((one.seen().len(), two.seen().len()), (1, 1));
    }
}
