//! The command line: workloads, durations, bounds.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// The longest run one workload may be given: every run must end by itself.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);

/// Drive a running QuickFix server with the benchmark workloads and print
/// throughput, latency percentiles, errors and the server's memory.
#[derive(Debug, Clone, Parser)]
#[command(name = "loadgen", version, about)]
pub struct Cli {
    /// Base URL of the server under test. Only loopback hosts are accepted
    /// unless `--allow-remote` names the host.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub target: String,

    /// Allow this one non-loopback host (must equal the target's host).
    #[arg(long, value_name = "HOST")]
    pub allow_remote: Option<String>,

    /// What to run, comma-separated (`me,offers`); `all` runs every
    /// workload in turn.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    pub workload: Vec<WorkloadArg>,

    /// How long each measured phase lasts (`20s`, `500ms`, `2m`).
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Unmeasured warm-up before each measured phase.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// Concurrent keep-alive connections, one closed-loop task each.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub connections: u32,

    /// Hold this total request rate (an open loop over the same
    /// connections) instead of a closed loop; latency then counts from each
    /// request's scheduled time. Applies to the HTTP workloads (not to the
    /// logins of `login-flood`).
    #[arg(long, value_name = "RPS")]
    pub rate: Option<f64>,

    /// Upper bound on requests per measured phase (a second stop besides
    /// the duration).
    #[arg(long, default_value_t = 5_000_000)]
    pub max_requests: u64,

    /// Open jobs to seed for `jobs-list` and `offers`.
    #[arg(long, default_value_t = 10_000)]
    pub jobs: u32,

    /// Concurrent login loops for `login-flood`.
    #[arg(long, default_value_t = 16)]
    pub login_connections: u32,

    /// Idle WebSockets to open for `idle-ws`.
    #[arg(long, default_value_t = 5_000)]
    pub ws: u32,

    /// How long `idle-ws` holds its sockets open.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub ws_hold: Duration,

    /// PID of the server, for its RSS; found through the target's
    /// listening port (or a process named `quickfix`) when omitted.
    #[arg(long)]
    pub server_pid: Option<u32>,

    /// The `quickfix` binary for the `idle` workload, which starts it on a
    /// temporary SQLite database and a free port.
    #[arg(long)]
    pub server_bin: Option<PathBuf>,

    /// How many times `idle` starts the server.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub idle_starts: u32,

    /// The server's database (`sqlite://...` or `postgres://...`), where
    /// `task-backlog` plants its due tasks.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,

    /// Due tasks `task-backlog` plants at once.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub tasks: u32,

    /// Print the result table as Markdown (for docs/benchmarks.md).
    #[arg(long)]
    pub markdown: bool,

    /// Do not load anything: serve the ceiling (a bare actix-web server
    /// doing only each workload's SQL, see `reference.rs`) on this address
    /// over `--database-url` until stopped.
    #[arg(long, value_name = "ADDR", requires = "database_url")]
    pub serve_reference: Option<String>,

    /// A ceiling served by `--serve-reference` on the same database:
    /// `me`, `jobs-list` and `jobs-create` run against it too, right after
    /// the target, with the same users, and the target's rows say what
    /// share of the ceiling they reached.
    #[arg(long, value_name = "URL")]
    pub reference: Option<String>,

    /// PID of the ceiling's process, for its CPU (found through its port
    /// when omitted).
    #[arg(long)]
    pub reference_pid: Option<u32>,

    /// The FastAPI full-stack template serving on the same box
    /// (`bins/loadgen/peer/run.sh` starts it): `me`, `jobs-list` and
    /// `jobs-create` run against its counterparts too, right after the
    /// target, and the target's rows note the ratios.
    #[arg(long, value_name = "URL", requires_all = ["peer_user", "peer_password"])]
    pub peer: Option<String>,

    /// The peer's superuser email (its `FIRST_SUPERUSER`).
    #[arg(long)]
    pub peer_user: Option<String>,

    /// The peer's superuser password.
    #[arg(long)]
    pub peer_password: Option<String>,

    /// PID of the peer's server (its uvicorn master; its workers count too).
    #[arg(long)]
    pub peer_pid: Option<u32>,
}

/// A workload named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkloadArg {
    /// Every workload below, in this order.
    All,
    /// Authenticated `GET /api/v1/jobs?limit=20` as providers (open jobs).
    JobsList,
    /// Authenticated `GET /api/v1/auth/me`.
    Me,
    /// `POST /api/v1/jobs/{id}/offers`, each connection its own provider.
    Offers,
    /// `POST /api/v1/jobs`: customers post jobs (one row and its expiry
    /// task each).
    JobsCreate,
    /// `POST /api/v1/conversations/{id}/messages` with the recipient's
    /// socket open; push latency measured at the recipient.
    Messages,
    /// `jobs-list` alone, then alongside a flood of logins.
    LoginFlood,
    /// Logins alone, then beside one account's flood of password changes.
    PasswordFlood,
    /// Logouts with an open socket: time until the socket closes.
    SessionEnd,
    /// Many idle WebSockets; the server's RSS.
    IdleWs,
    /// A freshly started idle server: RSS and time to `/ready`.
    Idle,
    /// `--tasks` due tasks planted in the server's database at once: how
    /// fast the scheduler drains them, `/auth/me` at a fixed rate before
    /// and during the drain, and how late a task fires once idle.
    TaskBacklog,
}

