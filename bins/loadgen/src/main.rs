#![doc = include_str!("../README.md")]

mod api;
mod cli;
mod driver;
mod reference;
mod report;
mod rss;
mod seed;
mod stats;
mod target;
mod workloads;

use std::process::ExitCode;

use clap::Parser;

use crate::api::Api;
use crate::cli::{Cli, WorkloadArg};
use crate::report::{Row, render_markdown, render_text};
use crate::seed::{SEED_TIMEOUT, SeedPlan};
use crate::target::Target;
use crate::workloads::Context;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let (Some(listen), Some(url)) = (&cli.serve_reference, &cli.database_url) {
        return match reference::serve(listen, url) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("loadgen: {err}");
                ExitCode::FAILURE
            }
        };
    }
    let target = match Target::parse(&cli.target, cli.allow_remote.as_deref()) {
        Ok(target) => target,
        Err(err) => {
            eprintln!("loadgen: {err}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("loadgen: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli, target));
    // Abandoned tasks (if any) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("loadgen: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, target: Target) -> Result<(), String> {
    let workloads = cli::plan(&cli.workload);
    let needs_jobs = workloads.iter().any(|w| w.needs_jobs());
    let api = Api::new(target.clone(), cli.connections as usize)?;
    let mut rows: Vec<Row> = Vec::new();
    let needs_server = workloads.iter().any(|w| w.needs_seed());

    let server_pid = if needs_server {
        check_ready(&api).await?;
        let pid = cli
            .server_pid
            .or_else(|| rss::find_server_pid(target.port()));
        match pid {
            Some(pid) => eprintln!(
                "loadgen: server pid {pid}, RSS {}",
                report::format_rss(rss::rss_kib(pid))
            ),
            None => eprintln!("loadgen: server pid unknown (pass --server-pid); no RSS figures"),
        }
        pid
    } else {
        None
    };
    let ctx = Context {
        api: api.clone(),
        cli: cli.clone(),
        server_pid,
    };
    let ceiling = match &cli.reference {
        Some(url) => Some(ceiling_context(&cli, url).await?),
        None => None,
    };
    let peer = match (&cli.peer, &cli.peer_user, &cli.peer_password) {
        (Some(url), Some(user), Some(password)) => {
            Some(workloads::Peer::connect(&cli, url, user, password).await?)
        }
        _ => None,
    };

    let mut seed = None;
    for workload in workloads {
        eprintln!("loadgen: running {workload}");
        if workload == WorkloadArg::Idle {
            rows.extend(workloads::idle(&cli).await);
            print_progress(&rows);
            continue;
        }
        if seed.is_none() {
            let connections = cli.connections as usize;
            let plan = SeedPlan {
                customers: connections.min(16),
                providers: connections,
                jobs: if needs_jobs { cli.jobs as usize } else { 0 },
                concurrency: connections,
            };
            let seeded = tokio::time::timeout(SEED_TIMEOUT, seed::seed(&api, plan))
                .await
                .map_err(|_| "seeding took too long".to_owned())?
                .map_err(|err| format!("seeding failed: {err}"))?;
            seed = Some(seeded);
            analyze(cli.database_url.as_deref()).await;
        }
        let Some(current) = seed.as_mut() else {
            continue;
        };
        current
            .keep_fresh(&api)
            .await
            .map_err(|err| format!("cannot refresh tokens: {err}"))?;
        let current = &*current;
        let new_rows = match workload {
            WorkloadArg::JobsList => workloads::jobs_list(&ctx, current).await,
            WorkloadArg::Me => workloads::me(&ctx, current).await,
            WorkloadArg::Offers => workloads::offers(&ctx, current).await,
            WorkloadArg::JobsCreate => workloads::jobs_create(&ctx, current).await,
            WorkloadArg::Messages => workloads::messages(&ctx, current).await,
            WorkloadArg::LoginFlood => workloads::login_flood(&ctx, current).await,
            WorkloadArg::PasswordFlood => workloads::password_flood(&ctx, current).await,
            WorkloadArg::SessionEnd => workloads::session_end(&ctx, current).await,
            WorkloadArg::IdleWs => workloads::idle_ws(&ctx, current).await,
            WorkloadArg::TaskBacklog => workloads::task_backlog(&ctx, current).await,
            WorkloadArg::Idle | WorkloadArg::All => Vec::new(),
        };
        rows.extend(new_rows);
        print_progress(&rows);
        if let Some(ceiling) = ceiling.as_ref().filter(|_| workload.has_ceiling()) {
            let measured = match workload {
                WorkloadArg::Me => workloads::me(ceiling, current).await,
                WorkloadArg::JobsList => workloads::jobs_list(ceiling, current).await,
                _ => workloads::jobs_create(ceiling, current).await,
            };
            compare_with_ceiling(&mut rows, measured);
            print_progress(&rows);
        }
        if let Some(peer) = &peer {
            for row in peer.run(workload).await {
                workloads::compare_with_peer(&mut rows, &row);
                rows.push(row);
                print_progress(&rows);
            }
        }
    }

    println!(
        "\ntarget {}  connections {}  duration {:.0} s (+{:.0} s warm-up)  run {}",
        cli.target,
        cli.connections,
        cli.duration.as_secs_f64(),
        cli.warmup.as_secs_f64(),
        seed.as_ref().map_or("-", |s| s.run_id.as_str()),
    );
    if cli.markdown {
        print!("{}", render_markdown(&rows));
    } else {
        print!("{}", render_text(&rows));
    }
    Ok(())
}

