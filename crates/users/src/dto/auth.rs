//! Registration, login and token bodies.

use super::*;

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
    #[validate(email)]
    #[schema(max_length = 254, format = Email)]
    #[schema(example = "ana@example.com")]
    pub email: String,
    /// At least 8 characters.
    #[schema(min_length = 8, max_length = 128)]
    #[schema(example = "correct horse battery", min_length = 8, max_length = 128)]
    pub password: String,
    /// `customer` or `provider`; admins are made by `create-admin`.
    pub role: RegisterRole,
    /// Display name.
    #[schema(min_length = 1, max_length = 100)]
    #[schema(example = "Ana Lima", min_length = 1, max_length = 100)]
    pub name: String,
    /// Phone number.
    #[schema(min_length = 3, max_length = 32)]
    #[serde(default)]
    pub phone: Option<String>,
}

/// `POST /auth/login`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct LoginRequest {
    /// Email address.
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    /// Password.
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}

/// `POST /auth/refresh` and `POST /auth/logout`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh. Any string that is
    /// not a live refresh token the server issued (an access token, an empty
    /// or a very long string) is 401, whatever its length.
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
    pub token_type: TokenType,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
}

/// How the access token is presented: always `Bearer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum TokenType {
    /// `Authorization: Bearer <access_token>`.
    Bearer,
}
