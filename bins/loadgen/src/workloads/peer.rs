//! The peer beside us: the FastAPI full-stack template, driven with the
//! same shapes as QuickFix in the same run (see `bins/loadgen/peer/`).
//!
//! | QuickFix workload | the template's counterpart |
//! |---|---|
//! | `me` (`GET /api/v1/auth/me`) | `GET /api/v1/users/me` |
//! | `jobs-list` (`GET /api/v1/jobs?limit=20`) | `GET /api/v1/items/?limit=20` (as the superuser: a count and a page) |
//! | `jobs-create` (`POST /api/v1/jobs`) | `POST /api/v1/items/` (one row) |

use super::*;
use crate::target::Target;

/// Items the template holds before its list is measured.
const PEER_ITEMS: usize = 1_000;

/// The template's server, signed in as its superuser.
pub struct Peer {
    ctx: Context,
    token: Arc<str>,
}

impl Peer {
    /// Signs in at `url` as `user`/`password` (the template's
    /// `FIRST_SUPERUSER`) and tops its items up to [`PEER_ITEMS`].
    pub async fn connect(cli: &Cli, url: &str, user: &str, password: &str) -> Result<Peer, String> {
        let target = Target::parse(url, cli.allow_remote.as_deref())?;
        let api = Api::new(target.clone(), cli.connections as usize)?;
        let login = api
            .http()
            .post(api.url("/api/v1/login/access-token"))
            .form(&[("username", user), ("password", password)])
            .send()
            .await
            .map_err(|e| format!("the peer at {url} does not answer: {e}"))?;
        if !login.status().is_success() {
            return Err(format!(
                "the peer refused its superuser: {}",
                login.status()
            ));
        }
        let body: Value = login.json().await.map_err(|e| e.to_string())?;
        let token: Arc<str> = body["access_token"]
            .as_str()
            .ok_or("the peer's login answered no access_token")?
            .into();
        let count: Value = api
            .http()
            .get(api.url("/api/v1/items/?limit=1"))
            .bearer_auth(&*token)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let have = usize::try_from(count["count"].as_u64().unwrap_or(0)).unwrap_or(0);
        let missing = PEER_ITEMS.saturating_sub(have);
        let posts = stream::iter(0..missing).map(|n| {
            let request = api
                .http()
                .post(api.url("/api/v1/items/"))
                .bearer_auth(&*token)
                .json(&item_body(n as u64));
            async move { request.send().await.map(|r| r.status().is_success()) }
        });
        let seeded = posts.buffer_unordered(16).collect::<Vec<_>>().await;
        if seeded.iter().any(|ok| !matches!(ok, Ok(true))) {
            return Err("seeding the peer's items failed".into());
        }
        let server_pid = cli
            .peer_pid
            .or_else(|| crate::rss::find_server_pid(target.port()));
        Ok(Peer {
            ctx: Context {
                api,
                cli: cli.clone(),
                server_pid,
            },
            token,
        })
    }

    /// The counterpart of `workload`, measured like it and named
    /// `<workload> peer`; nothing for a workload without one.
    pub async fn run(&self, workload: crate::cli::WorkloadArg) -> Vec<Row> {
        use crate::cli::WorkloadArg;
        let (name, post) = match workload {
            WorkloadArg::Me => ("me", false),
            WorkloadArg::JobsList => ("jobs-list", false),
            WorkloadArg::JobsCreate => ("jobs-create", true),
            _ => return Vec::new(),
        };
        let path = match workload {
            WorkloadArg::Me => "/api/v1/users/me",
            WorkloadArg::JobsList => "/api/v1/items/?limit=20",
            _ => "/api/v1/items/",
        };
        let api = self.ctx.api.clone();
        let url: Arc<str> = api.url(path).into();
        let token = Arc::clone(&self.token);
        let before = self.ctx.server_pid.and_then(crate::rss::tree_rss_kib);
        let meter = self.ctx.meter();
        let phase = closed_loop(self.ctx.connections(), self.ctx.clock(), move |_, seq| {
            let request = if post {
                api.http().post(&*url).json(&item_body(seq))
            } else {
                api.http().get(&*url)
            }
            .bearer_auth(&*token);
            async move { check(request.send().await, StatusCode::OK).await }
        })
        .await;
        let mut row = row_of(&format!("{name} peer"), &phase, &meter);
        row.rss_before_kib = before;
        row.rss_after_kib = self.ctx.server_pid.and_then(crate::rss::tree_rss_kib);
        append_note(&mut row, "RSS: the server and its workers");
        vec![row]
    }
}

fn item_body(n: u64) -> Value {
    json!({
        "title": format!("Fix the kitchen sink #{n}"),
        "description": "The tap drips and the drain is slow; I am home after 5 pm.",
    })
}

/// Notes on QuickFix's last row of `workload` its ratios to the peer's
/// row: throughput (times) and p99 (the peer's over ours).
pub fn compare_with_peer(rows: &mut [Row], peer: &Row) {
    let Some(name) = peer.workload.strip_suffix(" peer") else {
        return;
    };
    if let Some(ours) = rows.iter_mut().rev().find(|r| r.workload == name) {
        let mut notes = Vec::new();
        if let (Some(a), Some(b)) = (ours.rps, peer.rps.filter(|b| *b > 0.0)) {
            notes.push(format!("{:.1}x the peer's rps", a / b));
        }
        if let (Some(a), Some(b)) = (ours.p99_ms.filter(|a| *a > 0.0), peer.p99_ms) {
            notes.push(format!("p99 1/{:.1} of the peer's", b / a));
        }
        if let (Some(a), Some(b)) = (cpu_per_request(ours), cpu_per_request(peer)) {
            notes.push(format!("CPU/request {a:.2} ms vs the peer's {b:.2} ms"));
        }
        for note in notes {
            append_note(ours, &note);
        }
    }
}

/// CPU milliseconds per successful request of everything but the load
/// generator (the server, its workers and the database).
fn cpu_per_request(row: &Row) -> Option<f64> {
    let (cores, rps) = (row.others_cores?, row.rps.filter(|r| *r > 0.0)?);
    Some(1000.0 * cores / rps)
}
