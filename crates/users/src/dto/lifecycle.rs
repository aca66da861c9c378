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
    #[schema(
        min_length = 1,
        max_length = 512,
        example = "pB2v0yq3c2E5bq4Wq6uVQ1nDk3vYVv5m0lq9Yk5p0rA"
    )]
    pub token: String,
    /// The new password, at least 8 characters.
    #[schema(min_length = 8, max_length = 128, example = "a new horse battery")]
    pub new_password: String,
}

/// `POST /auth/verify-email`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct VerifyEmailRequest {
    /// The `token` of the emailed link (verification or email change).
    #[schema(
        min_length = 1,
        max_length = 512,
        example = "pB2v0yq3c2E5bq4Wq6uVQ1nDk3vYVv5m0lq9Yk5p0rA"
    )]
    pub token: String,
}

/// `PUT /users/me/email`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct ChangeEmailRequest {
    /// The address to move to; it must not be another account's.
    #[validate(email)]
    #[schema(max_length = 254, format = Email, example = "ana.new@example.com")]
    pub new_email: String,
    /// The password now (an account with a password).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128, example = "correct horse battery")]
    pub current_password: Option<String>,
    /// An account without a password: a fresh ID token (issued within
    /// 5 minutes) of one of its linked identities.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 16384)]
    pub id_token: Option<String>,
}

/// Each emailed notification kind, on (`true`) or off.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EmailChoices {
    /// A provider sent an offer on your job.
    #[serde(rename = "offer.created")]
    pub offer_created: bool,
    /// An offer was accepted: you have a booking.
    #[serde(rename = "offer.accepted")]
    pub offer_accepted: bool,
    /// A booking of yours moved (started, completed, cancelled, ...).
    #[serde(rename = "booking.updated")]
    pub booking_updated: bool,
    /// Messages you did not read on a socket within
    /// `email.message_delay_secs`, one email per conversation.
    #[serde(rename = "message.created")]
    pub message_created: bool,
}

/// The email choices to change; a kind left out keeps its choice.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
pub struct EmailChoicesUpdate {
    /// A provider sent an offer on your job.
    #[serde(rename = "offer.created", default)]
    #[schema(example = true)]
    pub offer_created: Option<bool>,
    /// An offer was accepted: you have a booking.
    #[serde(rename = "offer.accepted", default)]
    pub offer_accepted: Option<bool>,
    /// A booking of yours moved.
    #[serde(rename = "booking.updated", default)]
    pub booking_updated: Option<bool>,
    /// Unread messages, one email per conversation.
    #[serde(rename = "message.created", default)]
    #[schema(example = false)]
    pub message_created: Option<bool>,
}

/// `GET /users/me/notification-preferences`, and the answer to `PUT`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationPreferences {
    /// Which notifications also come by email.
    pub email: EmailChoices,
}

/// `PUT /users/me/notification-preferences`
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
pub struct UpdateNotificationPreferences {
    /// The email choices to change.
    #[validate(nested)]
    pub email: EmailChoicesUpdate,
}

impl NotificationPreferences {
    /// The answer for `(kind, on)` pairs of every kind.
    pub fn from_choices(choices: &[(&str, bool)]) -> Self {
        let on = |kind: &str| choices.iter().any(|(k, on)| *k == kind && *on);
        Self {
            email: EmailChoices {
                offer_created: on("offer.created"),
                offer_accepted: on("offer.accepted"),
                booking_updated: on("booking.updated"),
                message_created: on("message.created"),
            },
        }
    }
}

impl UpdateNotificationPreferences {
    /// The choices sent, as `(kind, on)` pairs.
    pub fn choices(&self) -> Vec<(&'static str, bool)> {
        let e = &self.email;
        [
            ("offer.created", e.offer_created),
            ("offer.accepted", e.offer_accepted),
            ("booking.updated", e.booking_updated),
            ("message.created", e.message_created),
        ]
        .into_iter()
        .filter_map(|(kind, on)| on.map(|on| (kind, on)))
        .collect()
    }
}

/// `DELETE /users/me`
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct DeleteAccountRequest {
    /// The password now (an account with a password).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128, example = "correct horse battery")]
    pub current_password: Option<String>,
    /// An account without a password: a fresh ID token (issued within
    /// 5 minutes) of one of its linked identities.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 16384)]
    pub id_token: Option<String>,
}

/// `GET /users/me/export`: everything the server holds of the caller, one
/// JSON document written section by section. (This type documents the
/// shape; the server streams it.)
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DataExport {
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// The account's id.
    #[schema(format = Uuid)]
    pub user_id: String,
    /// The account: email, its verification, role, state.
    pub account: UserResponse,
    /// The profile (also in `account.profile`).
    pub profile: ProfileResponse,
    /// Which notifications also come by email.
    pub notification_preferences: NotificationPreferences,
    /// Identity-provider sign-ins linked to the account.
    pub identities: Vec<IdentityResponse>,
    /// Every login still on record (live and ended), newest first.
    pub sessions: Vec<SessionResponse>,
    /// Users the caller blocked.
    #[schema(value_type = Vec<Object>)]
    pub blocks: Vec<serde_json::Value>,
    /// Reports the caller filed.
    #[schema(value_type = Vec<Object>)]
    pub reports_filed: Vec<serde_json::Value>,
    /// The provider verification status: `verified` for a verified
    /// provider, `none` otherwise.
    #[schema(example = "none")]
    pub verification: String,
    /// Jobs the caller posted (as `GET /jobs/{id}` shows them).
    #[schema(value_type = Vec<Object>)]
    pub jobs: Vec<serde_json::Value>,
    /// Offers the caller made (as `GET /jobs/{id}/offers` shows them).
    #[schema(value_type = Vec<Object>)]
    pub offers: Vec<serde_json::Value>,
    /// Bookings the caller is a party of (as `GET /bookings/{id}`).
    #[schema(value_type = Vec<Object>)]
    pub bookings: Vec<serde_json::Value>,
    /// Messages the caller sent, with their attachments' details.
    #[schema(value_type = Vec<Object>)]
    pub messages_sent: Vec<serde_json::Value>,
    /// The caller's notifications.
    #[schema(value_type = Vec<Object>)]
    pub notifications: Vec<serde_json::Value>,
    /// Ratings the caller gave.
    #[schema(value_type = Vec<Object>)]
    pub ratings_given: Vec<serde_json::Value>,
    /// Revealed ratings the caller received.
    #[schema(value_type = Vec<Object>)]
    pub ratings_received: Vec<serde_json::Value>,
}
