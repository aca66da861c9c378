//! `bookings.*`: this crate's section of the configuration, with its
//! defaults (the gateway reads it with the rest).

use serde::Deserialize;

use crate::LocationPolicy;

/// `bookings.*`
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct BookingsSettings {
    /// The shortest time between two location updates of one booking (ms).
    pub location_interval_ms: i64,
    /// Positions kept per booking; older ones are dropped.
    pub location_keep: i64,
    /// Positions shown in a booking's trail.
    pub location_trail: i64,
    /// Seconds before `scheduled_for` when both parties are reminded.
    pub reminder_before_secs: i64,
    /// Seconds after `scheduled_for` when a booking never started is
    /// cancelled with reason `no_show`.
    pub no_show_after_secs: i64,
    /// Seconds after completion during which the customer may dispute.
    pub dispute_window_secs: i64,
}

impl Default for BookingsSettings {
    fn default() -> Self {
        Self {
            location_interval_ms: 1000,
            location_keep: 200,
            location_trail: 50,
            reminder_before_secs: 3600,
            no_show_after_secs: 86400,
            dispute_window_secs: 259200,
        }
    }
}

impl BookingsSettings {
    /// The timed rules these settings ask for.
    pub fn timers(&self) -> crate::BookingTimers {
        crate::BookingTimers {
            reminder_before: chrono::Duration::seconds(self.reminder_before_secs.max(0)),
            no_show_after: chrono::Duration::seconds(self.no_show_after_secs.max(0)),
            dispute_window: chrono::Duration::seconds(self.dispute_window_secs.max(0)),
        }
    }

    /// The live-location bounds these settings ask for (at least one kept,
    /// the trail no longer than what is kept).
    pub fn location_policy(&self) -> LocationPolicy {
        let keep = self.location_keep.max(1);
        LocationPolicy {
            min_interval: chrono::Duration::milliseconds(self.location_interval_ms.max(0)),
            keep,
            trail: self.location_trail.clamp(1, keep),
        }
    }
}
