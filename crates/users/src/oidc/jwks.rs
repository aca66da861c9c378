//! An issuer's signing keys (its JWKS), fetched over HTTPS and cached.
//!
//! The set is kept for as long as the response's `Cache-Control: max-age`
//! says (five minutes without one), refreshed when it goes stale and
//! served stale while the issuer is down. A token naming a key the set does
//! not hold triggers one refetch, then at most one a minute: a stream of
//! tokens with made-up `kid`s costs the issuer nothing. Concurrent fetches
//! of one set are coalesced into one.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

/// Refetches for an unknown `kid`, and retries after a failed fetch, come
/// at most this often.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// How long a set is fresh when the response gives no `max-age`.
const DEFAULT_FRESHNESS: Duration = Duration::from_secs(300);
/// The longest a set is trusted without asking again, whatever it says.
const MAX_FRESHNESS: Duration = Duration::from_secs(24 * 3600);
/// The largest JWKS document read.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// A verification key with the one algorithm it may verify.
#[derive(Clone)]
pub struct PinnedKey {
    /// RS256 for an RSA key, ES256 for a P-256 key.
    pub algorithm: Algorithm,
    /// The public key.
    pub key: DecodingKey,
}

/// Why no key could be found for a `kid`.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The issuer does not publish this key (after the refetch it allows).
    #[error("no key {0} in the issuer's key set")]
    Unknown(String),
    /// The set was never fetched and the issuer cannot be reached now.
    #[error("the issuer's key set is unavailable: {0}")]
    Unavailable(String),
}

#[derive(Default)]
struct Cached {
    keys: HashMap<String, PinnedKey>,
    fetched: bool,
    fresh_until: Option<Instant>,
    last_failure: Option<Instant>,
    last_unknown_refetch: Option<Instant>,
    /// Bumped by every fetch attempt: a waiter whose generation moved on
    /// while it queued for the fetch lock does not fetch again.
    generation: u64,
}

/// One issuer's key set.
pub struct KeySet {
    url: String,
    client: reqwest::Client,
    cached: RwLock<Cached>,
    fetching: tokio::sync::Mutex<()>,
}

