//! Reports' bodies.

use quickfix_shared::moderation::TargetKind;

use super::*;
use crate::models::Report;

/// Why something is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    /// Unwanted advertising or repetition.
    Spam,
    /// Insults, threats, harassment.
    Abuse,
    /// Deception for gain.
    Fraud,
    /// Content that does not belong here.
    Inappropriate,
    /// Anything else (say what in `note`).
    Other,
}

impl ReportReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportReason::Spam => "spam",
            ReportReason::Abuse => "abuse",
            ReportReason::Fraud => "fraud",
            ReportReason::Inappropriate => "inappropriate",
            ReportReason::Other => "other",
        }
    }

    fn parse(raw: &str) -> Self {
        [
            ReportReason::Spam,
            ReportReason::Abuse,
            ReportReason::Fraud,
            ReportReason::Inappropriate,
        ]
        .into_iter()
        .find(|r| r.as_str() == raw)
        .unwrap_or(ReportReason::Other)
    }
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Waits for an admin.
    Open,
    /// An admin acted on it.
    Resolved,
    /// An admin found nothing to act on.
    Dismissed,
}

impl ReportStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Open => "open",
            ReportStatus::Resolved => "resolved",
            ReportStatus::Dismissed => "dismissed",
        }
    }

    fn parse(raw: &str) -> Self {
        match raw {
            "resolved" => ReportStatus::Resolved,
            "dismissed" => ReportStatus::Dismissed,
            _ => ReportStatus::Open,
        }
    }
}

/// What an admin does about a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionAction {
    /// Nothing but closing it.
    None,
    /// Hide the target (jobs, messages, ratings).
    Hide,
    /// Suspend the target's author (the user, for a user), until lifted.
    SuspendUser,
}

impl ResolutionAction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionAction::None => "none",
            ResolutionAction::Hide => "hide",
            ResolutionAction::SuspendUser => "suspend_user",
        }
    }

    fn parse(raw: &str) -> Self {
        match raw {
            "hide" => ResolutionAction::Hide,
            "suspend_user" => ResolutionAction::SuspendUser,
            _ => ResolutionAction::None,
        }
    }
}

/// What a report is about.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct ReportTarget {
    /// Its kind.
    pub kind: TargetKind,
    /// Its id.
    #[schema(min_length = 1, max_length = 64)]
    pub id: String,
}

/// `POST /reports`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct CreateReportRequest {
    /// What is reported.
    pub target: ReportTarget,
    /// Why.
    pub reason: ReportReason,
    /// More words for the admins (1..2000 characters).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    #[schema(example = "He asked me to pay outside the app.")]
    pub note: Option<String>,
}

/// A report as its reporter sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportResponse {
    /// Id.
    pub id: String,
    /// What is reported.
    pub target: ReportTarget,
    /// Why.
    pub reason: ReportReason,
    /// The reporter's words.
    #[schema(required = true)]
    pub note: Option<String>,
    /// Where it stands.
    pub status: ReportStatus,
    /// Reported.
    pub created_at: DateTime<Utc>,
}

/// How an admin closed a report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportResolution {
    /// What they did (`none` for a dismissal).
    pub action: ResolutionAction,
    /// Their note.
    pub note: String,
    /// Who.
    pub admin_id: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A report as admins see it: with its reporter, the target as it was
/// when reported, and the resolution.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminReportResponse {
    /// Id.
    pub id: String,
    /// What is reported.
    pub target: ReportTarget,
    /// Why.
    pub reason: ReportReason,
    /// The reporter's words.
    #[schema(required = true)]
    pub note: Option<String>,
    /// Where it stands.
    pub status: ReportStatus,
    /// Reported.
    pub created_at: DateTime<Utc>,
    /// Who reported it; null once they deleted their account.
    #[schema(required = true)]
    pub reporter_id: Option<String>,
    /// The target's author or owner (the account `suspend_user` suspends).
    pub target_author_id: String,
    /// The target as it was when reported.
    #[schema(value_type = Object)]
    pub snapshot: serde_json::Value,
    /// How it was closed; null while open.
    #[schema(required = true)]
    pub resolution: Option<ReportResolution>,
}

fn target_of(report: &Report) -> ReportTarget {
    ReportTarget {
        kind: TargetKind::parse(&report.target_kind).unwrap_or(TargetKind::User),
        id: report.target_id.clone(),
    }
}

impl From<&Report> for ReportResponse {
    fn from(report: &Report) -> Self {
        Self {
            id: report.id.clone(),
            target: target_of(report),
            reason: ReportReason::parse(&report.reason),
            note: report.note.clone(),
            status: ReportStatus::parse(&report.status),
            created_at: report.created_at.and_utc(),
        }
    }
}

impl From<&Report> for AdminReportResponse {
    fn from(report: &Report) -> Self {
        let resolution = match (&report.resolved_by, report.resolved_at) {
            (Some(admin), Some(at)) => Some(ReportResolution {
                action: report
                    .resolution_action
                    .as_deref()
                    .map_or(ResolutionAction::None, ResolutionAction::parse),
                note: report.resolution_note.clone().unwrap_or_default(),
                admin_id: admin.clone(),
                at: at.and_utc(),
            }),
            _ => None,
        };
        Self {
            id: report.id.clone(),
            target: target_of(report),
            reason: ReportReason::parse(&report.reason),
            note: report.note.clone(),
            status: ReportStatus::parse(&report.status),
            created_at: report.created_at.and_utc(),
            reporter_id: report.reporter_id.clone(),
            target_author_id: report.target_author_id.clone(),
            snapshot: serde_json::from_str(&report.snapshot).unwrap_or(serde_json::Value::Null),
            resolution,
        }
    }
}

/// `POST /admin/reports/{id}/resolve`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct ResolveReportRequest {
    /// What to do.
    pub action: ResolutionAction,
    /// Why (1..2000 characters); in the modlog.
    #[schema(min_length = 1, max_length = 2000)]
    #[schema(example = "Asked for payment outside the platform.")]
    pub note: String,
}

/// `POST /admin/reports/{id}/dismiss`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct DismissReportRequest {
    /// Why (1..2000 characters); in the modlog.
    #[schema(min_length = 1, max_length = 2000)]
    #[schema(example = "Nothing against the rules.")]
    pub note: String,
}

/// `GET /admin/reports` filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListReportsQuery {
    /// Only reports in this state.
    pub status: Option<ReportStatus>,
    /// Only reports of this kind of target.
    pub kind: Option<TargetKind>,
    /// Items per page, 1..100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
