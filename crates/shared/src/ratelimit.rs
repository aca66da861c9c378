//! Fixed-window rate limits kept in process memory, keyed by whatever the
//! caller chooses (client IP, account). Exceeding a limit is 429 with
//! `Retry-After`. Switched off by `rate_limit.enabled = false`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::net::IpAddr;

use actix_web::{HttpRequest, web};
use ipnet::IpNet;

use crate::error::ApiError;

/// At most `max` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Hits allowed in a window.
    pub max: u32,
    /// The window's length.
    pub window: Duration,
}

impl Limit {
    /// `max` hits per minute.
    pub const fn per_minute(max: u32) -> Self {
        Self {
            max,
            window: Duration::from_secs(60),
        }
    }
}

/// Keys kept before expired windows are swept.
const SWEEP_AT: usize = 10_000;

/// A set of counters.
#[derive(Debug)]
pub struct RateLimiter {
    enabled: bool,
    windows: Mutex<HashMap<String, (Instant, u64)>>,
}

impl RateLimiter {
    /// A limiter; when `enabled` is false every check passes.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Whether limits apply at all.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Counts a hit on `key`; 429 `rate_limited` when the limit is exceeded.
    pub fn check(&self, key: &str, limit: Limit) -> Result<(), ApiError> {
        self.spend(key, 1, u64::from(limit.max), limit.window, true)
            .map_err(ApiError::rate_limited)
    }

    /// Spends `cost` of a budget of `max` per `window` on `key`; when it
    /// does not fit, nothing is spent and the seconds until the window
    /// ends are the error. `charge: false` only asks whether it would fit.
    pub fn spend(
        &self,
        key: &str,
        cost: u64,
        max: u64,
        window: Duration,
        charge: bool,
    ) -> Result<(), u64> {
        if !self.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1.saturating_add(cost) > max {
            let retry = window.saturating_sub(now.duration_since(entry.0));
            return Err(retry.as_secs().max(1));
        }
        if charge {
            entry.1 += cost;
        }
        Ok(())
    }
}

/// The longest lockout [`FailureBackoff`] imposes.
const MAX_LOCKOUT: Duration = Duration::from_secs(3600);

/// Failed attempts counted per key (for logins: an email from one client
/// IP), with a lockout that doubles each time the limit is reached again
/// (one window, two, four, ... at most an hour). Successes are never
/// counted, and a key that stays quiet for the longest lockout starts over.
#[derive(Debug)]
pub struct FailureBackoff {
    enabled: bool,
    entries: Mutex<HashMap<String, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    window_start: Instant,
    lockouts: u32,
    locked_until: Option<Instant>,
}

