//! The crate's rules against a real database (SQLite, and PostgreSQL when
//! `QUICKFIX_TEST_POSTGRES_URL` is set), with fakes of the other crates.

mod emails;
mod notifications;
mod participants;