/// Refreshes PostgreSQL's statistics after seeding, as autovacuum would
/// within a minute: plans then fit the seeded tables for every server
/// measured, whatever the order the phases run in.
async fn analyze(database_url: Option<&str>) {
    let Some(url) = database_url.filter(|u| u.starts_with("postgres")) else {
        return;
    };
    let analyzed = match quickfix_shared::db::build_pool(url, &Default::default()) {
        Ok(pool) => {
            quickfix_shared::db::run(&pool, |conn| {
                diesel::connection::SimpleConnection::batch_execute(conn, "ANALYZE")
                    .map_err(quickfix_shared::db::DbError::from)
            })
            .await
        }
        Err(err) => {
            eprintln!("loadgen: no ANALYZE after seeding: {err}");
            return;
        }
    };
    if let Err(err) = analyzed {
        eprintln!("loadgen: no ANALYZE after seeding: {err}");
    }
}

/// The context of the ceiling server at `url`: its own client and pid.
async fn ceiling_context(cli: &Cli, url: &str) -> Result<Context, String> {
    let target = Target::parse(url, cli.allow_remote.as_deref())?;
    let api = Api::new(target.clone(), cli.connections as usize)?;
    check_ready(&api).await?;
    let server_pid = cli
        .reference_pid
        .or_else(|| rss::find_server_pid(target.port()));
    Ok(Context {
        api,
        cli: cli.clone(),
        server_pid,
    })
}

/// Appends the ceiling's rows (renamed `<workload> ceiling`) after the
/// target's last, whose note gains its share of the ceiling's throughput.
fn compare_with_ceiling(rows: &mut Vec<Row>, measured: Vec<Row>) {
    for mut row in measured {
        if let Some(ours) = rows.iter_mut().rev().find(|r| r.workload == row.workload)
            && let (Some(a), Some(b)) = (ours.rps, row.rps.filter(|b| *b > 0.0))
        {
            let share = format!("{:.0}% of the ceiling", 100.0 * a / b);
            ours.note = if ours.note.is_empty() {
                share
            } else {
                format!("{}; {share}", ours.note)
            };
        }
        row.workload = format!("{} ceiling", row.workload);
        rows.push(row);
    }
}

fn print_progress(rows: &[Row]) {
    if let Some(last) = rows.last() {
        eprint!("{}", render_text(std::slice::from_ref(last)));
    }
}

async fn check_ready(api: &Api) -> Result<(), String> {
    let response = api
        .http()
        .get(api.url("/ready"))
        .send()
        .await
        .map_err(|err| format!("the server at {} does not answer: {err}", api.url("/ready")))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("/ready answered {}", response.status()))
    }
}
