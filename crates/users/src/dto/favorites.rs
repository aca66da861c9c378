//! Favourites' and blocks' bodies.

use super::*;

/// `POST /users/me/favorites`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct FavoriteRequest {
    /// The provider to remember.
    #[schema(min_length = 1, max_length = 64)]
    pub provider_id: String,
}

/// `POST /users/me/blocks`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct BlockRequest {
    /// The user to block.
    #[schema(min_length = 1, max_length = 64)]
    pub user_id: String,
}

/// A user the caller blocked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BlockResponse {
    /// The blocked user, as anyone sees them.
    pub user: PublicUserResponse,
    /// When they were blocked.
    pub created_at: DateTime<Utc>,
}
