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

/// A closed loop of authenticated GETs of `path` with the providers' tokens.
async fn get_loop(
    ctx: &Context,
    seed: &Seed,
    path: &str,
    tasks: usize,
    clock: Clock,
) -> PhaseResult {
    let api = ctx.api.clone();
    let url: Arc<str> = api.url(path).into();
    let tokens = tokens(&seed.providers);
    closed_loop(tasks, clock, move |task, _| {
        let request = api
            .http()
            .get(&*url)
            .bearer_auth(&tokens[task % tokens.len()]);
        async move { check(request.send().await, StatusCode::OK).await }
    })
    .await
}

/// `GET /api/v1/jobs?limit=20` as providers (open jobs, newest first).
pub async fn jobs_list(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let before = ctx.rss();
    let meter = ctx.meter();
    let phase = get_loop(ctx, seed, JOBS_PATH, ctx.connections(), ctx.clock()).await;
    let mut row = row_of("jobs-list", &phase, &meter);
    row.rss_before_kib = before;
    row.rss_after_kib = ctx.rss();
    vec![row]
}

const JOBS_PATH: &str = "/api/v1/jobs?limit=20";

/// `GET /api/v1/auth/me`.
pub async fn me(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let before = ctx.rss();
    let meter = ctx.meter();
    let phase = get_loop(ctx, seed, "/api/v1/auth/me", ctx.connections(), ctx.clock()).await;
    let mut row = row_of("me", &phase, &meter);
    row.rss_before_kib = before;
    row.rss_after_kib = ctx.rss();
    vec![row]
}

/// `POST /api/v1/jobs/{id}/offers`: connection `i` is provider `i` and walks
/// the seeded jobs from its own offset, so every offer is a new
/// (provider, job) pair and concurrent offers rarely touch the same job.
pub async fn offers(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let tasks = ctx.connections().min(seed.providers.len());
    if seed.jobs.is_empty() {
        return vec![Row::skipped("offers", "no seeded jobs (--jobs 0)")];
    }
    let before = ctx.rss();
    let api = ctx.api.clone();
    let tokens = tokens(&seed.providers);
    let jobs: Arc<Vec<String>> = Arc::new(seed.jobs.clone());
    let stride = jobs.len() / tasks.max(1);
    let meter = ctx.meter();
    let phase = closed_loop(tasks, ctx.clock(), move |task, seq| {
        let index = usize::try_from(seq).unwrap_or(usize::MAX);
        let request = (index < jobs.len()).then(|| {
            let job = &jobs[(task * stride + index) % jobs.len()];
            api.http()
                .post(api.url(&format!("/api/v1/jobs/{job}/offers")))
                .bearer_auth(&tokens[task])
                .json(&json!({"price_cents": 12_000 + seq as i64, "message": "I can do it this week."}))
        });
        async move {
            match request {
                Some(request) => check(request.send().await, StatusCode::CREATED).await,
                None => Outcome::Stop,
            }
        }
    })
    .await;
    let mut row = row_of("offers", &phase, &meter);
    row.rss_before_kib = before;
    row.rss_after_kib = ctx.rss();
    append_note(
        &mut row,
        &format!("{tasks} providers, each on its own jobs"),
    );
    vec![row]
}

/// The kind of a failed WebSocket handshake.
fn ws_error_kind(err: &tungstenite::Error) -> String {
    match err {
        tungstenite::Error::Http(response) => response.status().as_u16().to_string(),
        tungstenite::Error::Io(_) => "io".to_owned(),
        _ => "ws".to_owned(),
    }
}

/// The row of a workload that could not open `what`: a missing route is a
/// clean "unsupported", anything else says why.
fn socket_refused(workload: &str, what: &str, err: &tungstenite::Error) -> Row {
    let note = if ws_error_kind(err) == "404" {
        "unsupported (404): GET /api/v1/ws".to_owned()
    } else {
        format!("cannot open {what}: {err}")
    };
    Row::skipped(workload, note)
}

async fn open_socket(api: &Api, token: &str) -> Result<Socket, tungstenite::Error> {
    let url = api
        .target()
        .ws_url(&format!("/api/v1/ws?access_token={token}"));
    let (socket, _) = connect_async(url).await?;
    Ok(socket)
}

/// Push latencies of `message.created` frames, keyed by message body.
#[derive(Debug, Default)]
struct PushBook {
    sent: HashMap<String, (Instant, bool)>,
    record: Recorder,
}

