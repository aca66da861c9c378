//! Reports and moderation across crates: the users crate keeps the report
//! queue, and each crate answers for its own objects through [`Moderated`]:
//! whether a user may see one (so reporting cannot probe for objects), a
//! snapshot of it as it is (evidence a later edit does not erase), and
//! hiding it. No crate reads another's tables to do so.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::ids::UserId;

/// What can be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// An account.
    User,
    /// A job.
    Job,
    /// An offer on a job.
    Offer,
    /// A chat message.
    Message,
    /// A rating.
    Rating,
}

impl TargetKind {
    /// Every kind.
    pub const ALL: [TargetKind; 5] = [
        TargetKind::User,
        TargetKind::Job,
        TargetKind::Offer,
        TargetKind::Message,
        TargetKind::Rating,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::User => "user",
            TargetKind::Job => "job",
            TargetKind::Offer => "offer",
            TargetKind::Message => "message",
            TargetKind::Rating => "rating",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// An object as it was when reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Who wrote or owns it (the account a `suspend_user` resolution
    /// suspends; for a user, the user).
    pub author_id: UserId,
    /// Its fields as the API shows them to an admin.
    pub content: serde_json::Value,
}

/// How a crate answers for the objects of its kinds.
pub trait Moderated: Send + Sync + 'static {
    /// The kinds this crate answers for.
    fn kinds(&self) -> &'static [TargetKind];

    /// The object as it is now, if `viewer` may see it; `None` when it does
    /// not exist or `viewer` may not see it (the report is then 404).
    fn snapshot(
        &self,
        kind: TargetKind,
        id: String,
        viewer: AuthUser,
    ) -> BoxFuture<'static, Result<Option<Snapshot>, ApiError>>;

    /// Hides the object (`admin` acting, in the modlog); answers whether it
    /// exists. Hiding twice is harmless. Kinds that cannot be hidden answer
    /// 422.
    fn hide(
        &self,
        kind: TargetKind,
        id: String,
        admin: UserId,
        reason: String,
    ) -> BoxFuture<'static, Result<bool, ApiError>>;
}

/// The crates that answer for reported objects.
pub type ModerationSources = Vec<std::sync::Arc<dyn Moderated>>;

/// The source answering for `kind`; none: 404 (nothing of that kind can
/// be seen here).
pub fn source_of(
    sources: &[std::sync::Arc<dyn Moderated>],
    kind: TargetKind,
) -> Result<std::sync::Arc<dyn Moderated>, ApiError> {
    sources
        .iter()
        .find(|source| source.kinds().contains(&kind))
        .cloned()
        .ok_or_else(|| ApiError::not_found(kind.as_str()))
}
