//! The outbox's tables: events stored with their change, handled marks,
//! what a consumer has not handled yet.

use super::*;

/// Stores an event in the outbox; call it inside the transaction of the
/// change the event reports.
pub fn record(conn: &mut DbConn, event: &DomainEvent) -> QueryResult<()> {
    diesel::insert_into(outbox_events::table)
        .values((
            outbox_events::id.eq(&event.id),
            outbox_events::kind.eq(&event.kind),
            outbox_events::subject_kind.eq(&event.subject.kind),
            outbox_events::subject_id.eq(&event.subject.id),
            outbox_events::actor_id.eq(event.actor_id.as_deref()),
            outbox_events::occurred_at.eq(event.occurred_at.naive_utc()),
            outbox_events::data.eq(event.payload.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

pub(super) fn mark_handled(
    conn: &mut DbConn,
    consumer: &'static str,
    event_id: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    mark_all_handled(conn, &[(consumer, event_id.to_owned())], at)
}

/// A handled mark as stored.
#[derive(Insertable)]
#[diesel(table_name = outbox_handled)]
#[diesel(treat_none_as_default_value = false)]
struct Mark<'a> {
    consumer: &'a str,
    event_id: &'a str,
    handled_at: NaiveDateTime,
}

/// Marks events handled, skipping marks already there: one statement on
/// PostgreSQL, one `INSERT ... ON CONFLICT DO NOTHING` per mark on SQLite
/// (in process, no round trip).
pub(super) fn mark_all_handled(
    conn: &mut DbConn,
    marks: &[(&'static str, String)],
    at: NaiveDateTime,
) -> Result<(), DbError> {
    let rows: Vec<Mark<'_>> = marks
        .iter()
        .map(|(consumer, event_id)| Mark {
            consumer,
            event_id,
            handled_at: at,
        })
        .collect();
    let target = (outbox_handled::consumer, outbox_handled::event_id);
    match conn {
        DbConn::Pg(pg) => {
            for chunk in rows.chunks(1000) {
                diesel::insert_into(outbox_handled::table)
                    .values(chunk)
                    .on_conflict(target)
                    .do_nothing()
                    .execute(pg)?;
            }
        }
        DbConn::Sqlite(sqlite) => {
            for row in &rows {
                diesel::insert_into(outbox_handled::table)
                    .values(row)
                    .on_conflict(target)
                    .do_nothing()
                    .execute(sqlite)?;
            }
        }
    }
    Ok(())
}

/// A stored event row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox_events)]
pub(super) struct StoredEvent {
    pub(super) id: String,
    kind: String,
    subject_kind: String,
    subject_id: String,
    actor_id: Option<String>,
    pub(super) occurred_at: NaiveDateTime,
    data: String,
}

impl From<StoredEvent> for DomainEvent {
    fn from(row: StoredEvent) -> Self {
        DomainEvent {
            id: row.id,
            kind: row.kind,
            occurred_at: row.occurred_at.and_utc(),
            actor_id: row.actor_id,
            subject: Subject {
                kind: row.subject_kind,
                id: row.subject_id,
            },
            payload: serde_json::from_str(&row.data).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// Events a sweep looks at in one pass at most.
const SCAN_LIMIT: i64 = 10_000;

/// What a sweep found for one consumer.
pub(super) struct Unhandled {
    /// The events it has not handled, oldest first, with their `seq`.
    pub(super) events: Vec<(i64, DomainEvent)>,
    /// Every event above `from` up to this `seq` (visible now, older than
    /// `after`) was looked at: handled, or among `events`.
    pub(super) examined_to: i64,
}

/// The events of `window` that `consumer` has not handled: the range's ids first (the `seq` index),
/// then that consumer's marks of just those ids, then the rows of the
/// unhandled ones, so a pass costs what is new, however long the tables.
/// The part of the outbox one sweep of one consumer looks at: events above
/// `from` and up to `upper`, older than `after`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    pub(super) from: i64,
    pub(super) upper: i64,
    pub(super) after: TimeDelta,
}

pub(super) fn unhandled(
    conn: &mut DbConn,
    consumer: &'static str,
    window: Window,
    recent: &RecentMarks,
) -> Result<Unhandled, DbError> {
    conn.transaction(|conn| {
        if let DbConn::Pg(pg) = conn {
            // A plan made for these tables' sizes now, not the generic one
            // cached while they were small (a scan of every mark).
            diesel::connection::SimpleConnection::batch_execute(
                pg,
                "SET LOCAL plan_cache_mode = force_custom_plan",
            )?;
        }
        unhandled_in(conn, consumer, window, recent)
    })
}

fn unhandled_in(
    conn: &mut DbConn,
    consumer: &'static str,
    Window { from, upper, after }: Window,
    recent: &RecentMarks,
) -> Result<Unhandled, DbError> {
    let candidates: Vec<(i64, String)> = outbox_events::table
        .filter(outbox_events::seq.gt(from))
        .filter(outbox_events::seq.le(upper))
        .filter(outbox_events::occurred_at.le(db::now() - after))
        .order(outbox_events::seq.asc())
        .limit(SCAN_LIMIT)
        .select((outbox_events::seq, outbox_events::id))
        .load(conn)?;
    let mut examined_to = match candidates.last() {
        Some((seq, _)) if candidates.len() as i64 == SCAN_LIMIT => *seq,
        _ => upper,
    };
    // What this relay marked lately needs no question to the database.
    let candidates: Vec<(i64, String)> = candidates
        .into_iter()
        .filter(|(_, id)| !recent.contains(consumer, id))
        .collect();
    let mut handled = std::collections::HashSet::new();
    for chunk in candidates.chunks(1000) {
        let ids: Vec<&str> = chunk.iter().map(|(_, id)| id.as_str()).collect();
        handled.extend(
            outbox_handled::table
                .filter(outbox_handled::consumer.eq_any([consumer, ALL_CONSUMERS]))
                .filter(outbox_handled::event_id.eq_any(ids))
                .select(outbox_handled::event_id)
                .load::<String>(conn)?,
        );
    }
    let mut missing: Vec<i64> = candidates
        .iter()
        .filter(|(_, id)| !handled.contains(id))
        .map(|(seq, _)| *seq)
        .collect();
    if missing.len() > SWEEP_BATCH as usize {
        missing.truncate(SWEEP_BATCH as usize);
        examined_to = missing.last().copied().unwrap_or(examined_to);
    }
    if missing.is_empty() {
        return Ok(Unhandled {
            events: Vec::new(),
            examined_to,
        });
    }
    let rows: Vec<(i64, StoredEvent)> = outbox_events::table
        .filter(outbox_events::seq.eq_any(&missing))
        .order(outbox_events::seq.asc())
        .select((outbox_events::seq, StoredEvent::as_select()))
        .load(conn)?;
    Ok(Unhandled {
        events: rows
            .into_iter()
            .map(|(seq, row)| (seq, DomainEvent::from(row)))
            .collect(),
        examined_to,
    })
}

/// The `seq` of the newest event that happened before `at`: one seek on the
/// `occurred_at` index, however long the table.
pub(super) fn newest_seq_before(
    conn: &mut DbConn,
    at: NaiveDateTime,
) -> Result<Option<i64>, DbError> {
    Ok(outbox_events::table
        .filter(outbox_events::occurred_at.lt(at))
        .order(outbox_events::occurred_at.desc())
        .select(outbox_events::seq)
        .first::<i64>(conn)
        .optional()?)
}
