//! Building and running the HTTP server: state, middleware, routes.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::{App, HttpServer, ResponseError, web};
use futures_util::future::Either;
use quickfix_messaging::emails::{EmailNotifications, spawn_message_digests};
use quickfix_messaging::{Hub, MessagingConfig, MessagingState};
use quickfix_ratings::contract::RatingEvent;
use quickfix_shared::auth::{SharedAccountGate, VerifiedEmailRule};
use quickfix_shared::db::{self, DbError, DbPool};
use quickfix_shared::events::EventSet;
use quickfix_shared::export::PersonalDataSources;
use quickfix_shared::extract::{JsonLimit, path_error_handler};
use quickfix_shared::mail::{MailSetupError, Mailer};
use quickfix_shared::moderation::ModerationSources;
use quickfix_shared::outbox::streams::{self, StreamPublisher, StreamTarget};
use quickfix_shared::outbox::{Relay, SharedRelay};
use quickfix_shared::quota::{QuotaLimits, Quotas};
use quickfix_shared::ratelimit::{Limit, RateLimiter, TrustedProxies, client_ip};
use quickfix_shared::request_id::RequestIdMiddleware;
use quickfix_shared::storage::{LocalStorage, SharedStorage};
use quickfix_shared::tasks::Scheduler;
use quickfix_users::{SessionCache, SessionGate, UsersConfig, UsersState};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::fallback::{self, RouteTable};
use crate::glue::{BookingsLocationSink, Crates, SocketsOfEndedLogins};
use crate::headers::{cors, security_headers};
use crate::housekeeping::spawn_housekeeping;
pub use crate::housekeeping::{Purged, Retention, purge_expired};
use crate::openapi::{self, DocumentJson};
use crate::service;
use crate::settings::{AppEnv, Settings};
use crate::telemetry::{Metrics, RequestTelemetry};
use crate::{email_log, event_log, modlog, stats, task_log};

