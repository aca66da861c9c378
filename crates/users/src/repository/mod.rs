//! Queries on this crate's tables. Each takes the connection first, so it
//! runs inside or outside the caller's transaction alike.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use quickfix_shared::auth::Role;
use quickfix_shared::db::{DbConn, MultiBackend, contains_pattern};
use quickfix_shared::geo::BoundingBox;
use quickfix_shared::pagination::Cursor;

use crate::models::{
    AccountToken, Favorite, LoginSession, NewUser, ProfileChangeset, ProviderService, RefreshToken,
    User,
};
use crate::schema::{
    account_tokens, favorites, login_sessions, notification_preferences, provider_services,
    refresh_tokens, users,
};

mod accounts;
mod admin;
mod blocks;
mod catalog;
mod directory;
mod favourites;
mod identities;
mod reports;
mod sessions;
mod tokens;
mod verifications;

pub use accounts::*;
pub use admin::*;
pub use blocks::*;
pub use catalog::*;
pub use directory::*;
pub use favourites::*;
pub use identities::*;
pub use reports::*;
pub use sessions::*;
pub use tokens::*;
pub use verifications::*;
