//! A stand-in identity provider for the sign-in tests: RS256 and ES256
//! keys generated here, their JWKS served by a local actix server on a
//! random port (counting fetches, with a settable `Cache-Control` and
//! outage), and ID tokens signed with them.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use quickfix_users::oidc::IdentityProvider;

/// A signing key with its public JWK.
#[derive(Clone)]
pub struct SigningKey {
    /// Its `kid`.
    pub kid: String,
    /// RS256 or ES256.
    pub algorithm: Algorithm,
    encoding: EncodingKey,
    /// The public key as a JWK.
    pub jwk: Value,
    /// The public key in PEM (what an `alg` confusion attack signs with).
    pub public_pem: String,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// RSA keys are slow to make: each test process makes two and shares them.
fn rsa_keys() -> &'static [rsa::RsaPrivateKey; 2] {
    static KEYS: OnceLock<[rsa::RsaPrivateKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let make = || rsa::RsaPrivateKey::new(&mut rand_core_06::OsRng, 2048).expect("an RSA key");
        [make(), make()]
    })
}

impl SigningKey {
    /// An RS256 key (one of two per process: `which` is 0 or 1).
    pub fn rsa(kid: &str, which: usize) -> Self {
        let private = &rsa_keys()[which % 2];
        let public = private.to_public_key();
        Self {
            kid: kid.to_owned(),
            algorithm: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_der(
                private.to_pkcs1_der().expect("PKCS#1 DER").as_bytes(),
            ),
            jwk: json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": b64(&public.n().to_bytes_be()),
                "e": b64(&public.e().to_bytes_be()),
            }),
            public_pem: public
                .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
                .expect("PEM"),
        }
    }

    /// A fresh ES256 key.
    pub fn ec(kid: &str) -> Self {
        let secret = p256::SecretKey::random(&mut rand_core_06::OsRng);
        let point = secret.public_key().to_encoded_point(false);
        let der = secret.to_pkcs8_der().expect("PKCS#8 DER");
        Self {
            kid: kid.to_owned(),
            algorithm: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            jwk: json!({
                "kty": "EC", "crv": "P-256", "kid": kid,
                "x": b64(point.x().expect("x")),
                "y": b64(point.y().expect("y")),
            }),
            public_pem: String::new(),
        }
    }

    /// A token with these claims, signed with this key.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signed")
    }
}

struct Published {
    keys: Mutex<Vec<Value>>,
    cache_control: Mutex<String>,
    down: AtomicBool,
    fetches: AtomicUsize,
}

/// The provider: its issuer, audience and served key set.
pub struct FakeIdp {
    /// The `iss` of its tokens.
    pub issuer: String,
    /// The `aud` of its tokens.
    pub audience: String,
    /// Where its JWKS is served.
    pub jwks_url: String,
    published: Arc<Published>,
    handle: ServerHandle,
}

impl FakeIdp {
    /// A provider publishing `keys`, fresh for an hour.
    pub async fn start(keys: &[&SigningKey]) -> Self {
        let published = Arc::new(Published {
            keys: Mutex::new(keys.iter().map(|k| k.jwk.clone()).collect()),
            cache_control: Mutex::new("public, max-age=3600".into()),
            down: AtomicBool::new(false),
            fetches: AtomicUsize::new(0),
        });
        let served = Arc::clone(&published);
        let server = HttpServer::new(move || {
            let served = Arc::clone(&served);
            App::new().route(
                "/jwks",
                web::get().to(move || {
                    let served = Arc::clone(&served);
                    async move {
                        served.fetches.fetch_add(1, Ordering::SeqCst);
                        if served.down.load(Ordering::SeqCst) {
                            return HttpResponse::ServiceUnavailable().finish();
                        }
                        let keys = served.keys.lock().expect("keys").clone();
                        let cache_control = served.cache_control.lock().expect("cc").clone();
                        HttpResponse::Ok()
                            .insert_header(("Cache-Control", cache_control))
                            .json(json!({ "keys": keys }))
                    }
                }),
            )
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("a port for the JWKS");
        let port = server.addrs()[0].port();
        let running = server.run();
        let handle = running.handle();
        tokio::spawn(running);
        let tag = uuid::Uuid::now_v7().simple().to_string();
        Self {
            issuer: format!("https://idp-{tag}.example.com"),
            audience: format!("quickfix-{tag}"),
            jwks_url: format!("http://127.0.0.1:{port}/jwks"),
            published,
            handle,
        }
    }

    /// This provider as `auth.oidc` lists it, under `name`.
    pub fn provider(&self, name: &str) -> IdentityProvider {
        IdentityProvider {
            name: name.to_owned(),
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            jwks_url: self.jwks_url.clone(),
        }
    }

    /// Claims of a valid token for `subject`, issued now, valid an hour.
    pub fn claims(&self, subject: &str, email: &str, email_verified: bool) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": self.issuer, "aud": self.audience, "sub": subject,
            "iat": now, "exp": now + 3600, "auth_time": now,
            "email": email, "email_verified": email_verified, "name": "Ana Idp",
        })
    }

    /// Publishes these keys from now on.
    pub fn publish(&self, keys: &[&SigningKey]) {
        *self.published.keys.lock().expect("keys") = keys.iter().map(|k| k.jwk.clone()).collect();
    }

    /// The `Cache-Control` of the next responses.
    pub fn cache_control(&self, value: &str) {
        *self.published.cache_control.lock().expect("cc") = value.to_owned();
    }

    /// Makes the JWKS answer 503 (`true`) or serve again.
    pub fn set_down(&self, down: bool) {
        self.published.down.store(down, Ordering::SeqCst);
    }

    /// How many times the JWKS was asked for.
    pub fn fetches(&self) -> usize {
        self.published.fetches.load(Ordering::SeqCst)
    }
}

impl Drop for FakeIdp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// A token with `alg: none` and no signature.
pub fn unsigned_token(kid: &str, claims: &Value) -> String {
    let header = json!({"alg": "none", "kid": kid, "typ": "JWT"});
    format!(
        "{}.{}.",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// An HS256 token whose HMAC key is an RSA public key's PEM (the classic
/// algorithm confusion).
pub fn hmac_with_public_key(key: &SigningKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(key.public_pem.as_bytes()),
    )
    .expect("signed")
}
