//! Database rows of this crate's tables. They are not API types: `dto.rs`
//! converts them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{
    account_tokens, favorites, login_sessions, provider_services, refresh_tokens, users,
};

/// A `users` row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    /// Id (UUID v7).
    pub id: String,
    /// Email as registered.
    pub email: String,
    /// Lower-cased email, unique.
    pub email_normalized: String,
    /// bcrypt hash; empty for an account made by an identity provider
    /// that never set a password (no password matches it).
    pub password_hash: String,
    /// `customer`, `provider` or `admin`.
    pub role: String,
    /// Whether the account may act.
    pub is_active: bool,
    /// Display name.
    pub name: String,
    /// Phone number.
    pub phone: Option<String>,
    /// Postal address (customers).
    pub address: Option<String>,
    /// Public URL of the avatar.
    pub avatar_url: Option<String>,
    /// Service category slug (providers).
    pub category: Option<String>,
    /// Description (providers).
    pub description: Option<String>,
    /// Area served, free text (providers).
    pub service_area: Option<String>,
    /// Hourly rate (providers).
    pub hourly_rate_cents: Option<i64>,
    /// Verified by an admin (providers).
    pub verified: bool,
    /// Taking work now (providers).
    pub is_available: bool,
    /// Base latitude (providers).
    pub lat: Option<f64>,
    /// Base longitude (providers).
    pub lng: Option<f64>,
    /// Average of revealed ratings received.
    pub rating_avg: Option<f64>,
    /// Count of revealed ratings received.
    pub rating_count: i32,
    /// Whether the owner of the email confirmed it.
    pub email_verified: bool,
    /// When the user deleted the account.
    pub deleted_at: Option<NaiveDateTime>,
    /// Lower-cased name and description, for `q`.
    pub search_text: String,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// When an admin suspended the account; null unless suspended.
    pub suspended_at: Option<NaiveDateTime>,
    /// When the suspension ends by itself; null: when an admin lifts it.
    pub suspended_until: Option<NaiveDateTime>,
    /// The admin's reason.
    pub suspension_reason: Option<String>,
    /// What the profile shows of verification: `none`, `pending`,
    /// `verified` or `rejected`.
    pub verification: String,
}

impl User {
    /// Whether the account has a password to sign in with.
    pub fn has_password(&self) -> bool {
        !self.password_hash.is_empty()
    }

    /// Whether a suspension stands at `now`.
    pub fn is_suspended(&self, now: NaiveDateTime) -> bool {
        self.suspended_at.is_some() && self.suspended_until.is_none_or(|until| until > now)
    }
}

/// A new `users` row.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewUser {
    /// Id.
    pub id: String,
    /// Email as given.
    pub email: String,
    /// Lower-cased email.
    pub email_normalized: String,
    /// bcrypt hash.
    pub password_hash: String,
    /// Role name.
    pub role: String,
    /// Display name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Search text.
    pub search_text: String,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// Profile fields a user may change; `None` leaves a field as it is,
/// `Some(None)` clears it.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct ProfileChangeset {
    /// Display name.
    pub name: Option<String>,
    /// Phone.
    pub phone: Option<Option<String>>,
    /// Address.
    pub address: Option<Option<String>>,
    /// Category.
    pub category: Option<Option<String>>,
    /// Description.
    pub description: Option<Option<String>>,
    /// Service area.
    pub service_area: Option<Option<String>>,
    /// Hourly rate.
    pub hourly_rate_cents: Option<Option<i64>>,
    /// Availability.
    pub is_available: Option<bool>,
    /// Latitude.
    pub lat: Option<Option<f64>>,
    /// Longitude.
    pub lng: Option<Option<f64>>,
    /// Search text, recomputed by the service.
    pub search_text: Option<String>,
    /// Last changed.
    pub updated_at: Option<NaiveDateTime>,
}

/// A `login_sessions` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = login_sessions)]
#[diesel(treat_none_as_default_value = false)]
pub struct LoginSession {
    /// Id.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// The client's `User-Agent` at login.
    pub user_agent: Option<String>,
    /// The client's IP at login.
    pub ip: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last refresh.
    pub last_used_at: NaiveDateTime,
    /// Revoked (logout, reuse, password change, deletion).
    pub revoked_at: Option<NaiveDateTime>,
}

