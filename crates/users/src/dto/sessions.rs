//! A login as its owner sees it.

use super::*;

/// A live login.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionResponse {
    /// Id.
    pub id: String,
    /// Logged in at.
    pub created_at: DateTime<Utc>,
    /// Last refreshed at.
    pub last_used_at: DateTime<Utc>,
    /// The client's `User-Agent` at login.
    #[schema(required = true)]
    pub user_agent: Option<String>,
    /// The client's IP at login.
    #[schema(required = true)]
    pub ip: Option<String>,
    /// Whether this is the login of the token making the request.
    pub current: bool,
}

impl SessionResponse {
    /// The view of a session; `current` names the caller's own.
    pub fn of(session: &LoginSession, current: &str) -> Self {
        Self {
            id: session.id.clone(),
            created_at: session.created_at.and_utc(),
            last_used_at: session.last_used_at.and_utc(),
            user_agent: session.user_agent.clone(),
            ip: session.ip.clone(),
            current: session.id == current,
        }
    }
}
