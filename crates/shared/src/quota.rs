//! Per-user write quotas (`quota.*`): messages a minute, new conversations
//! and uploaded bytes a day. A refusal is 429 `quota_exceeded` with
//! `Retry-After`; `rate_limit.enabled = false` turns them off.
//!
//! Counters live in the memory of each instance, as the rate limits do:
//! behind a load balancer that spreads one user over N instances the
//! effective quota is up to N times the setting (`docs/security.md`).

use std::time::Duration;

use crate::error::ApiError;
use crate::ids::UserId;
use crate::ratelimit::RateLimiter;

const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(86_400);

/// The configured quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaLimits {
    /// Messages one user sends per minute.
    pub messages_per_minute: u32,
    /// New conversations one user opens per day.
    pub conversations_per_day: u32,
    /// Bytes one user uploads per day.
    pub upload_bytes_per_day: u64,
    /// Open sockets of one user.
    pub sockets_per_user: usize,
}

impl Default for QuotaLimits {
    fn default() -> Self {
        Self {
            messages_per_minute: 60,
            conversations_per_day: 100,
            upload_bytes_per_day: 209_715_200,
            sockets_per_user: 10,
        }
    }
}

/// The quotas and their counters, shared as app data by the crates that
/// enforce them.
#[derive(Debug)]
pub struct Quotas {
    /// The limits.
    pub limits: QuotaLimits,
    enabled: bool,
    counters: RateLimiter,
}

impl Quotas {
    /// Quotas with these limits; `enabled: false` never refuses.
    pub fn new(limits: QuotaLimits, enabled: bool) -> Self {
        Self {
            limits,
            enabled,
            counters: RateLimiter::new(enabled),
        }
    }

    /// The most sockets one user may hold open, when quotas apply.
    pub fn sockets_per_user(&self) -> Option<usize> {
        self.enabled.then_some(self.limits.sockets_per_user)
    }

    fn refuse(what: &str) -> impl FnOnce(u64) -> ApiError + '_ {
        move |retry| {
            ApiError::quota_exceeded(retry, format!("the {what} quota is used up; retry later"))
        }
    }

    /// Spends one message of the user's minute.
    pub fn message(&self, user: &UserId) -> Result<(), ApiError> {
        let max = u64::from(self.limits.messages_per_minute);
        self.counters
            .spend(&format!("messages:{user}"), 1, max, MINUTE, true)
            .map_err(Self::refuse("message"))
    }

    /// Whether the user may open another conversation today (not spent).
    pub fn may_open_conversation(&self, user: &UserId) -> Result<(), ApiError> {
        let max = u64::from(self.limits.conversations_per_day);
        self.counters
            .spend(&format!("conversations:{user}"), 1, max, DAY, false)
            .map_err(Self::refuse("conversation"))
    }

    /// Spends one new conversation of the user's day.
    pub fn opened_conversation(&self, user: &UserId) {
        let max = u64::from(self.limits.conversations_per_day);
        // Spent after the fact: a race past the limit costs one extra.
        let _ = self
            .counters
            .spend(&format!("conversations:{user}"), 1, max, DAY, true);
    }

    /// Spends `bytes` of the user's daily upload budget.
    pub fn upload(&self, user: &UserId, bytes: u64) -> Result<(), ApiError> {
        self.counters
            .spend(
                &format!("uploads:{user}"),
                bytes,
                self.limits.upload_bytes_per_day,
                DAY,
                true,
            )
            .map_err(Self::refuse("upload"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotas() -> Quotas {
        Quotas::new(
            QuotaLimits {
                messages_per_minute: 2,
                conversations_per_day: 1,
                upload_bytes_per_day: 100,
                sockets_per_user: 1,
            },
            true,
        )
    }

    #[test]
    fn each_quota_refuses_past_its_budget_with_quota_exceeded() {
        let quotas = quotas();
        let (ana, bob) = (UserId::generate(), UserId::generate());
        assert!(quotas.message(&ana).is_ok());
        assert!(quotas.message(&ana).is_ok());
        let err = quotas.message(&ana).expect_err("third message");
        assert_eq!(
            (err.status().as_u16(), err.code().as_str()),
            (429, "quota_exceeded")
        );
        assert!(err.retry_after().is_some());
        assert!(quotas.message(&bob).is_ok(), "quotas are per user");

        assert!(quotas.may_open_conversation(&ana).is_ok());
        assert!(
            quotas.may_open_conversation(&ana).is_ok(),
            "asking spends nothing"
        );
        quotas.opened_conversation(&ana);
        assert!(quotas.may_open_conversation(&ana).is_err());

        assert!(quotas.upload(&ana, 60).is_ok());
        assert!(
            quotas.upload(&ana, 60).is_err(),
            "a refused upload spends nothing"
        );
        assert!(quotas.upload(&ana, 40).is_ok());
    }

    #[test]
    fn disabled_quotas_never_refuse() {
        let quotas = Quotas::new(QuotaLimits::default(), false);
        let ana = UserId::generate();
        for _ in 0..1000 {
            assert!(quotas.message(&ana).is_ok());
        }
    }
}
