//! Request and response types of the users routes.

use chrono::{DateTime, Utc};
use quickfix_shared::auth::Role;
use quickfix_shared::extract::nullable;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::models::{LoginSession, ProviderService, User};

/// Roles open to public registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegisterRole {
    /// Posts jobs.
    Customer,
    /// Offers services.
    Provider,
}

impl From<RegisterRole> for Role {
    fn from(role: RegisterRole) -> Self {
        match role {
            RegisterRole::Customer => Role::Customer,
            RegisterRole::Provider => Role::Provider,
        }
    }
}

/// `POST /auth/register`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct RegisterRequest {
    /// Email address; unique, case-insensitive.
    #[validate(email, length(max = 254))]
    #[schema(example = "ana@example.com")]
    pub email: String,
    /// At least 8 characters.
    #[validate(length(min = 8, max = 128))]
    #[schema(example = "correct horse battery", min_length = 8, max_length = 128)]
    pub password: String,
    /// `customer` or `provider`; admins are made by `create-admin`.
    pub role: RegisterRole,
    /// Display name.
    #[validate(length(min = 1, max = 100))]
    #[schema(example = "Ana Lima", min_length = 1, max_length = 100)]
    pub name: String,
    /// Phone number.
    #[validate(length(min = 3, max = 32))]
    #[serde(default)]
    pub phone: Option<String>,
}

/// `POST /auth/login`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct LoginRequest {
    /// Email address.
    #[validate(length(min = 1, max = 254))]
    pub email: String,
    /// Password.
    #[validate(length(min = 1, max = 128))]
    pub password: String,
}

/// `POST /auth/refresh` and `POST /auth/logout`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh.
    #[validate(length(min = 1, max = 200))]
    pub refresh_token: String,
}

/// Tokens with the user they belong to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthResponse {
    /// The user.
    pub user: UserResponse,
    /// A short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// A single-use token for `/auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
}

/// A position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Location {
    /// Latitude, -90..90.
    #[schema(minimum = -90, maximum = 90, example = 38.7223)]
    pub lat: f64,
    /// Longitude, -180..180.
    #[schema(minimum = -180, maximum = 180, example = -9.1393)]
    pub lng: f64,
}

/// A customer's (or admin's) profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerProfile {
    /// Display name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Average of revealed ratings; null until the first.
    pub rating_avg: Option<f64>,
    /// Revealed ratings.
    pub rating_count: i32,
}

/// A provider's profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProviderProfile {
    /// Display name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Service category slug.
    pub category: Option<String>,
    /// What the provider does.
    pub description: Option<String>,
    /// Where the provider works.
    pub service_area: Option<String>,
    /// Hourly rate.
    pub hourly_rate_cents: Option<i64>,
    /// Currency of the rate.
    pub currency: String,
    /// Verified by an admin.
    pub verified: bool,
    /// Taking work now.
    pub is_available: bool,
    /// Base position.
    pub location: Option<Location>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Average of revealed ratings; null until the first.
    pub rating_avg: Option<f64>,
    /// Revealed ratings.
    pub rating_count: i32,
}

/// A profile: the provider shape for providers, the customer shape otherwise.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ProfileResponse {
    /// A provider's profile.
    Provider(ProviderProfile),
    /// A customer's or admin's profile.
    Customer(CustomerProfile),
}

/// A user as its owner and admins see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserResponse {
    /// Id.
    pub id: String,
    /// Email; present only for the user itself and admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// Whether the account may act.
    pub is_active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Profile.
    pub profile: ProfileResponse,
}

impl UserResponse {
    /// The full view, email included.
    pub fn private(user: &User, currency: &str) -> Self {
        Self {
            email: Some(user.email.clone()),
            ..Self::without_email(user, currency)
        }
    }

    /// The view without email.
    pub fn without_email(user: &User, currency: &str) -> Self {
        Self {
            id: user.id.clone(),
            email: None,
            role: Role::parse(&user.role).unwrap_or(Role::Customer),
            is_active: user.is_active,
            created_at: user.created_at.and_utc(),
            profile: profile_of(user, currency),
        }
    }
}

fn location_of(user: &User) -> Option<Location> {
    match (user.lat, user.lng) {
        (Some(lat), Some(lng)) => Some(Location { lat, lng }),
        _ => None,
    }
}

fn profile_of(user: &User, currency: &str) -> ProfileResponse {
    if user.role == Role::Provider.as_str() {
        ProfileResponse::Provider(ProviderProfile {
            name: user.name.clone(),
            phone: user.phone.clone(),
            category: user.category.clone(),
            description: user.description.clone(),
            service_area: user.service_area.clone(),
            hourly_rate_cents: user.hourly_rate_cents,
            currency: currency.to_owned(),
            verified: user.verified,
            is_available: user.is_available,
            location: location_of(user),
            avatar_url: user.avatar_url.clone(),
            rating_avg: user.rating_avg,
            rating_count: user.rating_count,
        })
    } else {
        ProfileResponse::Customer(CustomerProfile {
            name: user.name.clone(),
            phone: user.phone.clone(),
            address: user.address.clone(),
            avatar_url: user.avatar_url.clone(),
            rating_avg: user.rating_avg,
            rating_count: user.rating_count,
        })
    }
}

/// The public view of any user: no email, no phone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicUserResponse {
    /// Id.
    pub id: String,
    /// Role.
    pub role: Role,
    /// Display name.
    pub name: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Average of revealed ratings; null until the first.
    pub rating_avg: Option<f64>,
    /// Revealed ratings.
    pub rating_count: i32,
    /// Member since.
    pub created_at: DateTime<Utc>,
}

