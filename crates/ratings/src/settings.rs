//! `ratings.*`: this crate's section of the configuration, with its
//! defaults (the gateway reads it with the rest).

use serde::Deserialize;

/// `ratings.*`
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RatingsSettings {
    /// Whether this server runs the ratings crate; `false` when it runs as
    /// its own service (`quickfix serve --only ratings`), whose events
    /// then arrive over the Redis stream (needs `redis.url`).
    pub enabled: bool,
    /// Days after a booking's completion when a lone rating is revealed
    /// (by a scheduled task, `rating.reveal`).
    pub reveal_after_days: i64,
}

impl Default for RatingsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            reveal_after_days: 7,
        }
    }
}

impl RatingsSettings {
    /// How long after completion a lone rating is revealed anyway.
    pub fn reveal_after(&self) -> chrono::Duration {
        chrono::Duration::days(self.reveal_after_days.max(0))
    }
}
