#![doc = include_str!("../README.md")]

pub mod dto;
pub mod error;
pub mod models;
pub mod repository;
mod routes;
pub mod schema;
pub mod service;

use std::sync::Arc;

use quickfix_shared::ApiError;
use quickfix_shared::auth::{AccountGate, AuthUser, GateFuture};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::ratelimit::RateLimiter;
use quickfix_shared::storage::SharedStorage;
use tokio::sync::OnceCell;

pub use routes::configure;
pub use service::{UserSummary, count_by_role, set_rating_aggregate, user_summaries, user_summary};

/// What the users crate needs from configuration.
#[derive(Debug, Clone)]
pub struct UsersConfig {
    /// bcrypt cost.
    pub bcrypt_cost: u32,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl_secs: i64,
    /// The deployment's currency.
    pub currency: String,
    /// Largest avatar in bytes.
    pub avatar_limit_bytes: usize,
    /// Whether auth routes are rate limited.
    pub rate_limit: bool,
}

/// The crate's state, shared by its handlers as app data.
pub struct UsersState {
    /// Configuration.
    pub config: UsersConfig,
    /// Limits on register, login and refresh.
    pub limiter: RateLimiter,
    /// Where avatars are kept.
    pub storage: SharedStorage,
    dummy_hash: OnceCell<String>,
}

impl UsersState {
    /// The state for a configuration and a store.
    pub fn new(config: UsersConfig, storage: SharedStorage) -> Self {
        Self {
            limiter: RateLimiter::new(config.rate_limit),
            config,
            storage,
            dummy_hash: OnceCell::new(),
        }
    }

    /// A hash of the configured cost that matches no password, checked when
    /// a login names an unknown email so both failures take the same time.
    pub async fn dummy_hash(&self) -> Result<String, ApiError> {
        let cost = self.config.bcrypt_cost;
        self.dummy_hash
            .get_or_try_init(|| async move {
                service::hash_password(uuid::Uuid::now_v7().to_string(), cost)
                    .await
                    .map_err(ApiError::from)
            })
            .await
            .cloned()
    }
}

/// Refuses tokens of deactivated users and of ended logins, on every
/// authenticated request (one indexed lookup).
pub struct SessionGate {
    pool: DbPool,
}

impl SessionGate {
    /// A gate reading from `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl AccountGate for SessionGate {
    fn check(&self, user: &AuthUser) -> GateFuture {
        let pool = self.pool.clone();
        let user = user.clone();
        Box::pin(async move {
            let live = db::run(&pool, move |conn| {
                service::is_session_live(conn, &user.id, &user.session)
            })
            .await
            .map_err(ApiError::from)?;
            if live {
                Ok(())
            } else {
                Err(ApiError::unauthorized(
                    "this login has ended or the account is inactive",
                ))
            }
        })
    }
}
