#![doc = include_str!("../README.md")]

pub mod auth;
pub mod bounds;
pub mod db;
pub mod error;
pub mod events;
pub mod export;
pub mod extract;
pub mod geo;
pub mod idempotency;
pub mod ids;
pub mod mail;
pub mod moderation;
pub mod modlog;
pub mod openapi;
pub mod outbox;
pub mod pagination;
pub mod quota;
pub mod ratelimit;
pub mod request_id;
mod schema;
pub mod settings;
pub mod storage;
pub mod tasks;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod text;

pub use error::{ApiError, ErrorCode, FieldError, Problem};