impl FailureBackoff {
    /// A tracker; when `enabled` is false nothing is ever refused.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// 429 with `Retry-After` while `key` is locked out.
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match entries.get(key).and_then(|f| f.locked_until) {
            Some(until) if until > now => Err(ApiError::rate_limited(
                until.duration_since(now).as_secs_f64().ceil() as u64,
            )),
            _ => Ok(()),
        }
    }

    /// Counts a failure of `key`; the `limit.max`-th in a window locks it.
    pub fn record_failure(&self, key: &str, limit: Limit) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= SWEEP_AT {
            entries.retain(|_, f| now.duration_since(f.window_start) < MAX_LOCKOUT);
        }
        let entry = entries.entry(key.to_owned()).or_insert(Failures {
            count: 0,
            window_start: now,
            lockouts: 0,
            locked_until: None,
        });
        let quiet = now.duration_since(entry.window_start);
        if quiet >= MAX_LOCKOUT + limit.window {
            entry.lockouts = 0;
        }
        if quiet >= limit.window {
            entry.count = 0;
            entry.window_start = now;
        }
        entry.count += 1;
        if entry.count >= limit.max {
            let factor = 1u32 << entry.lockouts.min(16);
            let lockout = limit.window.saturating_mul(factor).min(MAX_LOCKOUT);
            entry.locked_until = Some(now + lockout);
            entry.lockouts += 1;
            entry.count = 0;
            entry.window_start = now + lockout;
        }
    }

    /// Forgets `key`'s failures (a correct password).
    pub fn record_success(&self, key: &str) {
        if self.enabled {
            self.entries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(key);
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed (`server.trusted_proxies`),
/// registered as app data; none by default.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses comma-separated CIDRs (a bare address is a /32 or /128).
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{item}` is not an address or CIDR"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request from `peer`: the peer itself unless it is a
    /// trusted proxy; then the right-most `X-Forwarded-For` address that is
    /// not itself a trusted proxy (a client can prepend anything, so the
    /// left of the header is never believed).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for.iter().rev().flat_map(|h| h.rsplit(',')) {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

/// The client's IP: the socket peer, or behind a configured trusted proxy
/// the address its `X-Forwarded-For` names (see [`TrustedProxies::client`]).
pub fn client_ip(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|addr| addr.ip()) else {
        return "unknown".to_owned();
    };
    let Some(proxies) = req.app_data::<web::Data<TrustedProxies>>() else {
        return peer.to_string();
    };
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    proxies.client(peer, &forwarded).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hit_past_the_limit_is_429_with_retry_after() {
        let limiter = RateLimiter::new(true);
        let limit = Limit::per_minute(2);
        assert!(limiter.check("ip:1", limit).is_ok());
        assert!(limiter.check("ip:1", limit).is_ok());
        let err = limiter.check("ip:1", limit).expect_err("third hit");
        assert_eq!(err.status().as_u16(), 429);
        assert!(limiter.check("ip:2", limit).is_ok(), "keys are separate");
    }

    #[test]
    fn windows_reset() {
        let limiter = RateLimiter::new(true);
        let limit = Limit {
            max: 1,
            window: Duration::from_millis(20),
        };
        assert!(limiter.check("k", limit).is_ok());
        assert!(limiter.check("k", limit).is_err());
        std::thread::sleep(Duration::from_millis(25));
        assert!(limiter.check("k", limit).is_ok());
    }

    #[test]
    fn failures_lock_a_key_out_with_a_growing_lockout_and_leave_others_alone() {
        let backoff = FailureBackoff::new(true);
        let limit = Limit {
            max: 3,
            window: Duration::from_millis(40),
        };
        for _ in 0..2 {
            backoff.record_failure("victim@example.com|203.0.113.9", limit);
        }
        assert!(backoff.check("victim@example.com|203.0.113.9").is_ok());
        backoff.record_failure("victim@example.com|203.0.113.9", limit);
        let err = backoff
            .check("victim@example.com|203.0.113.9")
            .expect_err("locked");
        assert_eq!(err.status().as_u16(), 429);
        assert!(
            backoff.check("victim@example.com|198.51.100.1").is_ok(),
            "the owner on another IP is never refused"
        );
        std::thread::sleep(Duration::from_millis(45));
        assert!(backoff.check("victim@example.com|203.0.113.9").is_ok());
        for _ in 0..3 {
            backoff.record_failure("victim@example.com|203.0.113.9", limit);
        }
        std::thread::sleep(Duration::from_millis(45));
        assert!(
            backoff.check("victim@example.com|203.0.113.9").is_err(),
            "the second lockout lasts twice as long"
        );
        backoff.record_success("victim@example.com|203.0.113.9");
        assert!(backoff.check("victim@example.com|203.0.113.9").is_ok());
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_only_right_to_left() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.1").expect("parses");
        let ip = |s: &str| s.parse::<IpAddr>().expect("an ip");
        let spoofed = ["6.6.6.6, 203.0.113.7"];
        assert_eq!(
            proxies.client(ip("198.51.100.2"), &spoofed),
            ip("198.51.100.2"),
            "an untrusted peer is the client"
        );
        assert_eq!(proxies.client(ip("10.1.2.3"), &spoofed), ip("203.0.113.7"));
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["6.6.6.6, 203.0.113.7, 192.0.2.1"]),
            ip("203.0.113.7"),
            "trusted hops are skipped"
        );
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["6.6.6.6", "203.0.113.8"]),
            ip("203.0.113.8")
        );
        assert_eq!(proxies.client(ip("10.1.2.3"), &["garbage"]), ip("10.1.2.3"));
        assert!(TrustedProxies::parse("not-a-cidr").is_err());
    }

    #[test]
    fn disabled_limits_never_refuse() {
        let limiter = RateLimiter::new(false);
        for _ in 0..100 {
            assert!(limiter.check("k", Limit::per_minute(1)).is_ok());
        }
    }
}
