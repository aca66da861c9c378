//! The closed loop: one task per connection, each sending its next request
//! when the previous one is answered, until the deadline or the request cap.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::stats::Recorder;

/// Extra time past a phase's end before its tasks are abandoned.
const GRACE: Duration = Duration::from_secs(15);

/// When a phase measures: requests that start before `measure_from` warm
/// the server up and are not recorded; none start after `end`.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// When the phase (its warm-up) began.
    pub started: Instant,
    /// Start of the measured window.
    pub measure_from: Instant,
    /// End of the measured window.
    pub end: Instant,
    /// Cap on measured requests over all tasks.
    pub max_requests: u64,
    /// Open loop: the total request rate to hold. `None` is a closed loop.
    pub rate: Option<f64>,
}

impl Clock {
    /// A closed-loop clock starting now.
    pub fn start(warmup: Duration, duration: Duration, max_requests: u64) -> Clock {
        let started = Instant::now();
        let measure_from = started + warmup;
        Clock {
            started,
            measure_from,
            end: measure_from + duration,
            max_requests,
            rate: None,
        }
    }

    /// The same window at a fixed total rate (an open loop), if `rate` is
    /// given and positive.
    pub fn paced(self, rate: Option<f64>) -> Clock {
        Clock {
            rate: rate.filter(|r| r.is_finite() && *r > 0.0),
            ..self
        }
    }

    /// The same window as a closed loop.
    pub fn unpaced(self) -> Clock {
        Clock { rate: None, ..self }
    }

    /// With `tasks` tasks sharing the rate, each sends every this long.
    pub fn interval(&self, tasks: usize) -> Option<Duration> {
        self.rate
            .map(|rate| Duration::from_secs_f64(tasks.max(1) as f64 / rate))
    }

    /// Whether a request sent at `at` is measured.
    pub fn measures(&self, at: Instant) -> bool {
        at >= self.measure_from && at < self.end
    }
}

/// What one request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Answered as expected.
    Ok,
    /// Failed: a status (`"409"`) or a transport failure.
    Error(String),
    /// This task has nothing more to send (its work list is used up).
    Stop,
}

/// The merged record of a phase and how long its measured window lasted.
#[derive(Debug)]
pub struct PhaseResult {
    /// Every task's record merged.
    pub record: Recorder,
    /// From `measure_from` to the last measured answer.
    pub elapsed: Duration,
    /// Whether some task had to be abandoned after the grace period.
    pub abandoned: bool,
    /// The open-loop rate the phase was held at, if any.
    pub rate: Option<f64>,
}

/// Runs `tasks` loops of `op(task, seq)` on `clock`: closed (each request
/// follows the previous answer) or, when the clock has a rate, open (each
/// task sends on a fixed schedule and a late request's latency counts from
/// when it should have been sent, so a stalled server is not hidden).
pub async fn closed_loop<F, Fut>(tasks: usize, clock: Clock, op: F) -> PhaseResult
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let op = Arc::new(op);
    let sent = Arc::new(AtomicU64::new(0));
    let mut set = JoinSet::new();
    for task in 0..tasks {
        let op = Arc::clone(&op);
        let sent = Arc::clone(&sent);
        let interval = clock.interval(tasks);
        set.spawn(async move {
            let mut record = Recorder::new();
            let mut last = None;
            let mut seq = 0u64;
            // Spread the tasks' schedules over one interval.
            let mut next =
                interval.map(|iv| clock.started + iv.mul_f64(task as f64 / tasks as f64));
            loop {
                let at = match (next.as_mut(), interval) {
                    (Some(next), Some(iv)) => {
                        let scheduled = *next;
                        *next += iv;
                        tokio::time::sleep_until(scheduled).await;
                        scheduled
                    }
                    _ => Instant::now(),
                };
                if at >= clock.end {
                    break;
                }
                let measured = clock.measures(at);
                if measured && sent.fetch_add(1, Ordering::Relaxed) >= clock.max_requests {
                    break;
                }
                let outcome = op(task, seq).await;
                seq += 1;
                let done = Instant::now();
                match outcome {
                    Outcome::Stop => break,
                    _ if !measured => {}
                    Outcome::Ok => record.ok(done - at),
                    Outcome::Error(kind) => record.error(kind),
                }
                if measured {
                    last = Some(done);
                }
            }
            (record, last)
        });
    }
    let mut record = Recorder::new();
    let mut last_answer = None::<Instant>;
    let give_up = clock.end + GRACE;
    let mut abandoned = false;
    loop {
        match tokio::time::timeout_at(give_up, set.join_next()).await {
            Ok(Some(Ok((task_record, last)))) => {
                record.merge(&task_record);
                last_answer = last_answer.max(last);
            }
            Ok(Some(Err(err))) => {
                eprintln!("loadgen: a load task failed: {err}");
                record.error("task");
            }
            Ok(None) => break,
            Err(_) => {
                abandoned = true;
                set.abort_all();
                break;
            }
        }
    }
    let elapsed = last_answer.map_or(Duration::ZERO, |last| {
        last.saturating_duration_since(clock.measure_from)
    });
    PhaseResult {
        record,
        elapsed,
        abandoned,
        rate: clock.rate,
    }
}

/// The outcome of an HTTP answer: `Ok` when its status is `expected`.
/// The body is read to the end either way, as a real client would.
pub async fn check(
    result: Result<reqwest::Response, reqwest::Error>,
    expected: reqwest::StatusCode,
) -> Outcome {
    match result {
        Ok(response) => {
            let status = response.status();
            match response.bytes().await {
                Ok(_) if status == expected => Outcome::Ok,
                Ok(_) => Outcome::Error(status.as_u16().to_string()),
                Err(err) => Outcome::Error(crate::stats::classify(&err).to_owned()),
            }
        }
        Err(err) => Outcome::Error(crate::stats::classify(&err).to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_measures_only_its_window() {
        let clock = Clock::start(Duration::from_secs(1), Duration::from_secs(2), 10);
        assert!(!clock.measures(clock.measure_from - Duration::from_millis(1)));
        assert!(clock.measures(clock.measure_from));
        assert!(clock.measures(clock.end - Duration::from_millis(1)));
        assert!(!clock.measures(clock.end));
    }

    #[test]
    fn a_paced_clock_shares_its_rate_among_tasks() {
        let clock = Clock::start(Duration::ZERO, Duration::from_secs(1), 10);
        assert_eq!(clock.interval(64), None);
        let paced = clock.paced(Some(3200.0));
        assert_eq!(paced.interval(64), Some(Duration::from_millis(20)));
        assert_eq!(paced.unpaced().interval(64), None);
        assert_eq!(clock.paced(Some(0.0)).interval(4), None);
    }
}
