//! `jobs.*`: this crate's section of the configuration, with its defaults
//! (the gateway reads it with the rest).

use chrono::Duration;
use serde::Deserialize;

/// `jobs.*`
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct JobsSettings {
    /// Counters the owner may make on one offer.
    pub max_rounds: i32,
    /// Seconds an open offer waits for an answer to its last round
    /// before it expires.
    pub offer_ttl_secs: i64,
    /// Seconds a job stays open before it expires.
    pub open_ttl_secs: i64,
    /// Seconds after its `scheduled_for` when a job still open expires.
    pub expire_after_schedule_secs: i64,
}

impl Default for JobsSettings {
    fn default() -> Self {
        Self {
            max_rounds: 5,
            offer_ttl_secs: 259_200,
            open_ttl_secs: 2_592_000,
            expire_after_schedule_secs: 86_400,
        }
    }
}

impl JobsSettings {
    /// The negotiation and expiry rules these settings ask for.
    pub fn rules(&self) -> JobRules {
        JobRules {
            max_rounds: self.max_rounds.max(0),
            offer_ttl: Duration::seconds(self.offer_ttl_secs.max(0)),
            open_ttl: Duration::seconds(self.open_ttl_secs.max(0)),
            expire_after_schedule: Duration::seconds(self.expire_after_schedule_secs.max(0)),
        }
    }
}

/// The rules of negotiation and expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobRules {
    /// Counters the owner may make on one offer.
    pub max_rounds: i32,
    /// An open offer's time to live, from its last round.
    pub offer_ttl: Duration,
    /// A job's time to stay open.
    pub open_ttl: Duration,
    /// How long after its planned time a job still open expires.
    pub expire_after_schedule: Duration,
}

impl Default for JobRules {
    fn default() -> Self {
        JobsSettings::default().rules()
    }
}

impl JobRules {
    /// When an open job expires: its time to stay open from creation, or
    /// sooner when its planned time passes.
    pub fn job_expires_at(
        &self,
        created_at: chrono::NaiveDateTime,
        scheduled_for: Option<chrono::NaiveDateTime>,
    ) -> chrono::NaiveDateTime {
        let by_age = created_at + self.open_ttl;
        match scheduled_for {
            Some(planned) => by_age.min(planned + self.expire_after_schedule),
            None => by_age,
        }
    }
}
