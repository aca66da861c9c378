//! The users crate's rules. Functions are synchronous, take a connection and
//! own their transactions; handlers run them on the blocking pool. Password
//! hashing has its own async door (`crate::passwords`).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime};
use quickfix_shared::auth::{Role, Standing};
use quickfix_shared::db::{self, DbConn, DbError};
use quickfix_shared::error::is_unique_violation;
use quickfix_shared::extract::is_slug;
use quickfix_shared::geo::{BoundingBox, Point};
use quickfix_shared::ids::{ServiceId, SessionId, UserId};
use quickfix_shared::pagination::{Cursor, Page, collect_filtered};
use quickfix_shared::{FieldError, storage};
use quickfix_users_contract::{EMAIL_NOTIFICATION_KINDS, EmailContact, UserSummary};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::dto::{CatalogServiceRequest, RegisterRequest, UpdateProfileRequest};
use crate::error::UsersError;
use crate::models::{
    Favorite, LoginSession, NewUser, ProfileChangeset, ProviderService, RefreshToken, User,
};
use crate::repository::{self as repo, ProviderFilter, UserFilter};

mod accounts;
mod admin;
mod blocks;
mod catalog;
mod directory;
mod favorites;
mod identities;
mod lifecycle;
mod profile;
mod reports;
mod sessions;
mod verifications;

pub use accounts::*;
pub use admin::*;
pub use blocks::*;
pub use catalog::*;
pub use directory::*;
pub use favorites::*;
pub use identities::*;
pub use lifecycle::*;
pub use profile::*;
pub use reports::*;
pub use sessions::*;
pub use verifications::*;

/// Lower-cases and trims an email for lookups and uniqueness.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn now() -> NaiveDateTime {
    db::now()
}

fn search_text(name: &str, description: Option<&str>) -> String {
    match description {
        Some(d) => format!("{} {}", name.to_lowercase(), d.to_lowercase()),
        None => name.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> User {
        User {
            id: "u".into(),
            email: "a@b.c".into(),
            email_normalized: "a@b.c".into(),
            password_hash: String::new(),
            role: "customer".into(),
            is_active: true,
            name: "Ana".into(),
            phone: None,
            address: None,
            avatar_url: None,
            category: None,
            description: None,
            service_area: None,
            hourly_rate_cents: None,
            verified: false,
            is_available: true,
            lat: None,
            lng: None,
            rating_avg: None,
            rating_count: 0,
            email_verified: false,
            deleted_at: None,
            search_text: "ana".into(),
            created_at: now(),
            updated_at: now(),
            suspended_at: None,
            suspended_until: None,
            suspension_reason: None,
            verification: "none".into(),
        }
    }

    #[test]
    fn emails_are_compared_case_insensitively() {
        assert_eq!(normalize_email("  Ana@Example.COM "), "ana@example.com");
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).map(|v| v.len()).ok(), Some(32));
        assert_eq!(hash_refresh_token(&a).len(), 64);
        assert_ne!(hash_refresh_token(&a), a);
    }

    #[test]
    fn a_customers_provider_fields_are_checked_then_ignored() {
        let request = UpdateProfileRequest {
            category: Some(Some("plumbing".into())),
            ..Default::default()
        };
        let changes = profile_changeset(&customer(), &request).expect("a valid change");
        assert_eq!(changes.category, None, "ignored for a customer");
        let request = UpdateProfileRequest {
            category: Some(Some("Not A Slug".into())),
            ..Default::default()
        };
        let Err(UsersError::Validation(errors)) = profile_changeset(&customer(), &request) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].field, "category");
    }

    #[test]
    fn profile_changes_validate_ranges() {
        let mut provider = customer();
        provider.role = "provider".into();
        let request = UpdateProfileRequest {
            hourly_rate_cents: Some(Some(0)),
            location: Some(Some(crate::dto::Location {
                lat: 91.0,
                lng: 0.0,
            })),
            name: Some(String::new()),
            ..Default::default()
        };
        let Err(UsersError::Validation(errors)) = profile_changeset(&provider, &request) else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"hourly_rate_cents"));
        assert!(fields.contains(&"location.lat"));
        assert!(fields.contains(&"name"));
    }
}
