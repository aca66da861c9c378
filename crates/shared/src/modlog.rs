//! The modlog: every admin action, appended by the crate that performs it
//! in the action's own transaction, read by admins newest first at
//! `GET /api/v1/admin/modlog`. Rows are never updated or deleted: the
//! database refuses it (triggers on both backends).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{self, DbConn};
use crate::pagination::Cursor;
use crate::schema::modlog;

/// What an admin did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModAction {
    /// Marked a provider verified (v1's direct verification).
    VerifyProvider,
    /// Approved a provider's verification documents.
    ApproveVerification,
    /// Rejected a provider's verification documents.
    RejectVerification,
    /// Activated or deactivated an account.
    SetUserActive,
    /// Suspended an account.
    SuspendUser,
    /// Lifted a suspension.
    UnsuspendUser,
    /// Deleted a rating.
    DeleteRating,
    /// Added a service category.
    AddCategory,
    /// Resolved a report.
    ResolveReport,
    /// Dismissed a report.
    DismissReport,
    /// Hid a job, message or rating.
    HideContent,
    /// Resolved a booking's dispute.
    ResolveDispute,
}

impl ModAction {
    /// Every action.
    pub const ALL: [ModAction; 12] = [
        ModAction::VerifyProvider,
        ModAction::ApproveVerification,
        ModAction::RejectVerification,
        ModAction::SetUserActive,
        ModAction::SuspendUser,
        ModAction::UnsuspendUser,
        ModAction::DeleteRating,
        ModAction::AddCategory,
        ModAction::ResolveReport,
        ModAction::DismissReport,
        ModAction::HideContent,
        ModAction::ResolveDispute,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ModAction::VerifyProvider => "verify_provider",
            ModAction::ApproveVerification => "approve_verification",
            ModAction::RejectVerification => "reject_verification",
            ModAction::SetUserActive => "set_user_active",
            ModAction::SuspendUser => "suspend_user",
            ModAction::UnsuspendUser => "unsuspend_user",
            ModAction::DeleteRating => "delete_rating",
            ModAction::AddCategory => "add_category",
            ModAction::ResolveReport => "resolve_report",
            ModAction::DismissReport => "dismiss_report",
            ModAction::HideContent => "hide_content",
            ModAction::ResolveDispute => "resolve_dispute",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// An admin action to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModEntry<'a> {
    /// The admin.
    pub actor_id: &'a str,
    /// What they did.
    pub action: ModAction,
    /// The kind of object it was done to (`user`, `rating`, `category`, ...).
    pub target_kind: &'static str,
    /// Its id.
    pub target_id: &'a str,
    /// Why, when the admin said.
    pub reason: Option<&'a str>,
}

/// Appends `entry` in the caller's transaction.
pub fn record(conn: &mut DbConn, entry: &ModEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(modlog::table)
        .values((
            modlog::id.eq(uuid::Uuid::now_v7().to_string()),
            modlog::actor_id.eq(entry.actor_id),
            modlog::action.eq(entry.action.as_str()),
            modlog::target_kind.eq(entry.target_kind),
            modlog::target_id.eq(entry.target_id),
            modlog::reason.eq(entry.reason),
            modlog::at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An admin action as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = modlog)]
pub struct StoredEntry {
    /// Id.
    pub id: String,
    /// The admin.
    pub actor_id: String,
    /// The action's stored name.
    pub action: String,
    /// The target's kind.
    pub target_kind: String,
    /// The target's id.
    pub target_id: String,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub at: NaiveDateTime,
}

/// The modlog's filters.
#[derive(Debug, Clone, Default)]
pub struct ModlogFilter {
    /// Only this action.
    pub action: Option<ModAction>,
    /// Only actions on this object.
    pub target_id: Option<String>,
}

/// Up to `limit` entries, newest first, after `cursor`.
pub fn list(
    conn: &mut DbConn,
    filter: &ModlogFilter,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<StoredEntry>> {
    let mut query = modlog::table.into_boxed();
    if let Some(action) = filter.action {
        query = query.filter(modlog::action.eq(action.as_str()));
    }
    if let Some(target) = &filter.target_id {
        query = query.filter(modlog::target_id.eq(target.clone()));
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            modlog::at.lt(cursor.at).or(modlog::at
                .eq(cursor.at)
                .and(modlog::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((modlog::at.desc(), modlog::id.desc()))
        .limit(limit)
        .select(StoredEntry::as_select())
        .load(conn)
}

/// The object an admin action was done to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ModTarget {
    /// Its kind: `user`, `rating`, `category`, `booking`, `report`, ...
    #[schema(example = "user")]
    pub kind: String,
    /// Its id (a category's: its slug).
    pub id: String,
}

/// One line of the modlog.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ModlogEntryResponse {
    /// Id.
    pub id: String,
    /// The admin who acted.
    pub actor_id: String,
    /// What they did.
    pub action: ModAction,
    /// What they did it to.
    pub target: ModTarget,
    /// Why, as they said; null when the action takes no reason.
    #[schema(required = true)]
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

impl ModlogEntryResponse {
    /// The answer for a stored entry; `None` for an action this build does
    /// not know (written by a newer one).
    pub fn of(entry: &StoredEntry) -> Option<Self> {
        Some(Self {
            id: entry.id.clone(),
            actor_id: entry.actor_id.clone(),
            action: ModAction::parse(&entry.action)?,
            target: ModTarget {
                kind: entry.target_kind.clone(),
                id: entry.target_id.clone(),
            },
            reason: entry.reason.clone(),
            at: entry.at.and_utc(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;

    fn entry(target: &str) -> ModEntry<'_> {
        ModEntry {
            actor_id: "admin",
            action: ModAction::DeleteRating,
            target_kind: "rating",
            target_id: target,
            reason: Some("abusive"),
        }
    }

    #[tokio::test]
    async fn entries_are_listed_newest_first_and_never_change() {
        let db = TestDatabase::new(&[db::MIGRATIONS]);
        db::run(&db.pool(), |conn| {
            record(conn, &entry("first"))?;
            record(conn, &entry("second"))?;
            let listed = list(conn, &ModlogFilter::default(), None, 10)?;
            let targets: Vec<&str> = listed.iter().map(|e| e.target_id.as_str()).collect();
            assert_eq!(targets, ["second", "first"]);
            let only = ModlogFilter {
                target_id: Some("first".to_owned()),
                ..ModlogFilter::default()
            };
            assert_eq!(list(conn, &only, None, 10)?.len(), 1);

            let edited = conn.transaction(|conn| {
                diesel::update(modlog::table)
                    .set(modlog::reason.eq("nothing happened"))
                    .execute(conn)
            });
            assert!(edited.is_err(), "an update is refused");
            let erased = conn.transaction(|conn| diesel::delete(modlog::table).execute(conn));
            assert!(erased.is_err(), "a delete is refused");
            let kept = list(conn, &ModlogFilter::default(), None, 10)?;
            assert_eq!(kept.len(), 2);
            assert!(kept.iter().all(|e| e.reason.as_deref() == Some("abusive")));
            Ok::<_, db::DbError>(())
        })
        .await
        .expect("ran");
    }

    #[test]
    fn names_round_trip() {
        for action in ModAction::ALL {
            assert_eq!(ModAction::parse(action.as_str()), Some(action));
        }
    }
}
