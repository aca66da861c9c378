//! The `create-admin` command: admins are never made by public registration.

use quickfix_shared::ApiError;
use quickfix_shared::FieldError;
use quickfix_shared::db::{self, DbPool};
use quickfix_users::models::User;
use quickfix_users::service;

use crate::settings::Settings;

/// Creates an admin account after validating its fields like registration
/// does.
pub async fn create_admin(
    pool: &DbPool,
    settings: &Settings,
    email: String,
    password: String,
    name: String,
) -> Result<User, ApiError> {
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
    Ok(db::run(pool, move |conn| {
        service::create_admin(conn, &email, hash, &name)
    })
    .await?)
}
