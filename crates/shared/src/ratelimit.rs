//! Fixed-window rate limits kept in process memory, keyed by whatever the
//! caller chooses (client IP, account). Exceeding a limit is 429 with
//! `Retry-After`. Switched off by `rate_limit.enabled = false`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

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
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter; when `enabled` is false every check passes.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a hit on `key`; 429 when the limit is exceeded.
    pub fn check(&self, key: &str, limit: Limit) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < limit.window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= limit.window {
            *entry = (now, 0);
        }
        if entry.1 >= limit.max {
            let retry = limit.window.saturating_sub(now.duration_since(entry.0));
            return Err(ApiError::rate_limited(retry.as_secs().max(1)));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The client's IP as seen on the socket. Forwarded headers are not trusted,
/// since any client can send them.
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
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
    fn disabled_limits_never_refuse() {
        let limiter = RateLimiter::new(false);
        for _ in 0..100 {
            assert!(limiter.check("k", Limit::per_minute(1)).is_ok());
        }
    }
}
