//! Reports: filed by anyone about what they can see (the owning crate
//! answered that, with a snapshot), one open report per reporter and
//! target; the admin queue, resolution and dismissal, in the modlog.

use super::*;
use crate::models::Report;
use quickfix_shared::moderation::{Snapshot, TargetKind};
use quickfix_shared::modlog::{self, ModAction, ModEntry};

/// A report to file.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// The target's kind.
    pub kind: TargetKind,
    /// The target's id.
    pub target_id: String,
    /// The target as the owning crate showed it.
    pub snapshot: Snapshot,
    /// `spam`, `abuse`, ...
    pub reason: &'static str,
    /// The reporter's words.
    pub note: Option<String>,
}

/// Files a report, or answers the reporter's open one of the same target;
/// answers whether this call made it.
pub fn file_report(
    conn: &mut DbConn,
    reporter: &UserId,
    new: &NewReport,
) -> Result<(Report, bool), UsersError> {
    db::write_transaction(conn, |conn| {
        let kind = new.kind.as_str();
        if let Some(open) = repo::open_report_of(conn, reporter.as_str(), kind, &new.target_id)? {
            return Ok((open, false));
        }
        let report = Report {
            id: uuid::Uuid::now_v7().to_string(),
            reporter_id: Some(reporter.to_string()),
            target_kind: kind.to_owned(),
            target_id: new.target_id.clone(),
            target_author_id: new.snapshot.author_id.to_string(),
            reason: new.reason.to_owned(),
            note: new.note.clone(),
            status: "open".to_owned(),
            snapshot: new.snapshot.content.to_string(),
            resolution_action: None,
            resolution_note: None,
            resolved_by: None,
            resolved_at: None,
            created_at: now(),
        };
        let inserted =
            diesel::Connection::transaction(conn, |conn| repo::insert_report(conn, &report));
        match inserted {
            Ok(_) => Ok((report, true)),
            // The same reporter raced in with the same target.
            Err(err) if is_unique_violation(&err) => {
                let open = repo::open_report_of(conn, reporter.as_str(), kind, &new.target_id)?
                    .ok_or(UsersError::Internal(
                        "a unique violation without a report".into(),
                    ))?;
                Ok((open, false))
            }
            Err(err) => Err(err.into()),
        }
    })
}

/// A report for the admins; 404 when there is none.
pub fn get_report(conn: &mut DbConn, id: &str) -> Result<Report, UsersError> {
    repo::find_report(conn, id)?.ok_or(UsersError::NotFound("report"))
}

/// The admin queue, oldest first.
pub fn admin_list_reports(
    conn: &mut DbConn,
    status: Option<&str>,
    kind: Option<&str>,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<Report>, UsersError> {
    let rows = repo::list_reports(conn, status, kind, cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| Cursor::new(r.created_at, r.id.clone()),
        |r| r,
    ))
}

/// Closes an open report as `resolved` with `action`, or `dismissed`
/// (`action` none); a closed one is 409 `report_closed`. Resolving with
/// `suspend_user` suspends the target's author until lifted, in the same
/// transaction (the caller stores `user.suspended` and ends the sockets).
/// In the modlog.
pub fn close_report(
    conn: &mut DbConn,
    admin: &UserId,
    id: &str,
    action: Option<&'static str>,
    note: &str,
) -> Result<Report, UsersError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        let report = get_report(conn, id)?;
        let (status, logged) = match action {
            Some(_) => ("resolved", ModAction::ResolveReport),
            None => ("dismissed", ModAction::DismissReport),
        };
        if repo::close_report(
            conn,
            id,
            status,
            action.or(Some("none")),
            note,
            admin.as_str(),
            at,
        )? == 0
        {
            return Err(UsersError::ReportClosed);
        }
        modlog::record(
            conn,
            &ModEntry {
                actor_id: admin.as_str(),
                action: logged,
                target_kind: "report",
                target_id: id,
                reason: Some(note),
            },
        )?;
        if action == Some("suspend_user") {
            let author = UserId::from_db(report.target_author_id.clone());
            suspend_user(conn, admin, &author, note, None)?;
        }
        get_report(conn, id)
    })
}
