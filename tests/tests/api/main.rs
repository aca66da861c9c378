//! End-to-end tests of the gateway, one module per area.
#![expect(
    clippy::unwrap_used,
    reason = "a failed unwrap fails the test, which is the point"
)]

mod auth;
mod blocks;
mod bookings;
mod conventions;
mod database;
mod deletion;
mod disputes;
mod events;
mod identity_providers;
mod jobs;
mod lifecycle;
mod messaging;
mod modlog;
mod negotiation;
mod notification_emails;
mod openapi;
mod ratings;
mod realtime;
mod reports;
mod security;
mod seed;
mod service;
mod split;
mod suspensions;
mod timed_rules;
mod users;
mod verifications;
