//! The crate's rules against a real database (SQLite, and PostgreSQL when
//! `QUICKFIX_TEST_POSTGRES_URL` is set), with fakes of the bookings and
//! users crates' contracts.

mod following;
mod rules;

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use futures_util::future::BoxFuture;
use quickfix_bookings_contract::{BookingFacts, BookingStatus, FixedBookings};
use quickfix_shared::auth::{AuthUser, Role};
use quickfix_shared::events::DomainEvent;
use quickfix_shared::ids::{BookingId, UserId};
use quickfix_shared::outbox::{Consumer, Relay, SharedRelay};
use quickfix_shared::testing::TestDatabase;
use quickfix_users_contract::{FixedDirectory, UserSummary};

use crate::RatingsState;

/// A fresh database with the outbox's and this crate's tables.
fn database() -> TestDatabase {
    TestDatabase::new(&[quickfix_shared::db::MIGRATIONS, crate::MIGRATIONS])
}

/// Keeps every event the relay delivers.
#[derive(Default)]
struct Events(Mutex<Vec<DomainEvent>>);

impl Events {
    fn kinds(&self) -> Vec<String> {
        self.0
            .lock()
            .expect("events")
            .iter()
            .map(|e| e.kind.clone())
            .collect()
    }
}

impl Consumer for Events {
    fn name(&self) -> &'static str {
        "test.events"
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        self.0.lock().expect("events").extend(events);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// A customer, a provider and their booking in a given state.
struct World {
    customer: AuthUser,
    provider: AuthUser,
    booking: BookingId,
    state: RatingsState,
    relay: SharedRelay,
    events: Arc<Events>,
}

fn user(role: Role) -> AuthUser {
    AuthUser {
        id: UserId::generate(),
        role,
        session: String::new(),
        must_verify_email: false,
    }
}

fn world(db: &TestDatabase, status: BookingStatus, completed_days_ago: i64) -> World {
    let (customer, provider) = (user(Role::Customer), user(Role::Provider));
    let booking = BookingId::generate();
    let completed_at = (status == BookingStatus::Completed)
        .then(|| Utc::now() - Duration::days(completed_days_ago));
    let bookings = FixedBookings::default().with(BookingFacts {
        id: booking.clone(),
        customer_id: customer.id.clone(),
        provider_id: provider.id.clone(),
        status,
        completed_at,
    });
    let summary = |u: &AuthUser| UserSummary {
        id: u.id.clone(),
        role: u.role,
        name: String::new(),
        is_active: true,
    };
    let accounts = FixedDirectory::default()
        .with(summary(&customer))
        .with(summary(&provider));
    let relay = Relay::new(db.pool());
    let events = Arc::new(Events::default());
    relay.register(events.clone());
    World {
        state: RatingsState {
            reveal_after: Duration::days(7),
            bookings: Arc::new(bookings),
            accounts: Arc::new(accounts),
        },
        customer,
        provider,
        booking,
        relay,
        events,
    }
}
