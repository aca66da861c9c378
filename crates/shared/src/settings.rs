//! The configuration sections this crate's plumbing reads. The gateway
//! composes them with the other crates' sections into one settings value.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The JWT secret used when none is configured; refused in production.
pub const DEVELOPMENT_JWT_SECRET: &str = "quickfix-development-secret-change-me-0123456789";

/// `database.*`
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://...`.
    pub url: String,
    /// Connections in the pool; unset picks the backend's default.
    #[serde(default)]
    pub pool_size: Option<u32>,
    /// Seconds a request waits for a connection before 503.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
}

fn default_connect_timeout() -> u64 {
    5
}

impl DatabaseSettings {
    /// The pool options these settings ask for.
    pub fn pool_options(&self) -> crate::db::PoolOptions {
        crate::db::PoolOptions {
            size: self.pool_size,
            connect_timeout: std::time::Duration::from_secs(self.connect_timeout_secs.max(1)),
        }
    }
}

/// `auth.*`
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// The HS256 key.
    pub jwt_secret: SecretString,
    /// Access-token lifetime in seconds.
    pub access_ttl_secs: i64,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl_secs: i64,
    /// bcrypt cost.
    pub bcrypt_cost: u32,
    /// How long a login confirmed live is trusted without asking the
    /// database again (other instances see a revocation within this).
    #[serde(default)]
    pub session_cache_ms: u64,
    /// How long a password reset link works, in seconds.
    #[serde(default = "default_reset_ttl_secs")]
    pub reset_ttl_secs: i64,
    /// Seconds between two verification emails of one account.
    #[serde(default = "default_verify_resend_secs")]
    pub verify_resend_secs: i64,
    /// Whether posting a job, an offer or a message needs a verified email.
    #[serde(default)]
    pub require_verified_email: bool,
}

fn default_reset_ttl_secs() -> i64 {
    3600
}

fn default_verify_resend_secs() -> i64 {
    60
}

impl AuthSettings {
    /// Whether the secret is the built-in development one.
    pub fn uses_development_secret(&self) -> bool {
        self.jwt_secret.expose_secret() == DEVELOPMENT_JWT_SECRET
    }

    /// The JWT keys for these settings.
    pub fn jwt_keys(&self) -> crate::auth::JwtKeys {
        crate::auth::JwtKeys::new(
            self.jwt_secret.expose_secret().as_bytes(),
            self.access_ttl_secs,
        )
    }
}
