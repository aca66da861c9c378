#![doc = include_str!("../README.md")]

pub mod commands;
pub mod consumers;
pub mod dto;
pub mod error;
pub mod export;
pub(crate) mod models;
pub mod moderation;
pub(crate) mod repository;
mod routes;
pub(crate) mod schema;
pub(crate) mod service;
pub mod settings;
#[cfg(test)]
mod tests;
pub mod timed;

use futures_util::future::BoxFuture;
use quickfix_jobs_contract::{AcceptOffer, AcceptedOffer, JobEvent, OfferAcceptance};
use quickfix_shared::ApiError;
use quickfix_shared::events::EventSet;
use quickfix_shared::outbox::SharedRelay;

pub use error::JobsError;
pub use quickfix_jobs_contract as contract;
pub use routes::configure;

/// This crate's tables (`categories`, `jobs`, `offers`), from `migrations/jobs/`.
pub const MIGRATIONS: quickfix_shared::db::CrateMigrations = quickfix_shared::db::CrateMigrations {
    owner: "jobs",
    common: diesel_migrations::embed_migrations!("../../migrations/jobs/common"),
    sqlite: Some(diesel_migrations::embed_migrations!(
        "../../migrations/jobs/sqlite"
    )),
    postgres: Some(diesel_migrations::embed_migrations!(
        "../../migrations/jobs/postgres"
    )),
};

/// The crate's state, shared by its handlers as app data.
#[derive(Clone)]
pub struct JobsState {
    /// The deployment's currency.
    pub currency: String,
    /// Negotiation and expiry.
    pub rules: settings::JobRules,
    /// The users crate's answers (who blocked a provider).
    pub accounts: std::sync::Arc<dyn quickfix_users_contract::AccountDirectory>,
}

impl std::fmt::Debug for JobsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobsState")
            .field("currency", &self.currency)
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

/// The jobs crate's answer to the accept command of the bookings crate:
/// the command runs in a transaction of its own and stores `offer.accepted`
/// with it, so the booking follows even if the caller stops right after.
pub struct Offers {
    relay: SharedRelay,
}

impl Offers {
    /// The command handler, storing through `relay`.
    pub fn new(relay: SharedRelay) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self { relay })
    }
}

impl OfferAcceptance for Offers {
    fn accept(&self, command: AcceptOffer) -> BoxFuture<'static, Result<AcceptedOffer, ApiError>> {
        let relay = self.relay.clone();
        Box::pin(async move {
            relay
                .run(move |conn| {
                    let (accepted, fresh) = service::accept_offer(conn, &command)?;
                    let events = if fresh {
                        vec![
                            JobEvent::OfferAccepted(accepted.clone())
                                .into_event(Some(command.by.user_id().as_str())),
                        ]
                    } else {
                        Vec::new()
                    };
                    Ok::<_, JobsError>((accepted, events))
                })
                .await
                .map_err(ApiError::from)
        })
    }
}

/// The jobs crate's side of deleting an account ([`AccountClosure`]),
/// through the pool.
pub struct Closures {
    pool: quickfix_shared::db::DbPool,
}

impl Closures {
    /// The closures, through `pool`.
    pub fn new(pool: quickfix_shared::db::DbPool) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self { pool })
    }
}

impl quickfix_jobs_contract::AccountClosure for Closures {
    fn close(
        &self,
        user: quickfix_shared::ids::UserId,
    ) -> BoxFuture<'static, Result<(), ApiError>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            quickfix_shared::db::run(&pool, move |conn| service::close_account(conn, &user))
                .await
                .map_err(ApiError::from)
        })
    }

    fn reopen(
        &self,
        user: quickfix_shared::ids::UserId,
    ) -> BoxFuture<'static, Result<(), ApiError>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            quickfix_shared::db::run(&pool, move |conn| service::reopen_account(conn, &user))
                .await
                .map_err(ApiError::from)
        })
    }
}

/// Jobs per state, for admin statistics.
pub async fn count_jobs_by_status(
    pool: &quickfix_shared::db::DbPool,
) -> Result<std::collections::HashMap<String, i64>, quickfix_shared::db::DbError> {
    quickfix_shared::db::run(pool, service::count_jobs_by_status).await
}
