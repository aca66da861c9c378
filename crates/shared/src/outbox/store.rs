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

/// Events above `floor`, older than `after`, that `consumer` has not
/// handled, oldest first.
pub(super) fn unhandled(
    conn: &mut DbConn,
    consumer: &'static str,
    floor: i64,
    after: TimeDelta,
) -> Result<Vec<DomainEvent>, DbError> {
    let rows: Vec<StoredEvent> = outbox_events::table
        .filter(outbox_events::seq.gt(floor))
        .filter(outbox_events::occurred_at.le(db::now() - after))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            outbox_handled::table
                .filter(outbox_handled::consumer.eq(consumer))
                .filter(outbox_handled::event_id.eq(outbox_events::id)),
        )))
        .order(outbox_events::seq.asc())
        .limit(SWEEP_BATCH)
        .select(StoredEvent::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(DomainEvent::from).collect())
}

/// The highest `seq` below which no transaction can still commit an event.
pub(super) fn settled_floor(conn: &mut DbConn) -> Result<Option<i64>, DbError> {
    Ok(outbox_events::table
        .filter(outbox_events::occurred_at.lt(db::now() - GAP_WINDOW))
        .select(diesel::dsl::max(outbox_events::seq))
        .first::<Option<i64>>(conn)?)
}
