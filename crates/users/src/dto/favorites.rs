//! Favourites' bodies.

use super::*;

/// `POST /users/me/favorites`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct FavoriteRequest {
    /// The provider to remember.
    #[schema(min_length = 1, max_length = 64)]
    pub provider_id: String,
}
