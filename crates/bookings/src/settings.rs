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
}

impl Default for BookingsSettings {
    fn default() -> Self {
        Self {
            location_interval_ms: 1000,
            location_keep: 200,
            location_trail: 50,
        }
    }
}

impl BookingsSettings {
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
