//! The crate on its own: what it keeps of the others' events, and the gate
//! it makes of them.

use chrono::{Duration, Utc};
use quickfix_bookings_contract::{
    BookingDirectory, BookingEvent, BookingResponse, BookingStatus, BookingUpdated,
};
use quickfix_shared::auth::{AccountGate, AuthUser, Role};
use quickfix_shared::events::EventSet;
use quickfix_shared::ids::{BookingId, UserId};
use quickfix_shared::outbox::Consumer;
use quickfix_users_contract::{
    AccountEvent, SessionEnded, SessionStarted, UserActivation, UserRegistered,
};

use super::database;
use crate::following::{FollowedBookings, FollowedSessionGate, Following};

fn updated(
    id: &BookingId,
    customer: &UserId,
    provider: &UserId,
    status: BookingStatus,
    minutes: i64,
) -> quickfix_shared::events::DomainEvent {
    let at = Utc::now() + Duration::minutes(minutes);
    let booking = BookingResponse {
        updated_at: at,
        completed_at: (status == BookingStatus::Completed).then_some(at),
        id: id.to_string(),
        ..BookingResponse::sample(customer, provider, status)
    };
    BookingEvent::Updated(BookingUpdated {
        booking,
        actor_id: provider.clone(),
        customer_id: customer.clone(),
        provider_id: provider.clone(),
    })
    .into_event(None)
}

#[tokio::test]
async fn a_late_older_booking_event_never_overwrites_a_newer_one() {
    let db = database();
    let following = Following::new(db.pool());
    let (id, customer, provider) = (
        BookingId::generate(),
        UserId::generate(),
        UserId::generate(),
    );
    following
        .handle(vec![updated(
            &id,
            &customer,
            &provider,
            BookingStatus::Completed,
            2,
        )])
        .await
        .expect("handled");
    following
        .handle(vec![updated(
            &id,
            &customer,
            &provider,
            BookingStatus::InProgress,
            1,
        )])
        .await
        .expect("handled");
    let facts = FollowedBookings::new(db.pool())
        .facts(id.clone())
        .await
        .expect("answered")
        .expect("known");
    assert_eq!(facts.status, BookingStatus::Completed);
    assert!(facts.completed_at.is_some());
    assert_eq!(facts.customer_id, customer);
    assert!(
        FollowedBookings::new(db.pool())
            .facts(BookingId::generate())
            .await
            .expect("answered")
            .is_none()
    );
}

#[tokio::test]
async fn the_gate_admits_live_logins_of_active_accounts_only() {
    let db = database();
    let following = Following::new(db.pool());
    let gate = FollowedSessionGate::new(db.pool());
    let user = UserId::generate();
    let token = |session: &str| AuthUser {
        id: user.clone(),
        role: Role::Provider,
        session: session.to_owned(),
        must_verify_email: false,
    };
    let event = |e: AccountEvent| e.into_event(None);
    following
        .handle(vec![
            event(AccountEvent::Registered(UserRegistered {
                user_id: user.clone(),
                role: Role::Provider,
            })),
            event(AccountEvent::SessionStarted(SessionStarted {
                user_id: user.clone(),
                session_id: "s1".to_owned(),
            })),
            // Ended before its start arrived: stays ended.
            event(AccountEvent::SessionEnded(SessionEnded {
                user_id: user.clone(),
                session_id: Some("s2".to_owned()),
            })),
            event(AccountEvent::SessionStarted(SessionStarted {
                user_id: user.clone(),
                session_id: "s2".to_owned(),
            })),
        ])
        .await
        .expect("handled");
    assert_eq!(
        gate.check(&token("s1")).await.expect("live").role,
        Role::Provider
    );
    assert!(gate.check(&token("s2")).await.is_err(), "ended");
    assert!(
        gate.check(&token("unknown")).await.is_err(),
        "never started"
    );

    following
        .handle(vec![event(AccountEvent::Suspended(UserActivation {
            user_id: user.clone(),
        }))])
        .await
        .expect("handled");
    assert!(gate.check(&token("s1")).await.is_err(), "suspended");
    following
        .handle(vec![event(AccountEvent::Reinstated(UserActivation {
            user_id: user.clone(),
        }))])
        .await
        .expect("handled");
    assert!(gate.check(&token("s1")).await.is_ok(), "reinstated");

    following
        .handle(vec![event(AccountEvent::SessionEnded(SessionEnded {
            user_id: user.clone(),
            session_id: None,
        }))])
        .await
        .expect("handled");
    assert!(gate.check(&token("s1")).await.is_err(), "every login ended");
}