impl KeySet {
    /// The set published at `url`, fetched with `client` when first needed.
    pub fn new(url: String, client: reqwest::Client) -> Self {
        Self {
            url,
            client,
            cached: RwLock::new(Cached::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The key named `kid`, fetching or refreshing the set as the rules
    /// above allow.
    pub async fn key(&self, kid: &str) -> Result<PinnedKey, KeyError> {
        let (found, stale, generation) = {
            let cached = self.read();
            let stale = !cached.fetched || cached.fresh_until.is_none_or(|t| Instant::now() >= t);
            (cached.keys.get(kid).cloned(), stale, cached.generation)
        };
        match found {
            Some(key) if !stale => Ok(key),
            Some(key) => {
                if self.may_retry() {
                    self.refresh(generation).await;
                }
                Ok(self.read().keys.get(kid).cloned().unwrap_or(key))
            }
            None => {
                let first = !self.read().fetched;
                if (first && self.may_retry()) || self.may_refetch_unknown() {
                    if !first {
                        self.write().last_unknown_refetch = Some(Instant::now());
                    }
                    self.refresh(generation).await;
                }
                let cached = self.read();
                match cached.keys.get(kid) {
                    Some(key) => Ok(key.clone()),
                    None if !cached.fetched => Err(KeyError::Unavailable(self.url.clone())),
                    None => Err(KeyError::Unknown(kid.to_owned())),
                }
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cached> {
        self.cached.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Cached> {
        self.cached.write().unwrap_or_else(|e| e.into_inner())
    }

    /// No failed fetch within the last [`REFETCH_INTERVAL`].
    fn may_retry(&self) -> bool {
        self.read()
            .last_failure
            .is_none_or(|at| at.elapsed() >= REFETCH_INTERVAL)
    }

    /// An unknown `kid` may trigger a fetch: none did within the interval
    /// and no fetch failed within it.
    fn may_refetch_unknown(&self) -> bool {
        self.may_retry()
            && self
                .read()
                .last_unknown_refetch
                .is_none_or(|at| at.elapsed() >= REFETCH_INTERVAL)
    }

    /// Fetches the set unless another task did since `seen` generation;
    /// a failure keeps what was cached.
    async fn refresh(&self, seen: u64) {
        let _turn = self.fetching.lock().await;
        if self.read().generation != seen {
            return;
        }
        let fetched = self.fetch().await;
        let mut cached = self.write();
        cached.generation += 1;
        match fetched {
            Ok((keys, freshness)) => {
                cached.keys = keys;
                cached.fetched = true;
                cached.fresh_until = Some(Instant::now() + freshness);
                cached.last_failure = None;
            }
            Err(err) => {
                tracing::warn!(url = %self.url, error = %err, "an issuer's key set could not be fetched; the cached keys stay");
                cached.last_failure = Some(Instant::now());
            }
        }
    }

    async fn fetch(&self) -> Result<(HashMap<String, PinnedKey>, Duration), String> {
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("status {}", response.status()));
        }
        let freshness = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map_or(DEFAULT_FRESHNESS, freshness_of);
        if response
            .content_length()
            .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
        {
            return Err("the key set is too large".into());
        }
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err("the key set is too large".into());
        }
        Ok((parse_key_set(&body)?, freshness))
    }
}

/// How long a response with this `Cache-Control` stays fresh: its
/// `max-age` (at least a second, at most a day), none for `no-store` or
/// `no-cache`, five minutes when it says nothing.
pub fn freshness_of(cache_control: &str) -> Duration {
    let mut freshness = DEFAULT_FRESHNESS;
    for directive in cache_control.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Duration::from_secs(1);
        }
        if let Some(secs) = lower
            .strip_prefix("max-age=")
            .and_then(|v| v.trim_matches('"').parse::<u64>().ok())
        {
            freshness = Duration::from_secs(secs.max(1));
        }
    }
    freshness.min(MAX_FRESHNESS)
}

/// The signing keys of a JWKS document by `kid`: RSA keys for RS256 and
/// P-256 keys for ES256 only. Symmetric keys, other curves, encryption
/// keys, keys without `kid` and keys whose `alg` says otherwise are
/// skipped, as are entries that do not parse.
pub fn parse_key_set(body: &[u8]) -> Result<HashMap<String, PinnedKey>, String> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document =
        serde_json::from_slice(body).map_err(|e| format!("not a JWKS document: {e}"))?;
    Ok(document
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter_map(|jwk| {
            let algorithm = pinned_algorithm(&jwk)?;
            let kid = jwk.common.key_id.clone()?;
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            Some((kid, PinnedKey { algorithm, key }))
        })
        .collect())
}

fn pinned_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let (algorithm, named) = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => (Algorithm::RS256, KeyAlgorithm::RS256),
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            (Algorithm::ES256, KeyAlgorithm::ES256)
        }
        _ => return None,
    };
    match jwk.common.key_algorithm {
        Some(said) if said != named => None,
        _ => Some(algorithm),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_sets_freshness_within_bounds() {
        assert_eq!(
            freshness_of("public, max-age=19204, must-revalidate, no-transform"),
            Duration::from_secs(19204)
        );
        assert_eq!(freshness_of("max-age=0"), Duration::from_secs(1));
        assert_eq!(freshness_of("max-age=9999999"), MAX_FRESHNESS);
        assert_eq!(freshness_of("no-store"), Duration::from_secs(1));
        assert_eq!(freshness_of("public"), DEFAULT_FRESHNESS);
    }

    #[test]
    fn only_rsa_and_p256_signing_keys_are_kept_each_pinned_to_its_algorithm() {
        let document = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "rsa", "use": "sig", "alg": "RS256", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"},
            {"kty": "RSA", "kid": "rsa-384", "alg": "RS384", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"},
            {"kty": "RSA", "kid": "rsa-enc", "use": "enc", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "kid": "ec-384", "crv": "P-384", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            {"kty": "weird"}
        ]});
        let keys = parse_key_set(document.to_string().as_bytes()).expect("a JWKS document");
        let mut kids: Vec<_> = keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        assert_eq!(kids, ["ec", "rsa"]);
        assert_eq!(keys["rsa"].algorithm, Algorithm::RS256);
        assert_eq!(keys["ec"].algorithm, Algorithm::ES256);
        assert!(parse_key_set(b"{\"no\": 1}").is_err());
    }
}
