//! Sign-in with identity providers (OpenID Connect, Firebase): the
//! configured issuers (`auth.oidc`) and the verification of their ID
//! tokens against each issuer's published keys.
//!
//! A token is accepted only when its header names a key of the issuer's
//! JWKS and the algorithm that key is pinned to (RS256 for RSA keys, ES256
//! for P-256 keys: never `none` or an HMAC), its signature verifies, `iss`
//! and `aud` are the configured ones and `exp`/`iat` hold with 60 s of
//! leeway.

pub mod jwks;

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Validation, decode, decode_header};
use serde::{Deserialize, Deserializer, Serialize};

use self::jwks::{KeyError, KeySet};

/// Clock skew tolerated on `exp`, `iat` and `nbf`.
pub const LEEWAY_SECS: u64 = 60;
/// How recent an ID token must be (`iat`) to stand in for a password when
/// an account without one changes its email or is deleted.
pub const FRESH_TOKEN_SECS: i64 = 300;
/// How long a JWKS request may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// One trusted issuer, as configured in `auth.oidc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityProvider {
    /// The name in `POST /auth/oidc/{name}` and in identities' `provider`:
    /// lower-case letters, digits and dashes.
    pub name: String,
    /// The exact `iss` of its tokens.
    pub issuer: String,
    /// The `aud` its tokens must carry (Firebase: the project id).
    pub audience: String,
    /// Where its signing keys are published: HTTPS (plain HTTP only on a
    /// loopback address).
    pub jwks_url: String,
}

impl IdentityProvider {
    /// Refuses a provider that must not run: an unusable name, an empty
    /// issuer or audience, or keys fetched in the clear from another machine.
    pub fn check(&self) -> Result<(), String> {
        if !quickfix_shared::extract::is_slug(&self.name) {
            return Err(format!(
                "auth.oidc name {:?} must be lower-case letters, digits and dashes",
                self.name
            ));
        }
        if self.issuer.trim().is_empty() || self.audience.trim().is_empty() {
            return Err(format!(
                "auth.oidc {}: issuer and audience must be set",
                self.name
            ));
        }
        let url = reqwest::Url::parse(&self.jwks_url)
            .map_err(|e| format!("auth.oidc {}: jwks_url: {e}", self.name))?;
        let host = url.host_str().unwrap_or_default();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let loopback = bare.eq_ignore_ascii_case("localhost")
            || bare
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        match url.scheme() {
            "https" => Ok(()),
            "http" if loopback => Ok(()),
            _ => Err(format!(
                "auth.oidc {}: jwks_url must be https (plain http only on a loopback address)",
                self.name
            )),
        }
    }
}

/// Checks every provider and that no two share a name.
pub fn check_providers(providers: &[IdentityProvider]) -> Result<(), String> {
    for (i, provider) in providers.iter().enumerate() {
        provider.check()?;
        if providers[..i].iter().any(|p| p.name == provider.name) {
            return Err(format!(
                "auth.oidc: the name {} is used twice",
                provider.name
            ));
        }
    }
    Ok(())
}

/// Who an ID token says its bearer is, once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// The configured provider's name.
    pub provider: String,
    /// The issuer's stable id of the user (`sub`).
    pub subject: String,
    /// The email the issuer holds for them.
    pub email: Option<String>,
    /// Whether the issuer verified that email.
    pub email_verified: bool,
    /// Their name at the issuer.
    pub name: Option<String>,
    /// When the token was issued (seconds since the epoch).
    pub issued_at: i64,
}

/// Why an ID token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Forged, expired, for another audience or issuer, or unreadable
    /// (401 `invalid_credentials`).
    #[error("invalid ID token: {0}")]
    Invalid(String),
    /// The issuer's keys were never fetched and cannot be now (503).
    #[error("{0}")]
    Unavailable(String),
}

#[derive(Deserialize)]
struct IdTokenClaims {
    sub: String,
    iat: i64,
    #[serde(default)]
    email: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    email_verified: bool,
    #[serde(default)]
    name: Option<String>,
}

/// `true` or `"true"` (some issuers send the string); anything else false.
fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Bool(verified) => verified,
        serde_json::Value::String(said) => said == "true",
        _ => false,
    })
}

/// A configured issuer with its cached keys.
struct Issuer {
    config: IdentityProvider,
    keys: KeySet,
}

/// The configured issuers, verifying their tokens.
pub struct IdentityProviders {
    issuers: Vec<Arc<Issuer>>,
}

