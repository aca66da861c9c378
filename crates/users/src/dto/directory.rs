//! The public provider directory's bodies.

use super::*;

/// A provider in the public directory (no email, no phone).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProviderResponse {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Service category slug.
    #[schema(required = true)]
    pub category: Option<String>,
    /// What the provider does.
    #[schema(required = true)]
    pub description: Option<String>,
    /// Where the provider works.
    #[schema(required = true)]
    pub service_area: Option<String>,
    /// Hourly rate.
    #[schema(required = true)]
    pub hourly_rate_cents: Option<i64>,
    /// Currency of the rate.
    pub currency: String,
    /// Verified by an admin.
    pub verified: bool,
    /// Where the provider's verification stands.
    pub verification: ProfileVerification,
    /// Taking work now.
    pub is_available: bool,
    /// Base position.
    #[schema(required = true)]
    pub location: Option<Location>,
    /// Avatar URL.
    #[schema(required = true)]
    pub avatar_url: Option<String>,
    /// Average of revealed ratings; null until the first.
    #[schema(required = true)]
    pub rating_avg: Option<f64>,
    /// Revealed ratings.
    pub rating_count: i32,
    /// Member since.
    pub created_at: DateTime<Utc>,
    /// Distance from `near`, when the list was filtered by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

impl ProviderResponse {
    /// The directory view of a provider.
    pub fn of(user: &User, currency: &str, distance_km: Option<f64>) -> Self {
        Self {
            id: user.id.clone(),
            name: user.name.clone(),
            category: user.category.clone(),
            description: user.description.clone(),
            service_area: user.service_area.clone(),
            hourly_rate_cents: user.hourly_rate_cents,
            currency: currency.to_owned(),
            verified: user.verified,
            verification: ProfileVerification::of(user),
            is_available: user.is_available,
            location: location_of(user),
            avatar_url: user.avatar_url.clone(),
            rating_avg: user.rating_avg,
            rating_count: user.rating_count,
            created_at: user.created_at.and_utc(),
            distance_km: distance_km.map(|d| (d * 100.0).round() / 100.0),
        }
    }
}

/// `GET /providers` filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProvidersQuery {
    /// Category slug.
    pub category: Option<String>,
    /// Words in the name or description (case-insensitive).
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    /// `lat,lng`: only providers within `radius_km` of it.
    pub near: Option<String>,
    /// Radius for `near`, km (default 25).
    pub radius_km: Option<f64>,
    /// Lowest average rating, 0..5.
    #[param(minimum = 0.0, maximum = 5.0)]
    pub min_rating: Option<f64>,
    /// Only providers taking work now.
    pub available: Option<bool>,
    /// Only verified providers.
    pub verified: Option<bool>,
    /// Items per page, 1..100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
