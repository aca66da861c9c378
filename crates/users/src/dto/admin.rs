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
