//! The security hardening of v1.1, each test written as the attack it
//! stops (`docs/security.md` maps them to the OWASP API Top 10).

mod admin_routes;
mod control_characters;
mod limits;
mod location;
mod metrics;
mod passwords;
mod retention;
mod sockets;
mod tokens;
mod uploads;
