//! The emails of the account lifecycle: verification, password reset and
//! email change. Each is rendered from `crates/users/templates/` and queued
//! in the transaction that makes its token, so the token and its email
//! commit together.

use chrono::{Duration, NaiveDateTime};
use quickfix_shared::db::{self, DbConn};
use quickfix_shared::mail::{self, MailTemplate, Recipient, Templates};
use serde::Serialize;

use crate::error::UsersError;
use crate::models::User;

/// Every email this crate sends, by kind.
const TEMPLATES: &[MailTemplate] = &[
    MailTemplate {
        kind: VERIFY_EMAIL,
        subject: include_str!("../templates/verify_email.subject.txt"),
        text: include_str!("../templates/verify_email.txt"),
        html: include_str!("../templates/verify_email.html"),
    },
    MailTemplate {
        kind: PASSWORD_RESET,
        subject: include_str!("../templates/password_reset.subject.txt"),
        text: include_str!("../templates/password_reset.txt"),
        html: include_str!("../templates/password_reset.html"),
    },
    MailTemplate {
        kind: EMAIL_CHANGE,
        subject: include_str!("../templates/email_change.subject.txt"),
        text: include_str!("../templates/email_change.txt"),
        html: include_str!("../templates/email_change.html"),
    },
    MailTemplate {
        kind: EMAIL_CHANGE_NOTICE,
        subject: include_str!("../templates/email_change_notice.subject.txt"),
        text: include_str!("../templates/email_change_notice.txt"),
        html: include_str!("../templates/email_change_notice.html"),
    },
];

/// The verification email of an address.
pub const VERIFY_EMAIL: &str = "verify_email";
/// The password reset email.
pub const PASSWORD_RESET: &str = "password_reset";
/// The confirmation sent to a new address.
pub const EMAIL_CHANGE: &str = "email_change";
/// The notice sent to the old address of an email change.
pub const EMAIL_CHANGE_NOTICE: &str = "email_change_notice";

/// The kinds the per-address hourly limit counts.
const LIMITED: &[&str] = &[
    VERIFY_EMAIL,
    PASSWORD_RESET,
    EMAIL_CHANGE,
    EMAIL_CHANGE_NOTICE,
];

/// Renders and queues this crate's emails.
#[derive(Debug)]
pub struct AccountMail {
    templates: Templates,
    public_url: String,
    per_address_per_hour: Option<u32>,
}

/// What a token email's templates are given.
#[derive(Serialize)]
struct TokenContext<'a> {
    name: &'a str,
    email: &'a str,
    link: String,
    expires: String,
}

impl AccountMail {
    /// The mail of a frontend at `public_url`, with at most
    /// `per_address_per_hour` lifecycle emails to one address (`None`: no
    /// limit, as with `rate_limit.enabled = false`).
    pub fn new(public_url: &str, per_address_per_hour: Option<u32>) -> Result<Self, String> {
        Ok(Self {
            templates: Templates::new(TEMPLATES).map_err(|err| err.to_string())?,
            public_url: public_url.trim_end_matches('/').to_owned(),
            per_address_per_hour,
        })
    }

    /// Whether another lifecycle email may go to `address` this hour.
    fn may_send_to(&self, conn: &mut DbConn, address: &str) -> Result<bool, UsersError> {
        let Some(limit) = self.per_address_per_hour else {
            return Ok(true);
        };
        mail::lock_address(conn, address)?;
        let sent = mail::count_sent_to(conn, address, LIMITED, db::now() - Duration::hours(1))?;
        Ok(sent < i64::from(limit))
    }

    /// Queues the email of kind `kind` with a link to `path?token=token`
    /// for `user` at `address`; answers whether it was queued (the
    /// per-address limit may hold it back).
    pub(crate) fn queue_token(
        &self,
        conn: &mut DbConn,
        kind: &str,
        user: &User,
        address: &str,
        token: &str,
        expires_at: NaiveDateTime,
    ) -> Result<bool, UsersError> {
        if !self.may_send_to(conn, address)? {
            tracing::warn!(user.id = %user.id, kind, "the per-address email limit held an email back");
            return Ok(false);
        }
        let path = if kind == PASSWORD_RESET {
            "reset-password"
        } else {
            "verify-email"
        };
        let context = TokenContext {
            name: &user.name,
            email: address,
            link: format!("{}/{path}?token={token}", self.public_url),
            expires: expires_at
                .and_utc()
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
        };
        let to = Recipient {
            user_id: Some(user.id.clone()),
            name: user.name.clone(),
            address: address.to_owned(),
        };
        let email = self
            .templates
            .render(kind, &to, context)
            .map_err(|err| UsersError::Internal(err.to_string()))?;
        mail::queue(conn, &email)?;
        Ok(true)
    }

    /// Queues the notice to `user`'s current address that a change to
    /// `new_email` was asked for.
    pub(crate) fn queue_change_notice(
        &self,
        conn: &mut DbConn,
        user: &User,
        new_email: &str,
    ) -> Result<(), UsersError> {
        if !self.may_send_to(conn, &user.email)? {
            return Ok(());
        }
        let to = Recipient {
            user_id: Some(user.id.clone()),
            name: user.name.clone(),
            address: user.email.clone(),
        };
        let email = self
            .templates
            .render(
                EMAIL_CHANGE_NOTICE,
                &to,
                serde_json::json!({"name": user.name, "new_email": new_email}),
            )
            .map_err(|err| UsersError::Internal(err.to_string()))?;
        mail::queue(conn, &email)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        AccountMail::new("http://localhost:3000/", Some(5)).expect("the templates parse");
    }
}
