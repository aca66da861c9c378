//! End-to-end tests of the gateway, one module per area.
#![expect(
    clippy::unwrap_used,
    reason = "a failed unwrap fails the test, which is the point"
)]

mod auth;
mod conventions;
mod database;
mod messaging;
mod openapi;
mod realtime;
mod service;
mod users;