impl IdentityProviders {
    /// The issuers of `providers` (checked by [`check_providers`]); their
    /// keys are fetched when a token first needs them. Fails when the HTTP
    /// client cannot be made (no TLS backend).
    pub fn new(providers: Vec<IdentityProvider>) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|err| format!("no HTTP client for the key sets: {err}"))?;
        Ok(Self {
            issuers: providers
                .into_iter()
                .map(|config| {
                    Arc::new(Issuer {
                        keys: KeySet::new(config.jwks_url.clone(), client.clone()),
                        config,
                    })
                })
                .collect(),
        })
    }

    /// No issuer at all.
    pub fn none() -> Self {
        Self {
            issuers: Vec::new(),
        }
    }

    /// Whether a provider of this name is configured.
    pub fn knows(&self, name: &str) -> bool {
        self.issuers.iter().any(|i| i.config.name == name)
    }

    /// Verifies a token of the provider `name` (which must be configured).
    pub async fn verify(&self, name: &str, token: &str) -> Result<VerifiedIdentity, TokenError> {
        let issuer = self
            .issuers
            .iter()
            .find(|i| i.config.name == name)
            .ok_or_else(|| TokenError::Invalid(format!("no provider {name}")))?;
        issuer.verify(token).await
    }

    /// Verifies a token of whichever configured provider its `iss` names
    /// (of several with that issuer, the first whose audience it carries).
    pub async fn verify_any(&self, token: &str) -> Result<VerifiedIdentity, TokenError> {
        #[derive(Deserialize)]
        struct Iss {
            iss: String,
        }
        let claimed = jsonwebtoken::dangerous::insecure_decode::<Iss>(token)
            .map_err(|e| TokenError::Invalid(e.to_string()))?
            .claims
            .iss;
        let mut refused = TokenError::Invalid("no configured provider issued it".into());
        for issuer in self.issuers.iter().filter(|i| i.config.issuer == claimed) {
            match issuer.verify(token).await {
                Ok(identity) => return Ok(identity),
                Err(err) => refused = err,
            }
        }
        Err(refused)
    }
}

impl Issuer {
    async fn verify(&self, token: &str) -> Result<VerifiedIdentity, TokenError> {
        let invalid = |e: jsonwebtoken::errors::Error| TokenError::Invalid(e.to_string());
        let header = decode_header(token).map_err(invalid)?;
        let kid = header
            .kid
            .ok_or_else(|| TokenError::Invalid("the token names no key".into()))?;
        let pinned = self.keys.key(&kid).await.map_err(|err| match err {
            KeyError::Unknown(_) => TokenError::Invalid(err.to_string()),
            KeyError::Unavailable(_) => TokenError::Unavailable(err.to_string()),
        })?;
        if header.alg != pinned.algorithm {
            return Err(TokenError::Invalid(format!(
                "the key {kid} verifies {:?} only",
                pinned.algorithm
            )));
        }
        let mut validation = Validation::new(pinned.algorithm);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        let claims = decode::<IdTokenClaims>(token, &pinned.key, &validation)
            .map_err(invalid)?
            .claims;
        let now = chrono::Utc::now().timestamp();
        if claims.iat > now + LEEWAY_SECS as i64 {
            return Err(TokenError::Invalid("issued in the future".into()));
        }
        if claims.sub.is_empty() || claims.sub.len() > 255 {
            return Err(TokenError::Invalid(
                "the subject is empty or too long".into(),
            ));
        }
        Ok(VerifiedIdentity {
            provider: self.config.name.clone(),
            subject: claims.sub,
            email: claims.email.filter(|e| !e.trim().is_empty()),
            email_verified: claims.email_verified,
            name: claims.name.filter(|n| !n.trim().is_empty()),
            issued_at: claims.iat,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(name: &str, jwks_url: &str) -> IdentityProvider {
        IdentityProvider {
            name: name.into(),
            issuer: "https://securetoken.google.com/demo".into(),
            audience: "demo".into(),
            jwks_url: jwks_url.into(),
        }
    }

    #[test]
    fn keys_come_over_https_or_from_this_machine() {
        assert!(
            provider("firebase", "https://www.googleapis.com/x")
                .check()
                .is_ok()
        );
        assert!(
            provider("local", "http://127.0.0.1:9000/jwks")
                .check()
                .is_ok()
        );
        assert!(provider("local", "http://[::1]:9000/jwks").check().is_ok());
        assert!(provider("local", "http://localhost/jwks").check().is_ok());
        assert!(
            provider("remote", "http://keys.example.com/jwks")
                .check()
                .is_err()
        );
        assert!(provider("remote", "ftp://127.0.0.1/jwks").check().is_err());
        assert!(
            provider("Bad Name", "https://x.example/jwks")
                .check()
                .is_err()
        );
        let twice = [
            provider("a", "https://x.example/jwks"),
            provider("a", "https://y.example/jwks"),
        ];
        assert!(check_providers(&twice).is_err());
    }

    #[test]
    fn email_verified_reads_a_boolean_or_the_string_true() {
        let read = |v: serde_json::Value| {
            serde_json::from_value::<IdTokenClaims>(
                serde_json::json!({"sub": "s", "iat": 1, "email_verified": v}),
            )
            .map(|c| c.email_verified)
            .expect("claims")
        };
        assert!(read(serde_json::json!(true)));
        assert!(read(serde_json::json!("true")));
        assert!(!read(serde_json::json!(false)));
        assert!(!read(serde_json::json!("false")));
        assert!(!read(serde_json::json!(1)));
    }
}
