//! Access-token verification for every crate: the JWT claims, the keys built
//! once from `auth.jwt_secret`, the `AuthUser` extractor and its role guards.
//!
//! Issuing tokens and hashing passwords belong to the users crate alone; this
//! module only encodes what the users crate asks it to and verifies what
//! clients present.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::ids::UserId;

/// Clock leeway allowed when checking `exp`, in seconds.
pub const LEEWAY_SECS: u64 = 60;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Posts jobs and books providers.
    Customer,
    /// Offers services and works bookings.
    Provider,
    /// Moderates.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Customer, Role::Provider, Role::Admin];

    /// The role's wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Provider => "provider",
            Role::Admin => "admin",
        }
    }

    /// Parses the wire and database name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// The user's role when the token was issued.
    pub role: Role,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
    /// The token's unique id.
    pub jti: String,
    /// The login (session) the token belongs to.
    pub sid: String,
}

/// The HS256 keys and validation rules, built once at start.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl_secs: i64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("access_ttl_secs", &self.access_ttl_secs)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Keys from the shared secret; access tokens live `access_ttl_secs`.
    pub fn new(secret: &[u8], access_ttl_secs: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_secs,
        }
    }

    /// How long an access token lives, in seconds.
    pub fn access_ttl_secs(&self) -> i64 {
        self.access_ttl_secs
    }

    /// Issues an access token for a user in a login session.
    pub fn issue(&self, user: &UserId, role: Role, session: &str) -> Result<String, ApiError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.to_string(),
            role,
            iat: now,
            exp: now + self.access_ttl_secs,
            jti: uuid::Uuid::now_v7().to_string(),
            sid: session.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// Verifies a token: signature, algorithm and expiry (with leeway).
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| ApiError::unauthorized("the access token is invalid or expired"))
    }
}

/// A future returned by [`AccountGate`]: the account's standing now.
pub type GateFuture = Pin<Box<dyn Future<Output = Result<Standing, ApiError>> + Send>>;

/// What the [`AccountGate`] knows of an account on each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The account's role now.
    pub role: Role,
    /// Whether its owner confirmed its email.
    pub email_verified: bool,
}

/// `auth.require_verified_email`, as app data: when `true`, posting a job,
/// an offer or a message needs a verified email
/// ([`AuthUser::require_verified_email`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifiedEmailRule(pub bool);

/// Checks on every authenticated request that the account may still act
/// (a deactivated user is refused at once, whatever its token says) and
/// answers the role it has now. The users crate provides it; without one
/// registered, tokens alone decide (only crate tests run so).
pub trait AccountGate: Send + Sync + 'static {
    /// Resolves to the account's role and email state, or `Err(401)` when
    /// the account is gone or inactive or the login has ended.
    fn check(&self, user: &AuthUser) -> GateFuture;
}

/// The gate as stored in app data.
pub type SharedAccountGate = Arc<dyn AccountGate>;

/// Told when logins end (logout, a revoked session, a reused refresh
/// token, a password change, a deactivation), so what rides on them ends
/// too: the messaging crate's open sockets, on every instance. The users
/// crate calls it after the change committed; the gateway wires it.
pub trait LoginEndings: Send + Sync + 'static {
    /// `session` of `user` ended; `None`: every login of the user.
    fn ended(&self, user: &UserId, session: Option<&str>);
}

/// The listener as the users crate keeps it.
pub type SharedLoginEndings = Arc<dyn LoginEndings>;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// The caller's id.
    pub id: UserId,
    /// The caller's role.
    pub role: Role,
    /// The login session of the token.
    pub session: String,
    /// Whether the caller must verify its email before posting (the
    /// [`VerifiedEmailRule`] is on and the email is not verified).
    pub must_verify_email: bool,
}

