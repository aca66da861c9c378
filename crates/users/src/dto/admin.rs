//! Admin user routes' bodies.

use super::*;

/// `GET /admin/users` filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminListUsersQuery {
    /// Only this role.
    pub role: Option<Role>,
    /// Words in the name or email.
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    /// Only active (true) or deactivated (false) users.
    pub is_active: Option<bool>,
    /// Items per page, 1..100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `PATCH /admin/users/{id}`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct AdminUpdateUserRequest {
    /// Activate (true) or deactivate (false); a deactivated user's tokens
    /// stop working at once.
    pub is_active: bool,
}

/// `POST /admin/users/{id}/suspend`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct SuspendUserRequest {
    /// Why (1..500 characters); in the modlog.
    #[schema(min_length = 1, max_length = 500)]
    #[schema(example = "Repeated no-shows and abusive messages.")]
    pub reason: String,
    /// When the suspension ends by itself (in the future); absent or null:
    /// when an admin lifts it.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}
