#![doc = include_str!("../README.md")]

pub mod consumers;
pub mod dto;
pub mod error;
pub mod models;
pub mod repository;
mod routes;
pub mod schema;
pub mod service;

pub use error::JobsError;
pub use routes::configure;
pub use service::{AcceptedOffer, accept_offer_in, count_jobs_by_status};

/// This crate's tables (`categories`, `jobs`, `offers`), from `migrations/jobs/`.
pub const MIGRATIONS: quickfix_shared::db::CrateMigrations = quickfix_shared::db::CrateMigrations {
    owner: "jobs",
    common: diesel_migrations::embed_migrations!("../../migrations/jobs/common"),
    sqlite: None,
    postgres: None,
};

/// The crate's state, shared by its handlers as app data.
#[derive(Debug, Clone)]
pub struct JobsState {
    /// The deployment's currency.
    pub currency: String,
}
