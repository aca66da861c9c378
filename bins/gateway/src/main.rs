//! `quickfix`: serve the API, migrate the database or print the OpenAPI
//! document.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use quickfix_gateway::settings::{AppEnv, Settings};
use quickfix_gateway::{Application, admin, app, openapi, telemetry};
use quickfix_shared::db::redact_url;

/// The QuickFix marketplace backend.
#[derive(Debug, Parser)]
#[command(name = "quickfix", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve {
        /// Serve one crate as its own service, with its own database (the
        /// gateway beside it runs with that crate switched off).
        #[arg(long, value_enum)]
        only: Option<Only>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an admin account.
    CreateAdmin {
        /// The admin's email.
        #[arg(long)]
        email: String,
        /// The admin's password (at least 8 characters).
        #[arg(long, env = "QUICKFIX_ADMIN_PASSWORD")]
        password: String,
        /// The admin's display name.
        #[arg(long)]
        name: String,
    },
    /// Fill the database with a realistic demo marketplace (idempotent).
    Seed,
    /// Print the OpenAPI document.
    Openapi {
        /// Write it to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// A crate that can be served on its own.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Only {
    /// The ratings crate (`quickfix_gateway::solo`).
    Ratings,
}

#[actix_web::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve { only: None });
    if let Command::Openapi { output } = &command {
        return print_openapi(output.as_ref());
    }
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("quickfix: {err}");
            return ExitCode::FAILURE;
        }
    };
    let _log_writer = telemetry::init(settings.app.env);
    let result = match command {
        Command::Serve { only } => serve(settings, only).await,
        Command::Migrate => migrate(settings).await,
        Command::Seed => seed(settings).await,
        Command::CreateAdmin {
            email,
            password,
            name,
        } => create_admin(settings, email, password, name).await,
        Command::Openapi { .. } => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "quickfix stopped");
            eprintln!("quickfix: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings, only: Option<Only>) -> Result<(), Box<dyn std::error::Error>> {
    let database = redact_url(&settings.database.url);
    let host = settings.server.host.clone();
    let application = match only {
        None => Application::build(settings).await?,
        Some(Only::Ratings) => Application::build_ratings(settings).await?,
    };
    tracing::info!(
        address = %format!("http://{host}:{}", application.port()),
        database = %database,
        "QuickFix is serving; Swagger UI at /docs/"
    );
    application.run_until_stopped().await?;
    tracing::info!("QuickFix stopped");
    Ok(())
}

async fn migrate(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let (_, applied) = app::prepare_database(&settings).await?;
    if applied.is_empty() {
        println!("the database is up to date");
    }
    for version in applied {
        println!("applied {version}");
    }
    Ok(())
}

async fn create_admin(
    settings: Settings,
    email: String,
    password: String,
    name: String,
) -> Result<(), Box<dyn std::error::Error>> {
    let (pool, _) = app::prepare_database(&settings).await?;
    let id = admin::create_admin(&pool, &settings, email.clone(), password, name).await?;
    println!("created admin {id} <{}>", email.trim().to_lowercase());
    Ok(())
}

async fn seed(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    if settings.app.env == AppEnv::Production {
        return Err(quickfix_gateway::seed::REFUSED_IN_PRODUCTION.into());
    }
    eprintln!("{}", quickfix_gateway::seed::PUBLIC_PASSWORD_WARNING);
    let (pool, _) = app::prepare_database(&settings).await?;
    let report = quickfix_gateway::seed::seed(&pool, &settings).await?;
    if report.already_seeded {
        println!("the demo data is there already; nothing changed");
    } else {
        println!(
            "seeded {} customers, {} providers, {} jobs, {} bookings, {} ratings",
            report.customers, report.providers, report.jobs, report.bookings, report.ratings
        );
    }
    println!(
        "log in with password `{}` as:",
        quickfix_gateway::seed::DEMO_PASSWORD
    );
    for (role, email) in report.logins {
        println!("  {role:<9} {email}");
    }
    Ok(())
}

fn print_openapi(output: Option<&PathBuf>) -> ExitCode {
    let json = openapi::document_json();
    match output {
        None => {
            print!("{json}");
            ExitCode::SUCCESS
        }
        Some(path) => match std::fs::write(path, json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("quickfix: cannot write {}: {err}", path.display());
                ExitCode::FAILURE
            }
        },
    }
}
