//! Bodies of the account lifecycle routes: password reset, email
//! verification, email change and notification choices.

use super::*;

/// `POST /auth/password-reset`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct PasswordResetRequest {
    /// The account's email address.
    #[validate(email)]
    #[schema(max_length = 254, format = Email, example = "ana@example.com")]
    pub email: String,
}

/// `POST /auth/password-reset/confirm`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct PasswordResetConfirmRequest {
    /// The `token` of the emailed link.
    #[schema(min_length = 1, max_length = 512, example = "pB2v0yq3c2E5bq4Wq6uVQ1nDk3vYVv5m0lq9Yk5p0rA")]
    pub token: String,
    /// The new password, at least 8 characters.
    #[schema(min_length = 8, max_length = 128, example = "a new horse battery")]
    pub new_password: String,
}

/// `POST /auth/verify-email`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct VerifyEmailRequest {
    /// The `token` of the emailed link (verification or email change).
    #[schema(min_length = 1, max_length = 512, example = "pB2v0yq3c2E5bq4Wq6uVQ1nDk3vYVv5m0lq9Yk5p0rA")]
    pub token: String,
}

/// `PUT /users/me/email`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct ChangeEmailRequest {
    /// The address to move to; it must not be another account's.
    #[validate(email)]
    #[schema(max_length = 254, format = Email, example = "ana.new@example.com")]
    pub new_email: String,
    /// The password now.
    #[schema(min_length = 1, max_length = 128, example = "correct horse battery")]
    pub current_password: String,
}
