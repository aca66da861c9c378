//! The users crate's events, as each change stores them in its transaction:
//! what another service needs to trust a token on its own (the account and
//! its role, whether it is suspended, which logins live).

use quickfix_shared::auth::Role;
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::UserId;
use quickfix_users_contract::{
    AccountEvent, SessionEnded, SessionStarted, UserActivation, UserDeleted, UserRegistered,
};

use crate::models::User;

/// `user.registered` of a new account.
pub(crate) fn registered(user: &User) -> DomainEvent {
    AccountEvent::Registered(UserRegistered {
        user_id: UserId::from_db(user.id.clone()),
        role: Role::parse(&user.role).unwrap_or(Role::Customer),
    })
    .into_event(Some(&user.id))
}

/// `session.started` of a new login.
pub(crate) fn session_started(user: &str, session: &str) -> DomainEvent {
    AccountEvent::SessionStarted(SessionStarted {
        user_id: UserId::from_db(user.to_owned()),
        session_id: session.to_owned(),
    })
    .into_event(Some(user))
}

/// `session.ended` of one login (`Some`) or of every login of the user.
pub(crate) fn session_ended(user: &str, session: Option<&str>, actor: &str) -> DomainEvent {
    AccountEvent::SessionEnded(SessionEnded {
        user_id: UserId::from_db(user.to_owned()),
        session_id: session.map(str::to_owned),
    })
    .into_event(Some(actor))
}

/// `user.suspended` or `user.reinstated`, by an admin.
pub(crate) fn activation(user: &str, active: bool, admin: &str) -> DomainEvent {
    let user_id = UserId::from_db(user.to_owned());
    let event = if active {
        AccountEvent::Reinstated(UserActivation { user_id })
    } else {
        AccountEvent::Suspended(UserActivation { user_id })
    };
    event.into_event(Some(admin))
}

/// `user.deleted`: the user deleted the account.
pub(crate) fn deleted(user: &User) -> DomainEvent {
    AccountEvent::Deleted(UserDeleted {
        user_id: UserId::from_db(user.id.clone()),
        role: Role::parse(&user.role).unwrap_or(Role::Customer),
    })
    .into_event(Some(&user.id))
}
