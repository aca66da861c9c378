//! What other crates may know of the users crate: a user's id and role, the
//! summary others show of an account, and the question they ask of it.
//! Nothing here touches a database.

use std::collections::{HashMap, HashSet};

use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::events::{EventSet, Subject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use quickfix_shared::auth::Role;
pub use quickfix_shared::ids::UserId;

/// Facts about a user that other crates may show or check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    /// Id.
    pub id: UserId,
    /// Role.
    pub role: Role,
    /// Display name.
    pub name: String,
    /// Whether the account may act.
    pub is_active: bool,
}

/// Where an email to a user goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailContact {
    /// The user.
    pub id: UserId,
    /// Their display name.
    pub name: String,
    /// Their email address.
    pub email: String,
}

/// The notification kinds a user may get by email, each on unless the user
/// turned it off (`/users/me/notification-preferences`).
pub const EMAIL_NOTIFICATION_KINDS: &[&str] = &[
    "offer.created",
    "offer.accepted",
    "booking.updated",
    "message.created",
];

/// Where the users crate says emails go: asked by the crate that sends
/// email notifications.
pub trait EmailDirectory: Send + Sync + 'static {
    /// Where to email those of `ids` who are active and want emails of the
    /// notification `kind` (one of [`EMAIL_NOTIFICATION_KINDS`]), in one
    /// query; the others are absent from the answer.
    fn email_contacts(
        &self,
        ids: Vec<UserId>,
        kind: &'static str,
    ) -> BoxFuture<'static, Result<Vec<EmailContact>, ApiError>>;
}

/// What the users crate is asked by others.
pub trait AccountDirectory: Send + Sync + 'static {
    /// The summaries of these users, in one query; an unknown id is absent
    /// from the answer.
    fn summaries(
        &self,
        ids: Vec<UserId>,
    ) -> BoxFuture<'static, Result<HashMap<UserId, UserSummary>, ApiError>>;

    /// Whether the user exists and may act.
    fn is_active(&self, id: UserId) -> BoxFuture<'static, Result<bool, ApiError>> {
        let summaries = self.summaries(vec![id.clone()]);
        Box::pin(async move { Ok(summaries.await?.get(&id).is_some_and(|u| u.is_active)) })
    }

    /// The users who blocked `user`: `user` may not open a conversation
    /// with, message, or send an offer to any of them (403 `blocked`).
    fn blockers_of(&self, user: UserId) -> BoxFuture<'static, Result<HashSet<UserId>, ApiError>>;
}

/// `user.registered`: an account was made (registration, `create-admin`,
/// `seed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserRegistered {
    /// The account.
    pub user_id: UserId,
    /// Its role.
    pub role: Role,
}

/// `user.suspended` and `user.reinstated`: an admin deactivated or
/// reactivated an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserActivation {
    /// The account.
    pub user_id: UserId,
}

/// `user.deleted`: the user deleted their account. Each crate erases or
/// anonymises what it holds of them (`docs/events.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserDeleted {
    /// The account, now anonymised.
    pub user_id: UserId,
    /// The role it had.
    pub role: Role,
}

/// `session.started`: a login began (registration or login); its access
/// tokens name `session_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionStarted {
    /// The account.
    pub user_id: UserId,
    /// The login.
    #[schema(format = Uuid)]
    pub session_id: String,
}

/// `session.ended`: a login ended (logout, revoked, a reused refresh token),
/// or every login of the user did (`session_id` null: a password change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionEnded {
    /// The account.
    pub user_id: UserId,
    /// The login; null when every login of the user ended.
    #[schema(format = Uuid)]
    #[schema(required = true)]
    pub session_id: Option<String>,
}

/// The users crate's events: what other services need to know of accounts
/// and logins to trust a token on their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum AccountEvent {
    /// An account was made.
    #[serde(rename = "user.registered")]
    Registered(UserRegistered),
    /// An admin deactivated an account.
    #[serde(rename = "user.suspended")]
    Suspended(UserActivation),
    /// An admin reactivated an account.
    #[serde(rename = "user.reinstated")]
    Reinstated(UserActivation),
    /// The user deleted their account.
    #[serde(rename = "user.deleted")]
    Deleted(UserDeleted),
    /// A login began.
    #[serde(rename = "session.started")]
    SessionStarted(SessionStarted),
    /// A login, or every login of a user, ended.
    #[serde(rename = "session.ended")]
    SessionEnded(SessionEnded),
}