/// A `refresh_tokens` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
#[diesel(treat_none_as_default_value = false)]
pub struct RefreshToken {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Its login.
    pub session_id: String,
    /// Its user.
    pub user_id: String,
    /// Issued.
    pub created_at: NaiveDateTime,
    /// Expires.
    pub expires_at: NaiveDateTime,
    /// Spent by a refresh.
    pub used_at: Option<NaiveDateTime>,
    /// Revoked.
    pub revoked_at: Option<NaiveDateTime>,
}

/// A `provider_services` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = provider_services)]
#[diesel(treat_none_as_default_value = false)]
pub struct ProviderService {
    /// Id.
    pub id: String,
    /// The provider.
    pub provider_id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Category slug.
    pub category: String,
    /// Price.
    pub price_cents: i64,
    /// `hour` or `job`.
    pub unit: String,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// A `favorites` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = favorites)]
#[diesel(treat_none_as_default_value = false)]
pub struct Favorite {
    /// The customer.
    pub customer_id: String,
    /// The favourite provider.
    pub provider_id: String,
    /// Added.
    pub created_at: NaiveDateTime,
}

/// An `account_tokens` row: a single-use token mailed to a user.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = account_tokens)]
pub struct AccountToken {
    /// Whose it is.
    pub user_id: String,
    /// `reset`, `verify` or `change`.
    pub purpose: String,
    /// The address it was sent to (the new one for `change`).
    pub email: String,
}

/// A provider's verification submission.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::verifications)]
#[diesel(treat_none_as_default_value = false)]
pub struct Verification {
    /// Id (UUID v7).
    pub id: String,
    /// The provider.
    pub provider_id: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// Submitted.
    pub submitted_at: NaiveDateTime,
    /// Approved or rejected.
    pub decided_at: Option<NaiveDateTime>,
    /// The admin who decided.
    pub decided_by: Option<String>,
}

/// A file of a verification submission.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::verification_files)]
#[diesel(treat_none_as_default_value = false)]
pub struct VerificationFile {
    /// Id (UUID v7).
    pub id: String,
    /// The submission.
    pub verification_id: String,
    /// Its place among the submission's files, from 0.
    pub position: i32,
    /// Where the bytes are (never a public URL).
    pub storage_key: String,
    /// The name it was uploaded under, for display.
    pub filename: String,
    /// Its type, read from the bytes.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
}

/// A report of a user, job, offer, message or rating.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::reports)]
#[diesel(treat_none_as_default_value = false)]
pub struct Report {
    /// Id (UUID v7).
    pub id: String,
    /// Who reported it; null once they deleted their account.
    pub reporter_id: Option<String>,
    /// `user`, `job`, `offer`, `message` or `rating`.
    pub target_kind: String,
    /// The target's id.
    pub target_id: String,
    /// Who wrote or owns the target.
    pub target_author_id: String,
    /// `spam`, `abuse`, `fraud`, `inappropriate` or `other`.
    pub reason: String,
    /// The reporter's words.
    pub note: Option<String>,
    /// `open`, `resolved` or `dismissed`.
    pub status: String,
    /// The target as it was when reported (JSON).
    pub snapshot: String,
    /// What the admin did: `none`, `hide` or `suspend_user`.
    pub resolution_action: Option<String>,
    /// The admin's note.
    pub resolution_note: Option<String>,
    /// The admin who closed it.
    pub resolved_by: Option<String>,
    /// When it was closed.
    pub resolved_at: Option<NaiveDateTime>,
    /// Reported.
    pub created_at: NaiveDateTime,
}

quickfix_shared::id_type!(
    /// The id of an identity linked at an identity provider.
    IdentityId
);

/// A `user_identities` row: an account's identity at a provider.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::user_identities)]
#[diesel(treat_none_as_default_value = false)]
pub struct Identity {
    /// Id (UUID v7).
    pub id: String,
    /// The account.
    pub user_id: String,
    /// The configured provider's name.
    pub provider: String,
    /// The provider's id of the user (`sub`).
    pub subject: String,
    /// The email the provider gave when the identity was linked.
    pub email: Option<String>,
    /// Linked.
    pub created_at: NaiveDateTime,
}
