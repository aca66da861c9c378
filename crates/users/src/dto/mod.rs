//! Request and response types of the users routes.

use chrono::{DateTime, Utc};
use quickfix_shared::auth::Role;
use quickfix_shared::extract::nullable;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::models::{LoginSession, ProviderService, User};

mod admin;
mod auth;
mod catalog;
mod directory;
mod favorites;
mod identities;
mod lifecycle;
mod profile;
mod reports;
mod sessions;
mod verifications;

pub use admin::*;
pub use auth::*;
pub use catalog::*;
pub use directory::*;
pub use favorites::*;
pub use identities::*;
pub use lifecycle::*;
pub use profile::*;
pub use reports::*;
pub use sessions::*;
pub use verifications::*;