impl WorkloadArg {
    /// The workloads this argument stands for, in run order.
    pub fn expand(self) -> Vec<WorkloadArg> {
        match self {
            WorkloadArg::All => vec![
                WorkloadArg::Idle,
                WorkloadArg::JobsList,
                WorkloadArg::Me,
                WorkloadArg::Offers,
                WorkloadArg::JobsCreate,
                WorkloadArg::Messages,
                WorkloadArg::LoginFlood,
                WorkloadArg::PasswordFlood,
                WorkloadArg::SessionEnd,
                WorkloadArg::IdleWs,
                WorkloadArg::TaskBacklog,
            ],
            one => vec![one],
        }
    }

    /// Whether this workload needs seeded users and a running target.
    pub fn needs_seed(self) -> bool {
        !matches!(self, WorkloadArg::Idle)
    }

    /// Whether the ceiling (`--reference`) serves this workload.
    pub fn has_ceiling(self) -> bool {
        matches!(
            self,
            WorkloadArg::Me | WorkloadArg::JobsList | WorkloadArg::JobsCreate
        )
    }

    /// Whether this workload needs the seeded open jobs.
    pub fn needs_jobs(self) -> bool {
        matches!(
            self,
            WorkloadArg::JobsList | WorkloadArg::Offers | WorkloadArg::LoginFlood
        )
    }
}

/// The workloads of a command line, in run order, each once.
pub fn plan(selected: &[WorkloadArg]) -> Vec<WorkloadArg> {
    let mut planned: Vec<WorkloadArg> = Vec::new();
    for workload in selected.iter().flat_map(|w| w.expand()) {
        if !planned.contains(&workload) {
            planned.push(workload);
        }
    }
    planned
}

impl fmt::Display for WorkloadArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            WorkloadArg::All => "all",
            WorkloadArg::JobsList => "jobs-list",
            WorkloadArg::Me => "me",
            WorkloadArg::Offers => "offers",
            WorkloadArg::JobsCreate => "jobs-create",
            WorkloadArg::Messages => "messages",
            WorkloadArg::LoginFlood => "login-flood",
            WorkloadArg::PasswordFlood => "password-flood",
            WorkloadArg::SessionEnd => "session-end",
            WorkloadArg::IdleWs => "idle-ws",
            WorkloadArg::Idle => "idle",
            WorkloadArg::TaskBacklog => "task-backlog",
        };
        f.write_str(name)
    }
}

/// Parses `20s`, `1500ms`, `2m`, `1h` or a bare number of seconds; refuses
/// zero and anything over [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (try 20s, 500ms, 2m)"))?;
    let seconds = match unit.trim() {
        "" | "s" | "sec" | "secs" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown duration unit `{other}` (use ms, s, m or h)"
            ));
        }
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("`{text}` is not a duration"));
    }
    let duration = Duration::from_secs_f64(seconds);
    if duration.is_zero() {
        return Err("the duration must be above zero".to_owned());
    }
    if duration > MAX_DURATION {
        return Err(format!(
            "`{text}` is longer than the {} s cap",
            MAX_DURATION.as_secs()
        ));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("20"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn bad_durations_are_refused() {
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("2h").is_err());
        assert!(parse_duration("-3s").is_err());
    }

    #[test]
    fn all_expands_to_every_workload_once() {
        let all = WorkloadArg::All.expand();
        assert_eq!(all.len(), 11);
        assert!(!all.contains(&WorkloadArg::All));
        assert_eq!(WorkloadArg::Me.expand(), vec![WorkloadArg::Me]);
    }

    #[test]
    fn a_plan_keeps_the_given_order_without_repeats() {
        use WorkloadArg::*;
        assert_eq!(plan(&[Me, Offers, Me]), vec![Me, Offers]);
        assert_eq!(plan(&[Me, All]).len(), 11);
        assert_eq!(plan(&[Me, All])[0], Me);
    }

    #[test]
    fn the_command_line_parses() {
        let cli = Cli::try_parse_from([
            "loadgen",
            "--workload",
            "jobs-list",
            "--duration",
            "5s",
            "--connections",
            "8",
        ])
        .expect("valid arguments");
        assert_eq!(cli.workload, vec![WorkloadArg::JobsList]);
        assert_eq!(cli.duration, Duration::from_secs(5));
        assert_eq!(cli.connections, 8);
        let cli = Cli::try_parse_from(["loadgen", "--workload", "messages,idle-ws"])
            .expect("a list of workloads");
        assert_eq!(
            cli.workload,
            vec![WorkloadArg::Messages, WorkloadArg::IdleWs]
        );
        let defaults = Cli::try_parse_from(["loadgen"]).expect("defaults");
        assert_eq!(defaults.workload, vec![WorkloadArg::All]);
        assert_eq!(defaults.duration, Duration::from_secs(20));
        assert!(Cli::try_parse_from(["loadgen", "--connections", "0"]).is_err());
    }
}
