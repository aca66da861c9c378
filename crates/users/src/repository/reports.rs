//! Queries of reports.

use super::*;
use crate::models::Report;
use crate::schema::reports;

/// Stores a report; a second open one of the same reporter and target is
/// a unique violation.
pub fn insert_report(conn: &mut DbConn, report: &Report) -> QueryResult<usize> {
    diesel::insert_into(reports::table)
        .values(report)
        .execute(conn)
}

/// A report by id.
pub fn find_report(conn: &mut DbConn, id: &str) -> QueryResult<Option<Report>> {
    reports::table
        .find(id)
        .select(Report::as_select())
        .first(conn)
        .optional()
}

/// The reporter's open report of a target.
pub fn open_report_of(
    conn: &mut DbConn,
    reporter: &str,
    kind: &str,
    target: &str,
) -> QueryResult<Option<Report>> {
    reports::table
        .filter(reports::reporter_id.eq(reporter))
        .filter(reports::target_kind.eq(kind))
        .filter(reports::target_id.eq(target))
        .filter(reports::status.eq("open"))
        .select(Report::as_select())
        .first(conn)
        .optional()
}

/// The admin queue, oldest first after `cursor`.
pub fn list_reports(
    conn: &mut DbConn,
    status: Option<&str>,
    kind: Option<&str>,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<Report>> {
    let mut query = reports::table
        .select(Report::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(status) = status {
        query = query.filter(reports::status.eq(status.to_owned()));
    }
    if let Some(kind) = kind {
        query = query.filter(reports::target_kind.eq(kind.to_owned()));
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            reports::created_at.gt(cursor.at).or(reports::created_at
                .eq(cursor.at)
                .and(reports::id.gt(cursor.id.clone()))),
        );
    }
    query
        .order((reports::created_at.asc(), reports::id.asc()))
        .limit(limit)
        .load(conn)
}

/// Closes an open report; 0 rows when it is closed already.
pub fn close_report(
    conn: &mut DbConn,
    id: &str,
    status: &str,
    action: Option<&str>,
    note: &str,
    admin: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(reports::table.find(id).filter(reports::status.eq("open")))
        .set((
            reports::status.eq(status),
            reports::resolution_action.eq(action),
            reports::resolution_note.eq(Some(note)),
            reports::resolved_by.eq(Some(admin)),
            reports::resolved_at.eq(Some(now)),
        ))
        .execute(conn)
}

/// A deleted account's reports lose their reporter.
pub fn forget_reporter(conn: &mut DbConn, reporter: &str) -> QueryResult<usize> {
    diesel::update(reports::table.filter(reports::reporter_id.eq(reporter)))
        .set(reports::reporter_id.eq(None::<String>))
        .execute(conn)
}

/// Every report `reporter` filed, oldest first (a data export).
pub fn reports_by(conn: &mut DbConn, reporter: &str) -> QueryResult<Vec<Report>> {
    reports::table
        .filter(reports::reporter_id.eq(reporter))
        .order((reports::created_at.asc(), reports::id.asc()))
        .select(Report::as_select())
        .load(conn)
}
