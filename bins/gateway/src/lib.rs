//! The QuickFix gateway: loads configuration, builds the pool, runs
//! migrations and mounts every domain crate. It holds no business rules.

pub mod admin;
pub mod app;
pub mod email_log;
pub mod event_log;
pub mod event_types;
pub mod fallback;
pub mod glue;
mod headers;
pub mod housekeeping;
pub mod modlog;
pub mod openapi;
pub mod seed;
pub mod service;
pub mod settings;
pub mod solo;
pub mod stats;
pub mod task_log;
pub mod telemetry;

pub use app::{Application, StartupError};
pub use settings::Settings;
