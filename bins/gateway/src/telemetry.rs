//! Logs and metrics: the tracing subscriber (JSON in production), and the
//! middleware that opens one span per request, logs its outcome once and
//! counts it for `/metrics`.
//!
//! Only the path is logged, never the query string (the WebSocket upgrade
//! carries its token there), nor headers or bodies.

use std::future::{Ready, ready};
use std::io::BufWriter;
use std::rc::Rc;
use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage};
use futures_util::future::LocalBoxFuture;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry};
use quickfix_shared::db::DbPool;
use quickfix_shared::request_id::RequestId;
use tracing::Instrument;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::settings::AppEnv;

/// Installs the global tracing subscriber; `RUST_LOG` overrides the level.
///
/// Lines go to standard error through a queue drained by a writer thread,
/// which writes whatever has queued up in one system call, so a request
/// never waits on a write; the queue holds [`LOG_BUFFER_LINES`] lines and,
/// when full, callers wait rather than lose lines. Keep the returned guard
/// alive until exit: dropping it flushes.
pub fn init(env: AppEnv) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .lossy(false)
        .thread_name("quickfix-log")
        .finish(BufWriter::new(std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let result = if env == AppEnv::Production {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
    match result {
        Ok(()) => Some(guard),
        Err(err) => {
            eprintln!("tracing was already initialised: {err}");
            None
        }
    }
}

/// Log lines that may wait for the writer thread before callers block.
pub const LOG_BUFFER_LINES: usize = 4_096;

/// The Prometheus metrics of one gateway process.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
}

impl Metrics {
    /// Registers the metrics.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("quickfix".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )?;
        let durations = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["method", "route"],
        )?;
        let pool_connections = IntGauge::new("db_pool_connections", "Open database connections")?;
        let pool_idle = IntGauge::new("db_pool_idle_connections", "Idle database connections")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(durations.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_idle.clone()))?;
        Ok(Self {
            registry,
            requests,
            durations,
            pool_connections,
            pool_idle,
        })
    }

    /// The metrics in Prometheus text format, with the pool's state now.
    pub fn render(&self, pool: &DbPool) -> Result<String, prometheus::Error> {
        let state = pool.state();
        self.pool_connections.set(i64::from(state.connections));
        self.pool_idle.set(i64::from(state.idle_connections));
        prometheus::TextEncoder::new().encode_to_string(&self.registry.gather())
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.durations
            .with_label_values(&[method, route])
            .observe(seconds);
    }
}

/// The method as a metrics label: the standard methods by name, anything
/// else `OTHER`, so invented methods cannot grow the series without bound.
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

/// Middleware: a span per request, one log line per response, metrics.
#[derive(Clone)]
pub struct RequestTelemetry {
    metrics: Metrics,
}

impl RequestTelemetry {
    /// Telemetry recording into `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequestTelemetry
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestTelemetryService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestTelemetryService {
            service: Rc::new(service),
            metrics: self.metrics.clone(),
        }))
    }
}

/// The service [`RequestTelemetry`] wraps around the app.
pub struct RequestTelemetryService<S> {
    service: Rc<S>,
    metrics: Metrics,
}

impl<S, B> Service<ServiceRequest> for RequestTelemetryService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let method = method_label(req.method());
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        let span = tracing::info_span!(
            "http.request",
            http.method = %method,
            http.path = %req.path(),
            request_id = %request_id,
        );
        let service = Rc::clone(&self.service);
        let metrics = self.metrics.clone();
        Box::pin(
            async move {
                let result = service.call(req).await;
                let elapsed = started.elapsed();
                let (status, route) = match &result {
                    Ok(res) => (
                        res.status().as_u16(),
                        res.request()
                            .match_pattern()
                            .unwrap_or_else(|| "unmatched".to_owned()),
                    ),
                    Err(err) => (
                        err.as_response_error().status_code().as_u16(),
                        "unmatched".to_owned(),
                    ),
                };
                metrics.observe(method, &route, status, elapsed.as_secs_f64());
                let latency_ms = elapsed.as_secs_f64() * 1000.0;
                if status >= 500 {
                    tracing::error!(http.status = status, latency_ms, "request failed");
                } else {
                    tracing::info!(http.status = status, latency_ms, "request served");
                }
                result
            }
            .instrument(span),
        )
    }
}
