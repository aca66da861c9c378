//! The workloads of the benchmark issue, each turned into table rows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{StreamExt, stream};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::api::{Api, PASSWORD, User};
use crate::cli::Cli;
use crate::driver::{Clock, Outcome, PhaseResult, check, closed_loop};
use crate::report::Row;
use crate::rss::{CpuMeter, rss_kib};
use crate::seed::Seed;
use crate::stats::Recorder;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Everything a workload needs.
#[derive(Debug)]
pub struct Context {
    /// The keep-alive client bound to the target.
    pub api: Api,
    /// The command line.
    pub cli: Cli,
    /// The server's pid, for its RSS.
    pub server_pid: Option<u32>,
}

impl Context {
    fn rss(&self) -> Option<u64> {
        self.server_pid.and_then(rss_kib)
    }

    fn meter(&self) -> CpuMeter {
        CpuMeter::start(self.server_pid)
    }

    fn clock(&self) -> Clock {
        Clock::start(self.cli.warmup, self.cli.duration, self.cli.max_requests).paced(self.cli.rate)
    }

    fn connections(&self) -> usize {
        self.cli.connections as usize
    }
}

fn row_of(name: &str, phase: &PhaseResult, meter: &CpuMeter) -> Row {
    let mut row = Row::from_record(name, &phase.record, Some(phase.elapsed));
    row.others_cores = meter.others();
    (row.server_cores, row.loadgen_cores) = meter.stop();
    if let Some(rate) = phase.rate {
        row.note = format!("open loop at {rate:.0} rps");
    }
    if phase.abandoned {
        append_note(&mut row, "some requests never answered; abandoned");
    }
    row
}

fn append_note(row: &mut Row, note: &str) {
    if !row.note.is_empty() {
        row.note.push_str("; ");
    }
    row.note.push_str(note);
}

fn tokens(users: &[User]) -> Arc<Vec<String>> {
    Arc::new(users.iter().map(|u| u.access_token.clone()).collect())
}

mod logins;
mod peer;
mod reads;
mod sockets;
mod startup;
mod tasks;

pub use logins::*;
pub use peer::*;
pub use reads::*;
pub use sockets::*;
pub use startup::*;
pub use tasks::*;
