//! A user as the API shows it, and the changes to a profile.

use super::*;

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

/// The discriminator of a customer's (or admin's) profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    /// Always `customer`.
    Customer,
}

/// The discriminator of a provider's profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Always `provider`.
    Provider,
}

/// A customer's (or admin's) profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerProfile {
    /// `customer`: the profile union's discriminator.
    pub kind: CustomerKind,
    /// Display name.
    pub name: String,
    /// Phone.
    #[schema(required = true)]
    pub phone: Option<String>,
    /// Postal address.
    #[schema(required = true)]
    pub address: Option<String>,
    /// Avatar URL.
    #[schema(required = true)]
    pub avatar_url: Option<String>,
    /// Average of revealed ratings; null until the first.
    #[schema(required = true)]
    pub rating_avg: Option<f64>,
    /// Revealed ratings.
    pub rating_count: i32,
}

/// A provider's profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProviderProfile {
    /// `provider`: the profile union's discriminator.
    pub kind: ProviderKind,
    /// Display name.
    pub name: String,
    /// Phone.
    #[schema(required = true)]
    pub phone: Option<String>,
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
}

/// A profile: the provider shape for providers, the customer shape otherwise;
/// `kind` tells which.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "kind", mapping(
    ("provider" = "#/components/schemas/ProviderProfile"),
    ("customer" = "#/components/schemas/CustomerProfile")
)))]
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
    /// Whether the owner of the email confirmed it (by the link of the
    /// verification email).
    pub email_verified: bool,
    /// Role.
    pub role: Role,
    /// Whether the account may act.
    pub is_active: bool,
    /// When the account's suspension ends by itself; null when it is not
    /// suspended or its suspension lasts until an admin lifts it (then
    /// `is_active` is false).
    #[schema(required = true)]
    pub suspended_until: Option<DateTime<Utc>>,
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
            email_verified: user.email_verified,
            role: Role::parse(&user.role).unwrap_or(Role::Customer),
            is_active: user.is_active,
            suspended_until: user
                .suspended_until
                .filter(|_| user.suspended_at.is_some())
                .map(|t| t.and_utc()),
            created_at: user.created_at.and_utc(),
            profile: profile_of(user, currency),
        }
    }
}

pub(super) fn location_of(user: &User) -> Option<Location> {
    match (user.lat, user.lng) {
        (Some(lat), Some(lng)) => Some(Location { lat, lng }),
        _ => None,
    }
}

fn profile_of(user: &User, currency: &str) -> ProfileResponse {
    if user.role == Role::Provider.as_str() {
        ProfileResponse::Provider(ProviderProfile {
            kind: ProviderKind::Provider,
            name: user.name.clone(),
            phone: user.phone.clone(),
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
        })
    } else {
        ProfileResponse::Customer(CustomerProfile {
            kind: CustomerKind::Customer,
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
    #[schema(required = true)]
    pub avatar_url: Option<String>,
    /// Average of revealed ratings; null until the first.
    #[schema(required = true)]
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

/// `PATCH /users/me`: only the fields present change; `null` clears.
/// Provider-only fields (`category`, `description`, `service_area`,
/// `hourly_rate_cents`, `is_available`, `location`) are ignored for
/// customers, and `address` for providers: the role is the token's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateProfileRequest {
    /// Display name (1..100, not blank).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: Option<String>,
    /// Phone (3..32 without surrounding spaces), or null.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 3, max_length = 32, pattern = "^\\S(?:.*\\S)?$")]
    pub phone: Option<Option<String>>,
    /// Address (1..300 without surrounding spaces), or null. Customers
    /// only: a provider's is ignored.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300, pattern = "^\\S(?:.*\\S)?$")]
    pub address: Option<Option<String>>,
    /// Category slug, or null. Providers only (a customer's is ignored, as
    /// are the other provider fields below).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    /// Description (up to 2000), or null. Providers only.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    /// Service area (up to 200), or null. Providers only.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub service_area: Option<Option<String>>,
    /// Hourly rate (1..100000000), or null. Providers only.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100000000)]
    pub hourly_rate_cents: Option<Option<i64>>,
    /// Taking work now. Providers only.
    #[serde(default)]
    pub is_available: Option<bool>,
    /// Base position, or null. Providers only.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Location>)]
    pub location: Option<Option<Location>>,
}

impl UpdateProfileRequest {
    /// The request without the fields the other role has: a provider's
    /// `address`, a customer's provider fields.
    pub fn for_role(&self, is_provider: bool) -> Self {
        if is_provider {
            Self {
                address: None,
                ..self.clone()
            }
        } else {
            Self {
                name: self.name.clone(),
                phone: self.phone.clone(),
                address: self.address.clone(),
                ..Self::default()
            }
        }
    }
}

impl Validate for UpdateProfileRequest {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

/// `PUT /users/me/password`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct ChangePasswordRequest {
    /// The password now (an account with a password).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128)]
    pub current_password: Option<String>,
    /// An account without a password, setting its first: a fresh ID token
    /// (issued within 5 minutes) of one of its linked identities.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 16384)]
    pub id_token: Option<String>,
    /// The new password, at least 8 characters.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// `PUT /users/me/avatar` body, for the document.
#[derive(Debug, ToSchema)]
pub struct AvatarUpload {
    /// A PNG, JPEG or WebP image of at most 2 MiB.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
}
