//! An idle server: its memory and how fast it is ready.

use super::*;

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