/// `POST /api/v1/conversations/{id}/messages` from customers to providers
/// whose sockets are open; the push latency is from just before the POST to
/// the recipient's `message.created` frame.
pub async fn messages(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let tasks = ctx.connections().min(seed.providers.len());
    let api = &ctx.api;
    // One conversation per connection: customer (i mod C) with provider i.
    let mut conversations = Vec::with_capacity(tasks);
    for (i, provider) in seed.providers.iter().take(tasks).enumerate() {
        let customer = &seed.customers[i % seed.customers.len()];
        let body = json!({"participant_id": provider.id});
        match api
            .post("/api/v1/conversations", Some(&customer.access_token), &body)
            .await
        {
            Ok((status, value)) if status == StatusCode::CREATED || status == StatusCode::OK => {
                match value.get("id").and_then(Value::as_str) {
                    Some(id) => conversations.push((id.to_owned(), customer.access_token.clone())),
                    None => return vec![Row::skipped("messages", "conversation without an id")],
                }
            }
            Ok((status, _))
                if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED =>
            {
                return vec![Row::skipped(
                    "messages",
                    format!(
                        "unsupported ({}): POST /api/v1/conversations",
                        status.as_u16()
                    ),
                )];
            }
            Ok((status, _)) => {
                return vec![Row::skipped(
                    "messages",
                    format!("cannot open a conversation: {status}"),
                )];
            }
            Err(err) => {
                return vec![Row::skipped(
                    "messages",
                    format!("cannot open a conversation: {err}"),
                )];
            }
        }
    }

    let book = Arc::new(Mutex::new(PushBook::default()));
    let clock = ctx.clock();
    let mut readers = JoinSet::new();
    for provider in seed.providers.iter().take(tasks) {
        let socket = match open_socket(api, &provider.access_token).await {
            Ok(socket) => socket,
            Err(err) => {
                return vec![socket_refused("messages", "the recipient's socket", &err)];
            }
        };
        let book = Arc::clone(&book);
        readers.spawn(read_pushes(socket, book));
    }

    let before = ctx.rss();
    let http = api.clone();
    let conversations = Arc::new(conversations);
    let sender_book = Arc::clone(&book);
    let meter = ctx.meter();
    let phase = closed_loop(tasks, clock, move |task, seq| {
        let (conversation, token) = &conversations[task];
        let body = format!("lg {task} {seq}");
        let request = http
            .http()
            .post(http.url(&format!("/api/v1/conversations/{conversation}/messages")))
            .bearer_auth(token)
            .json(&json!({"body": body}));
        let book = Arc::clone(&sender_book);
        async move {
            let at = Instant::now();
            if let Ok(mut book) = book.lock() {
                book.sent.insert(body, (at, clock.measures(at)));
            }
            check(request.send().await, StatusCode::CREATED).await
        }
    })
    .await;

    // Let the last pushes land, then count what never came.
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let waiting = book
            .lock()
            .map_or(0, |b| b.sent.values().filter(|(_, m)| *m).count());
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    readers.abort_all();
    let after = ctx.rss();
    let mut post = row_of("messages (POST)", &phase, &meter);
    post.rss_before_kib = before;
    post.rss_after_kib = after;
    let mut push = match book.lock() {
        Ok(mut book) => {
            let lost = book.sent.values().filter(|(_, measured)| *measured).count();
            for _ in 0..lost {
                book.record.error("lost");
            }
            Row::from_record("messages (push)", &book.record, Some(phase.elapsed))
        }
        Err(_) => Row::skipped("messages (push)", "push book poisoned"),
    };
    push.note = format!("{tasks} recipient sockets; send -> message.created");
    let push_p99 = match push.p99_ms {
        Some(p99) => format!("push p99 {p99:.1} ms"),
        None => "no push arrived".to_owned(),
    };
    append_note(&mut post, &push_p99);
    vec![post, push]
}