impl From<&User> for PublicUserResponse {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.clone(),
            role: Role::parse(&user.role).unwrap_or(Role::Customer),
            name: user.name.clone(),
            avatar_url: user.avatar_url.clone(),
            rating_avg: user.rating_avg,
            rating_count: user.rating_count,
            created_at: user.created_at.and_utc(),
        }
    }
}

/// A provider in the public directory (no email, no phone).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProviderResponse {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Service category slug.
    pub category: Option<String>,
    /// What the provider does.
    pub description: Option<String>,
    /// Where the provider works.
    pub service_area: Option<String>,
    /// Hourly rate.
    pub hourly_rate_cents: Option<i64>,
    /// Currency of the rate.
    pub currency: String,
    /// Verified by an admin.
    pub verified: bool,
    /// Taking work now.
    pub is_available: bool,
    /// Base position.
    pub location: Option<Location>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Average of revealed ratings; null until the first.
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

/// `PATCH /users/me`: only the fields present change; `null` clears.
/// Provider-only fields (`category`, `description`, `service_area`,
/// `hourly_rate_cents`, `is_available`, `location`) are refused for
/// customers, and `address` for providers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateProfileRequest {
    /// Display name (1..100).
    #[serde(default)]
    pub name: Option<String>,
    /// Phone (3..32), or null.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// Address (up to 300), or null. Customers only.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// Category slug, or null. Providers only.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    /// Description (up to 2000), or null. Providers only.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// Service area (up to 200), or null. Providers only.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub service_area: Option<Option<String>>,
    /// Hourly rate (1..100000000), or null. Providers only.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub hourly_rate_cents: Option<Option<i64>>,
    /// Taking work now. Providers only.
    #[serde(default)]
    pub is_available: Option<bool>,
    /// Base position, or null. Providers only.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Location>)]
    pub location: Option<Option<Location>>,
}

impl Validate for UpdateProfileRequest {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

/// `PUT /users/me/password`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct ChangePasswordRequest {
    /// The password now.
    #[validate(length(min = 1, max = 128))]
    pub current_password: String,
    /// The new password, at least 8 characters.
    #[validate(length(min = 8, max = 128))]
    pub new_password: String,
}

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
    pub user_agent: Option<String>,
    /// The client's IP at login.
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

/// How a catalog service is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceUnit {
    /// Per hour.
    Hour,
    /// Per job.
    Job,
}

impl PriceUnit {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceUnit::Hour => "hour",
            PriceUnit::Job => "job",
        }
    }
}

/// `POST /providers/me/services` and `PUT /providers/me/services/{id}`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct CatalogServiceRequest {
    /// Title.
    #[validate(length(min = 1, max = 120))]
    #[schema(example = "Leak repair", min_length = 1, max_length = 120)]
    pub title: String,
    /// Description.
    #[validate(length(max = 2000))]
    #[serde(default)]
    pub description: String,
    /// Category slug.
    #[validate(length(min = 1, max = 50))]
    #[schema(example = "plumbing")]
    pub category: String,
    /// Price in minor units.
    #[validate(range(min = 1, max = 100_000_000))]
    #[schema(minimum = 1, maximum = 100_000_000, example = 4500)]
    pub price_cents: i64,
    /// `hour` or `job`.
    pub unit: PriceUnit,
}

/// A service in a provider's catalog.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CatalogServiceResponse {
    /// Id.
    pub id: String,
    /// The provider.
    pub provider_id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Category slug.
    pub category: String,
    /// Price in minor units.
    pub price_cents: i64,
    /// `hour` or `job`.
    pub unit: PriceUnit,
    /// Currency.
    pub currency: String,
}

impl CatalogServiceResponse {
    /// The view of a catalog row.
    pub fn of(row: &ProviderService, currency: &str) -> Self {
        Self {
            id: row.id.clone(),
            provider_id: row.provider_id.clone(),
            title: row.title.clone(),
            description: row.description.clone(),
            category: row.category.clone(),
            price_cents: row.price_cents,
            unit: if row.unit == PriceUnit::Hour.as_str() {
                PriceUnit::Hour
            } else {
                PriceUnit::Job
            },
            currency: currency.to_owned(),
        }
    }
}

/// `POST /users/me/favorites`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct FavoriteRequest {
    /// The provider to remember.
    #[validate(length(min = 1, max = 64))]
    pub provider_id: String,
}

/// `GET /providers` filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProvidersQuery {
    /// Category slug.
    pub category: Option<String>,
    /// Words in the name or description (case-insensitive).
    #[validate(length(min = 1, max = 100))]
    pub q: Option<String>,
    /// `lat,lng`: only providers within `radius_km` of it.
    pub near: Option<String>,
    /// Radius for `near`, km (default 25).
    pub radius_km: Option<f64>,
    /// Lowest average rating, 0..5.
    #[validate(range(min = 0.0, max = 5.0))]
    pub min_rating: Option<f64>,
    /// Only providers taking work now.
    pub available: Option<bool>,
    /// Only verified providers.
    pub verified: Option<bool>,
    /// Items per page, 1..100 (default 20).
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /admin/users` filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminListUsersQuery {
    /// Only this role.
    pub role: Option<Role>,
    /// Words in the name or email.
    #[validate(length(min = 1, max = 100))]
    pub q: Option<String>,
    /// Only active (true) or deactivated (false) users.
    pub is_active: Option<bool>,
    /// Items per page, 1..100 (default 20).
    #[validate(range(min = 1, max = 100))]
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

/// `PUT /users/me/avatar` body, for the document.
#[derive(Debug, ToSchema)]
pub struct AvatarUpload {
    /// A PNG, JPEG or WebP image of at most 2 MiB.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
}
