//! Recording outcomes: an HDR histogram of latencies and errors by kind.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, from 1 µs to 5 minutes, with
/// three significant digits.
const HIGHEST_MICROS: u64 = 300_000_000;

/// One task's (or a merged) record of a measured phase.
#[derive(Debug, Clone)]
pub struct Recorder {
    histogram: Histogram<u64>,
    errors: BTreeMap<String, u64>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// An empty record.
    pub fn new() -> Recorder {
        Recorder {
            histogram: Histogram::new_with_bounds(1, HIGHEST_MICROS, 3)
                .expect("static histogram bounds are valid"),
            errors: BTreeMap::new(),
        }
    }

    /// Records a successful request that took `latency`.
    pub fn ok(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .clamp(1, HIGHEST_MICROS);
        self.histogram.saturating_record(micros);
    }

    /// Records a failed request; `kind` is a status (`"409"`) or a
    /// transport failure (`"timeout"`, `"connect"`).
    pub fn error(&mut self, kind: impl Into<String>) {
        *self.errors.entry(kind.into()).or_default() += 1;
    }

    /// Adds `other` into this record.
    pub fn merge(&mut self, other: &Recorder) {
        self.histogram
            .add(&other.histogram)
            .expect("histograms share their bounds");
        for (kind, count) in &other.errors {
            *self.errors.entry(kind.clone()).or_default() += count;
        }
    }

    /// Successful requests recorded.
    pub fn ok_count(&self) -> u64 {
        self.histogram.len()
    }

    /// Failed requests recorded.
    #[cfg(test)]
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Errors by kind.
    pub fn errors(&self) -> &BTreeMap<String, u64> {
        &self.errors
    }

    /// The latency at `quantile` (0..=1) in milliseconds, if anything was
    /// recorded.
    pub fn quantile_ms(&self, quantile: f64) -> Option<f64> {
        (!self.histogram.is_empty())
            .then(|| self.histogram.value_at_quantile(quantile) as f64 / 1000.0)
    }

    /// The largest latency in milliseconds, if anything was recorded.
    pub fn max_ms(&self) -> Option<f64> {
        (!self.histogram.is_empty()).then(|| self.histogram.max() as f64 / 1000.0)
    }
}

/// The kind of a failed HTTP exchange, for the error column.
pub fn classify(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connect"
    } else if err.is_body() || err.is_decode() {
        "body"
    } else {
        "transport"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_recorded_latencies() {
        let mut rec = Recorder::new();
        for ms in 1..=100 {
            rec.ok(Duration::from_millis(ms));
        }
        rec.error("500");
        rec.error("500");
        rec.error("timeout");
        assert_eq!(rec.ok_count(), 100);
        assert_eq!(rec.error_count(), 3);
        let p50 = rec.quantile_ms(0.5).expect("recorded");
        assert!((49.0..=51.0).contains(&p50), "p50 {p50}");
        let p99 = rec.quantile_ms(0.99).expect("recorded");
        assert!((98.0..=100.0).contains(&p99), "p99 {p99}");
        assert_eq!(rec.errors().get("500"), Some(&2));
    }

    #[test]
    fn merging_adds_counts_and_errors() {
        let mut a = Recorder::new();
        a.ok(Duration::from_millis(2));
        a.error("409");
        let mut b = Recorder::new();
        b.ok(Duration::from_millis(4));
        b.error("409");
        b.error("connect");
        a.merge(&b);
        assert_eq!(a.ok_count(), 2);
        assert_eq!(a.errors().get("409"), Some(&2));
        assert_eq!(a.error_count(), 3);
        assert!(a.max_ms().expect("recorded") >= 3.9);
    }

    #[test]
    fn an_empty_record_has_no_quantiles() {
        let rec = Recorder::new();
        assert_eq!(rec.quantile_ms(0.99), None);
        assert_eq!(rec.max_ms(), None);
    }
}
