//! Sign-in with an identity provider and the caller's linked identities.

use super::*;
use crate::models::Identity;

/// `POST /auth/oidc/{name}`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct OidcSignInRequest {
    /// The ID token the provider issued to the app (a JWT signed RS256 or
    /// ES256; Firebase: `getIdToken()`).
    #[schema(
        min_length = 1,
        max_length = 16384,
        example = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxMjMifQ.c2ln"
    )]
    pub id_token: String,
    /// The role of a new account; required when the identity has none yet
    /// (else 422 naming `role`), ignored otherwise.
    #[serde(default)]
    pub role: Option<RegisterRole>,
    /// The name of a new account (default: the provider's, else the
    /// email's local part); ignored for an existing one.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100, example = "Ana Lima")]
    pub name: Option<String>,
}

/// An identity at a provider, linked to the caller's account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IdentityResponse {
    /// Id.
    #[schema(example = "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10")]
    pub id: String,
    /// The configured provider's name (`auth.oidc`).
    #[schema(example = "firebase")]
    pub provider: String,
    /// The provider's id of the user (`sub`).
    #[schema(example = "V1nBfT7uYdQ3xq2LkR9s0aWc8Zp4")]
    pub subject: String,
    /// The email the provider gave when the identity was linked.
    #[schema(required = true, example = "ana@example.com")]
    pub email: Option<String>,
    /// Linked at.
    pub created_at: DateTime<Utc>,
}

impl From<&Identity> for IdentityResponse {
    fn from(identity: &Identity) -> Self {
        Self {
            id: identity.id.clone(),
            provider: identity.provider.clone(),
            subject: identity.subject.clone(),
            email: identity.email.clone(),
            created_at: identity.created_at.and_utc(),
        }
    }
}
