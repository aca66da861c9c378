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
    /// Days after a booking's completion when a lone rating is revealed.
    pub reveal_after_days: i64,
    /// Seconds between passes of the reveal task.
    pub reveal_interval_secs: u64,
}

impl Default for RatingsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            reveal_after_days: 7,
            reveal_interval_secs: 60,
        }
    }
}

impl RatingsSettings {
    /// How long after completion a lone rating is revealed anyway.
    pub fn reveal_after(&self) -> chrono::Duration {
        chrono::Duration::days(self.reveal_after_days.max(0))
    }

    /// How often the reveal task runs.
    pub fn reveal_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.reveal_interval_secs.max(1))
    }
}