async fn read_pushes(mut socket: Socket, book: Arc<Mutex<PushBook>>) {
    while let Some(frame) = socket.next().await {
        let arrived = Instant::now();
        let Ok(Message::Text(text)) = frame else {
            if frame.is_err() {
                break;
            }
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        if value.get("type").and_then(Value::as_str) != Some("message.created") {
            continue;
        }
        let Some(body) = value.pointer("/data/message/body").and_then(Value::as_str) else {
            continue;
        };
        if let Ok(mut book) = book.lock()
            && let Some((sent, measured)) = book.sent.remove(body)
            && measured
        {
            book.record.ok(arrived - sent);
        }
    }
}

/// `loops` closed loops of `POST /auth/login` as the seeded providers.
fn login_loops(
    ctx: &Context,
    seed: &Seed,
    loops: usize,
    clock: Clock,
) -> impl std::future::Future<Output = PhaseResult> + use<> {
    let api = ctx.api.clone();
    let url: Arc<str> = api.url("/api/v1/auth/login").into();
    let emails: Arc<Vec<String>> =
        Arc::new(seed.providers.iter().map(|u| u.email.clone()).collect());
    closed_loop(loops, clock.unpaced(), move |task, seq| {
        let email = &emails[(task + seq as usize) % emails.len()];
        let request = api
            .http()
            .post(&*url)
            .json(&json!({"email": email, "password": PASSWORD}));
        async move { check(request.send().await, StatusCode::OK).await }
    })
}

/// Notes on `with` how its p99 compares with `alone`'s (target < 2x).
fn note_p99_ratio(alone: &Row, with: &mut Row) {
    let ratio = match (alone.p99_ms, with.p99_ms) {
        (Some(a), Some(w)) if a > 0.0 => format!("p99 ratio {:.2}x (target < 2x)", w / a),
        _ => "no ratio".to_owned(),
    };
    append_note(with, &ratio);
}

/// `jobs-list` alone, then the same load beside a flood of logins (bcrypt at
/// the server's cost); the ratio of the two p99s is the figure.
pub async fn login_flood(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let before = ctx.rss();
    let meter = ctx.meter();
    let alone = get_loop(ctx, seed, JOBS_PATH, ctx.connections(), ctx.clock()).await;
    let mut alone_row = row_of("login-flood: list alone", &alone, &meter);
    alone_row.rss_before_kib = before;

    let meter = ctx.meter();

    let clock = ctx.clock();
    let logins = login_loops(ctx, seed, ctx.cli.login_connections as usize, clock);
    let list = get_loop(ctx, seed, JOBS_PATH, ctx.connections(), clock);
    let (logins, with) = tokio::join!(logins, list);

    let mut with_row = row_of("login-flood: list + logins", &with, &meter);
    with_row.rss_after_kib = ctx.rss();
    note_p99_ratio(&alone_row, &mut with_row);
    let mut login_row = row_of("login-flood: logins", &logins, &meter);
    login_row.note = format!("{} login loops", ctx.cli.login_connections);
    vec![alone_row, with_row, login_row]
}

/// Opens `--ws` sockets, holds them `--ws-hold`, and reports the server's
/// RSS with them open.
pub async fn idle_ws(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let wanted = ctx.cli.ws as usize;
    match rlimit::increase_nofile_limit(wanted as u64 + 1024) {
        Ok(limit) if limit < wanted as u64 + 64 => eprintln!(
            "idle-ws: this process may open only {limit} files; raise `ulimit -n` for {wanted} sockets"
        ),
        Ok(_) => {}
        Err(err) => eprintln!("idle-ws: cannot raise the open-file limit: {err}"),
    }
    let api = &ctx.api;
    // One probe first: a missing route is a clean "unsupported".
    let probe = match open_socket(api, &seed.providers[0].access_token).await {
        Ok(socket) => socket,
        Err(err) => {
            return vec![socket_refused("idle-ws", "a socket", &err)];
        }
    };
    drop(probe);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let before = ctx.rss();
    let tokens = tokens(&seed.providers);
    let started = Instant::now();
    let give_up = started + Duration::from_secs(120);
    let results: Vec<(Result<Socket, String>, Duration)> = stream::iter(0..wanted)
        .map(|n| {
            let token = tokens[n % tokens.len()].clone();
            async move {
                let at = Instant::now();
                let result = tokio::time::timeout_at(give_up, open_socket(api, &token))
                    .await
                    .map_err(|_| "timeout".to_owned())
                    .and_then(|r| r.map_err(|e| ws_error_kind(&e)));
                (result, at.elapsed())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let opening = started.elapsed();
    let mut record = Recorder::new();
    let mut held = JoinSet::new();
    for (result, latency) in results {
        match result {
            Ok(socket) => {
                record.ok(latency);
                held.spawn(drain(socket));
            }
            Err(kind) => record.error(kind),
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let open_rss = ctx.rss();
    let meter = ctx.meter();
    tokio::time::sleep(ctx.cli.ws_hold).await;
    let after = ctx.rss();
    let open = held.len();
    held.abort_all();
    while held.join_next().await.is_some() {}

    let mut row = Row::from_record("idle-ws (connect)", &record, Some(opening));
    (row.server_cores, row.loadgen_cores) = meter.stop();
    row.rss_before_kib = before;
    row.rss_after_kib = after;
    row.note = format!(
        "{open} sockets held {:.0} s; RSS {} once open (target < 150 MB at 5,000)",
        ctx.cli.ws_hold.as_secs_f64(),
        crate::report::format_rss(open_rss)
    );
    vec![row]
}

/// Reads (and so answers pings on) an idle socket until it closes.
async fn drain(mut socket: Socket) {
    while let Some(frame) = socket.next().await {
        if frame.is_err() {
            break;
        }
    }
    let _ = socket.close(None).await;
}

/// Starts `--server-bin` on a fresh SQLite database and a free port,
/// `--idle-starts` times: time from spawn to the first 200 of `/ready`, and
/// the RSS of the idle server a second later.
pub async fn idle(cli: &Cli) -> Vec<Row> {
    let Some(bin) = cli.server_bin.clone() else {
        return vec![Row::skipped(
            "idle",
            "skipped: needs --server-bin PATH (starts its own server on SQLite)",
        )];
    };
    // The server runs in a temporary directory: resolve a relative path now.
    let bin = match std::fs::canonicalize(&bin) {
        Ok(bin) => bin,
        Err(err) => return vec![Row::skipped("idle", format!("{}: {err}", bin.display()))],
    };
    let poller = match reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .pool_max_idle_per_host(0)
        .build()
    {
        Ok(client) => client,
        Err(err) => return vec![Row::skipped("idle", format!("no HTTP client: {err}"))],
    };
    let mut record = Recorder::new();
    let mut rss = Vec::new();
    let mut failure = None;
    for _ in 0..cli.idle_starts {
        match start_once(&bin, &poller).await {
            Ok((ready, idle_kib)) => {
                record.ok(ready);
                rss.extend(idle_kib);
            }
            Err(err) => {
                eprintln!("idle: {err}");
                record.error("start");
                failure.get_or_insert(err);
            }
        }
    }
    let mut row = Row::from_record("idle (spawn -> /ready)", &record, None);
    rss.sort_unstable();
    row.rss_after_kib = rss.get(rss.len() / 2).copied();
    row.note = match failure {
        Some(err) => format!("failed: {err}"),
        None => format!(
            "fresh SQLite, {} starts; median RSS 1 s after ready (target < 30 MB, < 1 s)",
            cli.idle_starts
        ),
    };
    vec![row]
}

async fn start_once(
    bin: &std::path::Path,
    poller: &reqwest::Client,
) -> Result<(Duration, Option<u64>), String> {
    let dir = tempfile::tempdir().map_err(|e| format!("no temp dir: {e}"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let db = format!("sqlite://{}", dir.path().join("idle.db").display());
    let log = std::fs::File::create(dir.path().join("server.log"))
        .map_err(|e| format!("no log file: {e}"))?;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(bin)
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("QUICKFIX_CONFIG")
        .env("DATABASE_URL", &db)
        .env("QUICKFIX_DATABASE__URL", &db)
        .env("QUICKFIX_SERVER__HOST", "127.0.0.1")
        .env("QUICKFIX_SERVER__PORT", port.to_string())
        .env("QUICKFIX_STORAGE__PATH", dir.path().join("uploads"))
        .env("QUICKFIX_APP__ENV", "development")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let url = format!("http://127.0.0.1:{port}/ready");
    let ready = loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the server exited early ({status})"));
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill().await;
            return Err("not ready within 30 s".to_owned());
        }
        if let Ok(response) = poller.get(&url).send().await
            && response.status() == StatusCode::OK
        {
            break started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_kib = child.id().and_then(rss_kib);
    let _ = child.kill().await;
    Ok((ready, idle_kib))
}

/// Login loops that stand for "other users" in `password-flood`.
const LOGIN_LOOPS: usize = 4;
/// Concurrent password changes of the one flooding account: one that fits
/// in the account's line (the queue's fairness alone), one far beyond it
/// (most are refused with 503 at once, and answering them costs CPU).
const FLOOD_CONNECTIONS: [usize; 2] = [4, 64];

/// Logins of providers alone, then beside a flood of wrong-password
/// changes from one customer account (rate limits off, so the hashing
/// queue's fairness alone decides); the ratio of the logins' p99s is the
/// figure (target < 2x).
pub async fn password_flood(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let meter = ctx.meter();
    let alone = login_loops(ctx, seed, LOGIN_LOOPS, ctx.clock()).await;
    let alone_row = row_of("password-flood: logins alone", &alone, &meter);

    let Some(flooder) = seed.customers.first() else {
        return vec![Row::skipped("password-flood", "no customer was seeded")];
    };
    let mut rows = vec![alone_row.clone()];
    for connections in FLOOD_CONNECTIONS {
        let meter = ctx.meter();
        let clock = ctx.clock();
        let api = ctx.api.clone();
        let url: Arc<str> = api.url("/api/v1/users/me/password").into();
        let token: Arc<str> = flooder.access_token.clone().into();
        let flood = closed_loop(connections, clock.unpaced(), move |_, _| {
            let request = api.http().put(&*url).bearer_auth(&*token).json(
                &json!({"current_password": "not-the-password", "new_password": "whatever-it-is"}),
            );
            async move {
                match check(request.send().await, StatusCode::FORBIDDEN).await {
                    // Refused at once by the full line: the point of the bound.
                    Outcome::Error(kind) if kind == "503" => Outcome::Ok,
                    other => other,
                }
            }
        });
        let (flood, with) = tokio::join!(flood, login_loops(ctx, seed, LOGIN_LOOPS, clock));
        let mut with_row = row_of(
            &format!("password-flood: logins + flood of {connections}"),
            &with,
            &meter,
        );
        note_p99_ratio(&alone_row, &mut with_row);
        let mut flood_row = row_of(
            &format!("password-flood: the flood of {connections}"),
            &flood,
            &meter,
        );
        flood_row.note =
            format!("{connections} connections of one account; 403 and 503 both count");
        rows.extend([with_row, flood_row]);
    }
    rows
}

/// Logouts whose login has an open socket: the time from sending the
/// logout to the socket's close frame (4401), one login at a time.
pub async fn session_end(ctx: &Context, seed: &Seed) -> Vec<Row> {
    const ROUNDS: usize = 30;
    let api = &ctx.api;
    let mut record = Recorder::new();
    for round in 0..ROUNDS {
        let Some(user) = seed.providers.get(round % seed.providers.len().max(1)) else {
            return vec![Row::skipped("session-end", "no provider was seeded")];
        };
        let body = json!({"email": user.email, "password": PASSWORD});
        let login = match api
            .post_expect("/api/v1/auth/login", None, &body, &[StatusCode::OK])
            .await
        {
            Ok(login) => login,
            Err(err) => {
                record.error(err.to_string());
                continue;
            }
        };
        let (Some(access), Some(refresh)) = (
            login["access_token"].as_str(),
            login["refresh_token"].as_str(),
        ) else {
            record.error("no tokens");
            continue;
        };
        let mut socket = match open_socket(api, access).await {
            Ok(socket) => socket,
            Err(err) => {
                record.error(ws_error_kind(&err));
                continue;
            }
        };
        let sent = Instant::now();
        let logout = api
            .post(
                "/api/v1/auth/logout",
                None,
                &json!({"refresh_token": refresh}),
            )
            .await;
        if !matches!(logout, Ok((StatusCode::NO_CONTENT, _))) {
            record.error("logout");
            continue;
        }
        let closed = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(frame) = socket.next().await {
                if let Ok(Message::Close(close)) = frame {
                    return close.map(|c| u16::from(c.code));
                }
            }
            None
        })
        .await;
        match closed {
            Ok(Some(4401)) => record.ok(sent.elapsed()),
            Ok(other) => record.error(format!("closed with {other:?}")),
            Err(_) => record.error("not closed within 10 s"),
        }
    }
    let mut row = Row::from_record("session-end: logout to socket close", &record, None);
    row.note = "one instance; target < 1 s (the two-instance path through Redis is tested in CI)"
        .to_owned();
    vec![row]
}
