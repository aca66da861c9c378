//! The crate's rules against a real database (SQLite, and PostgreSQL when
//! `QUICKFIX_TEST_POSTGRES_URL` is set), with a fake of the jobs crate's
//! accept command.

mod accept;
