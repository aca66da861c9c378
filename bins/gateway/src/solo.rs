//! A crate served as its own service: `quickfix serve --only ratings`. It
//! holds only its own tables (and the outbox's), in its own database; it
//! learns of bookings, accounts, suspensions and logins from the other
//! services' events over the Redis stream, and publishes its own there (the
//! gateway's users crate applies the rating aggregates). The gateway beside
//! it runs with `ratings.enabled = false`.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Service;
use actix_web::{App, HttpServer, web};
use quickfix_ratings::RatingsState;
use quickfix_ratings::following::{
    FollowedAccounts, FollowedBookings, FollowedSessionGate, Following, followed_kinds,
};
use quickfix_shared::auth::SharedAccountGate;
use quickfix_shared::db::{self, CrateMigrations};
use quickfix_shared::extract::{JsonLimit, path_error_handler};
use quickfix_shared::outbox::Relay;
use quickfix_shared::outbox::streams::{self, StreamPublisher, StreamTarget};
use quickfix_shared::request_id::RequestIdMiddleware;
use utoipa_actix_web::AppExt;

use crate::app::{API_PREFIX, Application, StartupError};
use crate::fallback::{self, RouteTable};
use crate::headers::{cors, security_headers};
use crate::service;
use crate::settings::Settings;

/// The ratings service's name on the event stream.
pub const RATINGS_SERVICE: &str = "ratings";

/// The tables the ratings service holds: the outbox's and its own.
pub const RATINGS_MIGRATIONS: &[CrateMigrations] = &[db::MIGRATIONS, quickfix_ratings::MIGRATIONS];

impl Application {
    /// The ratings crate as its own service, on `settings`' database and
    /// port; `redis.url` is required (its only way to learn of the others).
    pub async fn build_ratings(settings: Settings) -> Result<Self, StartupError> {
        settings.check()?;
        let url = settings.redis.url.clone().ok_or_else(|| {
            StartupError::Stream("the ratings service needs redis.url".to_owned())
        })?;
        let pool = db::build_pool(&settings.database.url, &settings.database.pool_options())?;
        db::run(&pool, |conn| db::run_migrations(conn, RATINGS_MIGRATIONS)).await?;
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();

        let relay = Relay::new(pool.clone());
        relay.register(Following::new(pool.clone()));
        relay.register(quickfix_ratings::voiding::VoidedBookings::new(&relay));
        let target = StreamTarget::open(&url, RATINGS_SERVICE).map_err(StartupError::Stream)?;
        relay.register(StreamPublisher::new(target.clone()));
        streams::spawn_subscriber(target, followed_kinds(), Arc::clone(&relay));
        relay.spawn();

        let reveal_after = settings.ratings.reveal_after();
        quickfix_shared::tasks::Scheduler::new(
            pool.clone(),
            std::time::Duration::from_millis(settings.scheduler.poll_interval_ms.clamp(10, 1000)),
            chrono::TimeDelta::seconds(settings.scheduler.retry_base_secs.max(1)),
        )
        .with(quickfix_ratings::RevealTask::new(
            Arc::clone(&relay),
            reveal_after,
        ))
        .spawn();
        crate::app::catch_up_reveals(pool.clone(), reveal_after);
        let ratings = web::Data::new(RatingsState {
            reveal_after,
            bookings: FollowedBookings::new(pool.clone()),
            accounts: FollowedAccounts::new(pool.clone()),
        });
        let gate: web::Data<SharedAccountGate> =
            web::Data::new(FollowedSessionGate::new(pool.clone()));
        let keys = web::Data::new(settings.auth.jwt_keys());
        let pool_data = web::Data::new(pool.clone());
        let relay_data = web::Data::new(Arc::clone(&relay));
        let json_limit = JsonLimit(settings.server.json_limit_bytes);
        let origins = settings.cors.origins();
        let production = settings.app.env == crate::settings::AppEnv::Production;
        // The fallback's 404 and 405 know this service's routes only.
        let (_, document) = App::new()
            .into_utoipa_app()
            .service(utoipa_actix_web::scope(API_PREFIX).configure(quickfix_ratings::configure))
            .split_for_parts();
        let routes = web::Data::new(RouteTable::from_openapi(&document));
        let mut server = HttpServer::new(move || {
            App::new()
                .into_utoipa_app()
                .app_data(pool_data.clone())
                .app_data(keys.clone())
                .app_data(relay_data.clone())
                .app_data(ratings.clone())
                .app_data(gate.clone())
                .app_data(routes.clone())
                .app_data(json_limit)
                .app_data(web::PathConfig::default().error_handler(path_error_handler))
                .service(service::health)
                .service(service::ready)
                .service(utoipa_actix_web::scope(API_PREFIX).configure(quickfix_ratings::configure))
                .into_app()
                .default_service(web::to(fallback::not_matched))
                .wrap_fn(move |req, srv| {
                    let fut = srv.call(req);
                    async move {
                        let mut res = fut.await?;
                        security_headers(res.headers_mut(), false, production);
                        Ok(res)
                    }
                })
                .wrap(cors(&origins))
                .wrap(RequestIdMiddleware)
        })
        .listen(listener)?
        .shutdown_timeout(settings.server.shutdown_timeout_secs);
        if let Some(workers) = settings.server.workers {
            server = server.workers(workers.max(1));
        }
        Ok(Self {
            port,
            server: server.run(),
            pool,
            relay,
        })
    }
}
