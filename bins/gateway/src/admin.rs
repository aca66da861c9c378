//! The `create-admin` command: admins are never made by public registration.

use quickfix_shared::ApiError;
use quickfix_shared::FieldError;
use quickfix_shared::auth::Role;
use quickfix_shared::db::DbPool;
use quickfix_shared::ids::UserId;
use quickfix_shared::outbox::Relay;
use quickfix_users::commands::{self, NewAccount};

use crate::settings::Settings;

/// Creates an admin account after validating its fields like registration
/// does.
pub async fn create_admin(
    pool: &DbPool,
    settings: &Settings,
    email: String,
    password: String,
    name: String,
) -> Result<UserId, ApiError> {
    let mut errors = Vec::new();
    if !validator::ValidateEmail::validate_email(&email) {
        errors.push(FieldError::new("email", "must be an email address"));
    }
    if !(8..=128).contains(&password.chars().count()) {
        errors.push(FieldError::new(
            "password",
            "must be 8 to 128 characters long",
        ));
    }
    if !(1..=100).contains(&name.trim().chars().count()) {
        errors.push(FieldError::new("name", "must be 1 to 100 characters long"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let hash = quickfix_users::passwords::hash_password("cli", password, settings.auth.bcrypt_cost)
        .await?;
    commands::create_account(
        &Relay::new(pool.clone()),
        NewAccount {
            email,
            password_hash: hash,
            role: Role::Admin,
            name,
            phone: None,
            profile: Default::default(),
            verified: false,
        },
    )
    .await
}
