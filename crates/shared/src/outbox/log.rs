//! The outbox read as the log of domain events (`GET /admin/events`).

use super::*;

/// An event as admins read it, with the consumers that parked it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoggedEvent {
    /// The event.
    #[serde(flatten)]
    pub event: DomainEvent,
    /// Consumers that gave up on it.
    pub parked: Vec<ParkedDelivery>,
}

/// A consumer's given-up delivery of an event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ParkedDelivery {
    /// The consumer.
    pub consumer: String,
    /// Its tries.
    pub attempts: i32,
    /// The last failure.
    pub last_error: String,
    /// When it gave up.
    pub parked_at: chrono::DateTime<chrono::Utc>,
}

/// What admins filter the log by.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Only this kind.
    pub kind: Option<String>,
    /// Only events about this object.
    pub subject_id: Option<String>,
}

/// The event log, newest first, after `cursor`, at most `limit` rows (the
/// caller asks one more to know whether a next page exists).
pub fn list(
    conn: &mut DbConn,
    filter: &LogFilter,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<(LoggedEvent, NaiveDateTime)>, DbError> {
    let mut query = outbox_events::table.into_boxed();
    if let Some(kind) = &filter.kind {
        query = query.filter(outbox_events::kind.eq(kind.clone()));
    }
    if let Some(subject) = &filter.subject_id {
        query = query.filter(outbox_events::subject_id.eq(subject.clone()));
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            outbox_events::occurred_at
                .lt(cursor.at)
                .or(outbox_events::occurred_at
                    .eq(cursor.at)
                    .and(outbox_events::id.lt(cursor.id.clone()))),
        );
    }
    let rows: Vec<StoredEvent> = query
        .order((outbox_events::occurred_at.desc(), outbox_events::id.desc()))
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let parked: Vec<(String, String, i32, String, NaiveDateTime)> = outbox_parked::table
        .filter(outbox_parked::event_id.eq_any(&ids))
        .select((
            outbox_parked::event_id,
            outbox_parked::consumer,
            outbox_parked::attempts,
            outbox_parked::last_error,
            outbox_parked::parked_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let at = row.occurred_at;
            let parked = parked
                .iter()
                .filter(|p| p.0 == row.id)
                .map(|p| ParkedDelivery {
                    consumer: p.1.clone(),
                    attempts: p.2,
                    last_error: p.3.clone(),
                    parked_at: p.4.and_utc(),
                })
                .collect();
            (
                LoggedEvent {
                    event: DomainEvent::from(row),
                    parked,
                },
                at,
            )
        })
        .collect())
}