/// The largest avatar image (the contract's 2 MiB).
const AVATAR_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// The prefix of every API route.
pub const API_PREFIX: &str = "/api/v1";

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database URL names no supported backend.
    #[error(transparent)]
    Url(#[from] db::UnsupportedUrl),
    /// The database could not be reached or migrated.
    #[error("database: {0}")]
    Database(#[from] DbError),
    /// The listener could not be bound.
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
    /// The metrics registry could not be built.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The real-time fan-out could not be set up.
    #[error(transparent)]
    Realtime(#[from] quickfix_messaging::RealtimeError),
    /// The event stream could not be set up.
    #[error("event stream: {0}")]
    Stream(String),
    /// The email settings do not make a mailer.
    #[error(transparent)]
    Mail(#[from] MailSetupError),
    /// The identity providers' HTTP client could not be made.
    #[error("identity providers: {0}")]
    IdentityProviders(String),
    /// The settings must not run (see [`Settings::check`]).
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
}

/// The gateway's name on the event stream (its consumer group, the origin
/// of what it publishes).
pub const STREAM_SERVICE: &str = "gateway";

/// Every crate's migrations; each crate keeps its own in `migrations/<crate>/`.
pub const MIGRATIONS: &[db::CrateMigrations] = &[
    db::MIGRATIONS,
    quickfix_users::MIGRATIONS,
    quickfix_jobs::MIGRATIONS,
    quickfix_bookings::MIGRATIONS,
    quickfix_ratings::MIGRATIONS,
    quickfix_messaging::MIGRATIONS,
];

/// Registers every route: the service endpoints at the root and each domain
/// crate under `/api/v1`. The OpenAPI document is built from this too.
pub fn mount(cfg: &mut ServiceConfig) {
    mount_crates(cfg, true);
}

/// [`mount`], leaving out the ratings routes when that crate runs as its
/// own service (`ratings.enabled = false`; the load balancer sends its
/// paths there).
pub fn mount_crates(cfg: &mut ServiceConfig, with_ratings: bool) {
    let mut api = utoipa_actix_web::scope(API_PREFIX)
        .configure(quickfix_users::configure)
        .configure(quickfix_jobs::configure)
        .configure(quickfix_bookings::configure);
    if with_ratings {
        api = api.configure(quickfix_ratings::configure);
    }
    cfg.service(service::health)
        .service(service::ready)
        .service(service::metrics)
        .service(
            api.configure(quickfix_messaging::configure)
                .service(stats::get_stats)
                .service(event_log::list_events)
                .service(email_log::list_emails)
                .service(task_log::list_tasks)
                .service(modlog::list_modlog),
        );
}

/// Builds the pool and applies pending migrations.
pub async fn prepare_database(settings: &Settings) -> Result<(DbPool, Vec<String>), StartupError> {
    let pool = db::build_pool(&settings.database.url, &settings.database.pool_options())?;
    let applied = db::run(&pool, |conn| db::run_migrations(conn, MIGRATIONS)).await?;
    Ok((pool, applied))
}

/// A running gateway.
pub struct Application {
    pub(crate) port: u16,
    pub(crate) server: Server,
    pub(crate) pool: DbPool,
    pub(crate) relay: SharedRelay,
}

impl Application {
    /// Prepares the database and binds the listener; the server runs once
    /// `run_until_stopped` is awaited.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        settings.check()?;
        let (pool, applied) = prepare_database(&settings).await?;
        if !applied.is_empty() {
            tracing::info!(migrations = applied.len(), "database migrated");
        }
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        let relay = Relay::new(pool.clone());
        let hub = Hub::start(settings.redis.url.as_deref()).await?;
        let server = serve(listener, settings, pool.clone(), Arc::clone(&relay), hub)?;
        Ok(Self {
            port,
            server,
            pool,
            relay,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pool the server uses.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// The outbox relay the server stores and delivers domain events with.
    pub fn relay(&self) -> &SharedRelay {
        &self.relay
    }

    /// A handle that stops the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM or the handle stops it; in-flight
    /// requests are given the shutdown timeout to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Schedules the reveal of ratings hidden before the scheduler knew them
/// (beside the start: the server answers meanwhile).
pub(crate) fn catch_up_reveals(pool: DbPool, reveal_after: chrono::Duration) {
    tokio::spawn(async move {
        match quickfix_ratings::schedule_hidden_reveals(&pool, reveal_after).await {
            Ok(0) => {}
            Ok(bookings) => tracing::info!(bookings, "hidden ratings' reveals scheduled"),
            Err(err) => tracing::warn!(error = %err, "hidden ratings' reveals were not scheduled"),
        }
    });
}

/// Schedules the expiry of open jobs and offers that have none (work from
/// before the scheduler), in the background.
fn catch_up_expiries(pool: DbPool, rules: quickfix_jobs::settings::JobRules) {
    tokio::spawn(async move {
        match quickfix_jobs::timed::schedule_missing_expiries(&pool, rules).await {
            Ok(0) => {}
            Ok(scheduled) => tracing::info!(scheduled, "open jobs' and offers' expiries scheduled"),
            Err(err) => {
                tracing::warn!(error = %err, "open jobs' and offers' expiries were not scheduled")
            }
        }
    });
}

/// The crates' parts of a user's data export, in the order they are
/// written (the ratings crate's when it runs in this process).
fn personal_data(pool: &DbPool, settings: &Settings) -> PersonalDataSources {
    let currency = &settings.app.currency;
    let mut sources: PersonalDataSources = vec![
        quickfix_jobs::export::JobsData::new(pool.clone(), currency),
        quickfix_bookings::export::BookingsData::new(pool.clone(), currency),
        quickfix_messaging::export::MessagingData::new(pool.clone()),
    ];
    if settings.ratings.enabled {
        sources.push(quickfix_ratings::export::RatingsData::new(pool.clone()));
    }
    sources
}

/// The crates that answer for reported objects (the ratings crate's when it
/// runs in this process).
fn moderation(pool: &DbPool, relay: &SharedRelay, settings: &Settings) -> ModerationSources {
    let mut sources: ModerationSources = vec![
        quickfix_users::moderation::AccountsModeration::new(pool.clone()),
        quickfix_jobs::moderation::JobsModeration::new(pool.clone(), &settings.app.currency),
        quickfix_messaging::moderation::MessagesModeration::new(pool.clone()),
    ];
    if settings.ratings.enabled {
        sources.push(quickfix_ratings::moderation::RatingsModeration::new(
            pool.clone(),
            relay,
        ));
    }
    sources
}

fn serve(
    listener: TcpListener,
    settings: Settings,
    pool: DbPool,
    relay: SharedRelay,
    hub: Hub,
) -> Result<Server, StartupError> {
    let document = openapi::document();
    let routes = web::Data::new(RouteTable::from_openapi(&document));
    let document_json = web::Data::new(DocumentJson(web::Bytes::from(openapi::pretty_json(
        &document,
    ))));
    drop(document);
    let metrics = Metrics::new()?;
    let keys = web::Data::new(settings.auth.jwt_keys());
    let storage: SharedStorage = Arc::new(LocalStorage::new(&settings.storage.path));
    let sessions = Arc::new(SessionCache::new(Duration::from_millis(
        settings.auth.session_cache_ms,
    )));
    let quotas = Arc::new(Quotas::new(
        QuotaLimits {
            messages_per_minute: settings.quota.messages_per_minute,
            conversations_per_day: settings.quota.conversations_per_day,
            upload_bytes_per_day: settings.quota.upload_bytes_per_day,
            sockets_per_user: settings.quota.sockets_per_user.max(1),
        },
        settings.rate_limit.enabled,
    ));
    let proxies =
        web::Data::new(TrustedProxies::parse(&settings.server.trusted_proxies).unwrap_or_default());
    let ip_limiter = Arc::new(RateLimiter::new(settings.rate_limit.enabled));
    let per_ip = Limit::per_minute(settings.rate_limit.per_ip_per_minute.max(1));
    let users = web::Data::new(
        UsersState::new(
            UsersConfig {
                bcrypt_cost: settings.auth.bcrypt_cost,
                refresh_ttl_secs: settings.auth.refresh_ttl_secs,
                currency: settings.app.currency.clone(),
                avatar_limit_bytes: AVATAR_LIMIT_BYTES,
                upload_limit_bytes: settings.server.upload_limit_bytes,
                rate_limit: settings.rate_limit.enabled,
                login_failures_per_minute: settings.rate_limit.login_per_account_per_minute,
                password_checks_per_minute: settings
                    .rate_limit
                    .password_checks_per_account_per_minute,
                public_url: settings.app.public_url.clone(),
                reset_ttl_secs: settings.auth.reset_ttl_secs,
                verify_resend_secs: settings.auth.verify_resend_secs,
                emails_per_address_per_hour: settings.rate_limit.emails_per_address_per_hour,
            },
            Arc::clone(&storage),
            Arc::clone(&sessions),
        )
        .with_quotas(Arc::clone(&quotas))
        .with_account_closure(quickfix_jobs::Closures::new(pool.clone()))
        .with_personal_data(personal_data(&pool, &settings))
        .with_moderation(moderation(&pool, &relay, &settings))
        .with_login_endings(Arc::new(SocketsOfEndedLogins(hub.clone())))
        .with_identity_providers(Arc::new(
            quickfix_users::oidc::IdentityProviders::new(settings.oidc.clone())
                .map_err(StartupError::IdentityProviders)?,
        )),
    );
    // Logins ended on another instance are forgotten here at once too.
    let forget = Arc::clone(&sessions);
    hub.on_logins_ended(Arc::new(move |user, session| match session {
        Some(session) => forget.forget_session(session),
        None => forget.forget_user(user),
    }));
    let crates = Crates::wire(&settings, &pool, &relay);
    crates.register_consumers(&pool, &relay);
    let reveal_after = crates.ratings.reveal_after;
    let emails = Arc::clone(&crates.emails);
    let jobs = web::Data::new(crates.jobs);
    let bookings = web::Data::new(crates.bookings);
    let ratings = web::Data::new(crates.ratings);
    let messaging = web::Data::new(
        MessagingState::new(
            MessagingConfig {
                upload_limit_bytes: settings.server.upload_limit_bytes,
                ..MessagingConfig::default()
            },
            Arc::clone(&storage),
            hub.clone(),
            Arc::clone(&relay),
            crates.accounts,
        )
        .with_quotas(quotas)
        .with_location_sink(Arc::new(BookingsLocationSink::new(
            Arc::clone(&relay),
            bookings.get_ref().clone(),
        ))),
    );
    relay.register(quickfix_messaging::Notifier::new(pool.clone(), hub.clone()));
    let email_notifications = EmailNotifications::new(
        pool.clone(),
        hub,
        Arc::clone(&messaging.accounts),
        emails,
        &settings.app.public_url,
        Duration::from_secs(settings.email.message_delay_secs.max(0).unsigned_abs()),
    );
    relay.register(email_notifications.consumer());
    spawn_message_digests(
        email_notifications,
        Duration::from_millis(settings.email.poll_interval_ms.clamp(10, 1000)),
    );
    // With Redis, every event stored here is also appended to the event
    // stream, where services of their own (a crate that left) read it.
    let with_ratings = settings.ratings.enabled;
    if let Some(url) = settings.redis.url.as_deref() {
        let target = StreamTarget::open(url, STREAM_SERVICE).map_err(StartupError::Stream)?;
        relay.register(StreamPublisher::new(target.clone()));
        // A crate that runs elsewhere: its events come over the stream.
        if !with_ratings {
            streams::spawn_subscriber(target, RatingEvent::KINDS.to_vec(), Arc::clone(&relay));
        }
    } else if !with_ratings {
        return Err(StartupError::Stream(
            "ratings.enabled = false needs redis.url: the ratings service's events come over the Redis stream".to_owned(),
        ));
    }
    relay.spawn();
    Mailer::new(pool.clone(), &settings.email.mail_settings())?.spawn();
    let email_rule = web::Data::new(VerifiedEmailRule(settings.auth.require_verified_email));
    let relay_data: web::Data<SharedRelay> = web::Data::new(Arc::clone(&relay));
    let gate: web::Data<SharedAccountGate> =
        web::Data::new(SessionGate::new(pool.clone(), Arc::clone(&sessions)));
    let pool_data = web::Data::new(pool.clone());
    let metrics_data = web::Data::new(metrics.clone());
    let json_limit = JsonLimit(settings.server.json_limit_bytes);
    let origins = settings.cors.origins();
    let production = settings.app.env == AppEnv::Production;

    spawn_housekeeping(
        pool.clone(),
        Retention::of(&settings),
        Duration::from_secs(settings.retention.purge_interval_secs.max(1)),
    );
    let mut scheduler = Scheduler::new(
        pool.clone(),
        Duration::from_millis(settings.scheduler.poll_interval_ms.clamp(10, 1000)),
        chrono::TimeDelta::seconds(settings.scheduler.retry_base_secs.max(1)),
    );
    let job_rules = settings.jobs.rules();
    scheduler = scheduler
        .with(quickfix_jobs::timed::OfferExpiryTask::new(
            Arc::clone(&relay),
            job_rules,
        ))
        .with(quickfix_jobs::timed::JobExpiryTask::new(
            Arc::clone(&relay),
            job_rules,
        ))
        .with(quickfix_bookings::timed::RemindTask::new(Arc::clone(
            &relay,
        )))
        .with(quickfix_users::timed::UnsuspendTask::new(Arc::clone(
            &relay,
        )))
        .with(quickfix_bookings::timed::NoShowTask::new(
            Arc::clone(&relay),
            &settings.app.currency,
            settings.bookings.timers(),
        ));
    if with_ratings {
        scheduler = scheduler.with(quickfix_ratings::RevealTask::new(
            Arc::clone(&relay),
            reveal_after,
        ));
        catch_up_reveals(pool.clone(), reveal_after);
    }
    catch_up_expiries(pool.clone(), job_rules);
    scheduler.spawn();

    let mut server = HttpServer::new(move || {
        let app = App::new()
            .into_utoipa_app()
            .app_data(pool_data.clone())
            .app_data(keys.clone())
            .app_data(relay_data.clone())
            .app_data(users.clone())
            .app_data(jobs.clone())
            .app_data(bookings.clone())
            .app_data(ratings.clone())
            .app_data(messaging.clone())
            .app_data(gate.clone())
            .app_data(email_rule.clone())
            .app_data(proxies.clone())
            .app_data(metrics_data.clone())
            .app_data(routes.clone())
            .app_data(json_limit)
            .app_data(web::PathConfig::default().error_handler(path_error_handler))
            .configure(|cfg| mount_crates(cfg, with_ratings))
            .into_app();
        app.service(web::redirect("/docs", "/docs/"))
            .app_data(document_json.clone())
            .route(
                openapi::DOCUMENT_PATH,
                web::get().to(openapi::serve_document),
            )
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .config(utoipa_swagger_ui::Config::from(openapi::DOCUMENT_PATH)),
            )
            .default_service(web::to(fallback::not_matched))
            .wrap_fn(move |req, srv| {
                let docs = req.path().starts_with("/docs");
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    security_headers(res.headers_mut(), docs, production);
                    Ok(res)
                }
            })
            .wrap_fn({
                let limiter = Arc::clone(&ip_limiter);
                // The contract's global limit: every request of one client IP.
                move |req, srv| {
                    if !limiter.is_enabled() {
                        return Either::Left(srv.call(req));
                    }
                    let ip = client_ip(req.request());
                    match limiter.check(&format!("ip:{ip}"), per_ip) {
                        Ok(()) => Either::Left(srv.call(req)),
                        Err(refused) => {
                            let response = refused.error_response().map_into_boxed_body();
                            Either::Right(std::future::ready(Ok(req.into_response(response))))
                        }
                    }
                }
            })
            .wrap(cors(&origins))
            .wrap(RequestTelemetry::new(metrics.clone()))
            .wrap(RequestIdMiddleware)
    })
    .listen(listener)?
    .shutdown_timeout(settings.server.shutdown_timeout_secs);
    if let Some(workers) = settings.server.workers {
        server = server.workers(workers.max(1));
    }
    Ok(server.run())
}