impl EventSet for AccountEvent {
    const KINDS: &'static [&'static str] = &[
        "user.registered",
        "user.suspended",
        "user.reinstated",
        "user.deleted",
        "session.started",
        "session.ended",
    ];

    fn subject(&self) -> Subject {
        match self {
            AccountEvent::Registered(e) => Subject::of("user", &e.user_id),
            AccountEvent::Deleted(e) => Subject::of("user", &e.user_id),
            AccountEvent::Suspended(e) | AccountEvent::Reinstated(e) => {
                Subject::of("user", &e.user_id)
            }
            AccountEvent::SessionStarted(e) => Subject::of("user", &e.user_id),
            AccountEvent::SessionEnded(e) => Subject::of("user", &e.user_id),
        }
    }
}

/// A fixed directory, for crate tests that need accounts without the users
/// crate.
#[derive(Debug, Clone, Default)]
pub struct FixedDirectory {
    users: HashMap<UserId, UserSummary>,
    emails: HashMap<UserId, String>,
    blocks: HashSet<(UserId, UserId)>,
}

impl FixedDirectory {
    /// The directory with `user` in it too.
    pub fn with(mut self, user: UserSummary) -> Self {
        self.users.insert(user.id.clone(), user);
        self
    }

    /// The directory where `blocker` blocked `blocked` too.
    pub fn with_block(mut self, blocker: &UserId, blocked: &UserId) -> Self {
        self.blocks.insert((blocker.clone(), blocked.clone()));
        self
    }

    /// The directory with `user`'s email address too (a user with none
    /// gets no email).
    pub fn with_email(mut self, user: &UserId, email: &str) -> Self {
        self.emails.insert(user.clone(), email.to_owned());
        self
    }
}

impl AccountDirectory for FixedDirectory {
    fn summaries(
        &self,
        ids: Vec<UserId>,
    ) -> BoxFuture<'static, Result<HashMap<UserId, UserSummary>, ApiError>> {
        let found = ids
            .into_iter()
            .filter_map(|id| self.users.get(&id).map(|u| (id, u.clone())))
            .collect();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn blockers_of(&self, user: UserId) -> BoxFuture<'static, Result<HashSet<UserId>, ApiError>> {
        let found = self
            .blocks
            .iter()
            .filter(|(_, blocked)| *blocked == user)
            .map(|(blocker, _)| blocker.clone())
            .collect();
        Box::pin(std::future::ready(Ok(found)))
    }
}

impl EmailDirectory for FixedDirectory {
    fn email_contacts(
        &self,
        ids: Vec<UserId>,
        _kind: &'static str,
    ) -> BoxFuture<'static, Result<Vec<EmailContact>, ApiError>> {
        let found = ids
            .into_iter()
            .filter_map(|id| {
                let user = self.users.get(&id).filter(|u| u.is_active)?;
                Some(EmailContact {
                    email: self.emails.get(&id)?.clone(),
                    name: user.name.clone(),
                    id,
                })
            })
            .collect();
        Box::pin(std::future::ready(Ok(found)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        let user_id = UserId::generate();
        quickfix_shared::events::assert_kinds_match(vec![
            AccountEvent::Registered(UserRegistered {
                user_id: user_id.clone(),
                role: Role::Provider,
            }),
            AccountEvent::Suspended(UserActivation {
                user_id: user_id.clone(),
            }),
            AccountEvent::Reinstated(UserActivation {
                user_id: user_id.clone(),
            }),
            AccountEvent::Deleted(UserDeleted {
                user_id: user_id.clone(),
                role: Role::Customer,
            }),
            AccountEvent::SessionStarted(SessionStarted {
                user_id: user_id.clone(),
                session_id: "s".to_owned(),
            }),
            AccountEvent::SessionEnded(SessionEnded {
                user_id,
                session_id: None,
            }),
        ]);
    }

    #[tokio::test]
    async fn a_fixed_directory_answers_what_it_holds() {
        let (active, inactive) = (UserId::generate(), UserId::generate());
        let directory = FixedDirectory::default()
            .with(UserSummary {
                id: active.clone(),
                role: Role::Provider,
                name: "Ana".to_owned(),
                is_active: true,
            })
            .with(UserSummary {
                id: inactive.clone(),
                role: Role::Customer,
                name: "Rui".to_owned(),
                is_active: false,
            });
        assert!(directory.is_active(active.clone()).await.expect("answer"));
        assert!(!directory.is_active(inactive).await.expect("answer"));
        assert!(
            !directory
                .is_active(UserId::generate())
                .await
                .expect("answer")
        );
        let found = directory
            .summaries(vec![active.clone(), UserId::generate()])
            .await
            .expect("answer");
        assert_eq!(found.len(), 1);
        assert_eq!(found[&active].name, "Ana");
    }
}