impl AuthUser {
    /// Whether the caller is an admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// 403 `email_not_verified` when the caller must verify its email
    /// before posting a job, an offer or a message.
    pub fn require_verified_email(&self) -> Result<(), ApiError> {
        if self.must_verify_email {
            return Err(ApiError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                crate::ErrorCode::EmailNotVerified,
                "verify your email address first: follow the link of the verification email",
            ));
        }
        Ok(())
    }

    /// Verifies a bearer token and checks the account with the registered
    /// gate; used by the extractor and by the WebSocket upgrade.
    pub async fn from_token(req: &HttpRequest, token: &str) -> Result<Self, ApiError> {
        let keys = req
            .app_data::<web::Data<JwtKeys>>()
            .ok_or_else(|| ApiError::internal("JwtKeys are not registered"))?;
        let claims = keys.verify(token)?;
        let id = UserId::parse(&claims.sub)
            .ok_or_else(|| ApiError::unauthorized("the access token is invalid or expired"))?;
        let mut user = AuthUser {
            id,
            role: claims.role,
            session: claims.sid,
            must_verify_email: false,
        };
        if let Some(gate) = req.app_data::<web::Data<SharedAccountGate>>() {
            let standing = gate.check(&user).await?;
            // The server acts on the account's role; a token that claims
            // another (a stale one, or one minted with a leaked key) is out.
            if standing.role != user.role {
                return Err(ApiError::unauthorized(
                    "the access token is invalid or expired",
                ));
            }
            let rule = req
                .app_data::<web::Data<VerifiedEmailRule>>()
                .is_some_and(|rule| rule.0);
            user.must_verify_email = rule && !standing.email_verified;
        }
        Ok(user)
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let token = bearer_token(&req)
                .ok_or_else(|| ApiError::unauthorized("a bearer access token is required"))?
                .to_owned();
            AuthUser::from_token(&req, &token).await
        })
    }
}

macro_rules! role_guard {
    ($(#[$meta:meta])* $name:ident, $role:expr, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub AuthUser);

        impl std::ops::Deref for $name {
            type Target = AuthUser;
            fn deref(&self) -> &AuthUser {
                &self.0
            }
        }

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let user = AuthUser::from_request(req, payload);
                Box::pin(async move {
                    let user = user.await?;
                    if user.role == $role {
                        Ok($name(user))
                    } else {
                        Err(ApiError::forbidden(concat!("only ", $what, " may do this")))
                    }
                })
            }
        }
    };
}

role_guard!(
    /// An authenticated customer; other roles get 403.
    CustomerUser,
    Role::Customer,
    "customers"
);
role_guard!(
    /// An authenticated provider; other roles get 403.
    ProviderUser,
    Role::Provider,
    "providers"
);
role_guard!(
    /// An authenticated admin; other roles get 403.
    AdminUser,
    Role::Admin,
    "admins"
);

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"a-test-secret-that-is-long-enough-32", 900)
    }

    #[test]
    fn issued_tokens_verify() {
        let user = UserId::generate();
        let token = keys().issue(&user, Role::Provider, "s1").expect("issued");
        let claims = keys().verify(&token).expect("valid");
        assert_eq!(claims.sub, user.as_str());
        assert_eq!(claims.role, Role::Provider);
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn tampered_and_foreign_tokens_are_401() {
        let token = keys()
            .issue(&UserId::generate(), Role::Customer, "s")
            .expect("issued");
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        for bad in [tampered.as_str(), "not.a.jwt", ""] {
            assert_eq!(
                keys().verify(bad).expect_err("bad").status(),
                StatusCode::UNAUTHORIZED
            );
        }
        let other = JwtKeys::new(b"another-secret-another-secret-123", 900);
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn expiry_allows_sixty_seconds_of_leeway() {
        let within = JwtKeys::new(b"a-test-secret-that-is-long-enough-32", -30);
        let token = within
            .issue(&UserId::generate(), Role::Admin, "s")
            .expect("issued");
        assert!(within.verify(&token).is_ok());
        let beyond = JwtKeys::new(b"a-test-secret-that-is-long-enough-32", -120);
        let token = beyond
            .issue(&UserId::generate(), Role::Admin, "s")
            .expect("issued");
        assert!(beyond.verify(&token).is_err());
    }
}
