//! The crate's rules against a real database (SQLite, and PostgreSQL when
//! `QUICKFIX_TEST_POSTGRES_URL` is set); it needs no other crate, and the
//! ratings crate's events are built from its contract.

use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use quickfix_ratings_contract::{AggregateChanged, RatingEvent};
use quickfix_shared::auth::Role;
use quickfix_shared::db;
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::UserId;
use quickfix_shared::outbox::{Consumer, Relay};
use quickfix_shared::testing::TestDatabase;
use quickfix_users_contract::{AccountDirectory, AccountEvent};

use crate::commands::{self, NewAccount};
use crate::consumers::RatingAggregates;
use crate::{Accounts, service};

mod identities;

fn database() -> TestDatabase {
    TestDatabase::new(&[quickfix_shared::db::MIGRATIONS, crate::MIGRATIONS])
}

#[derive(Default)]
struct Kinds(Mutex<Vec<String>>);

impl Consumer for Kinds {
    fn name(&self) -> &'static str {
        "test.kinds"
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        self.0
            .lock()
            .expect("kinds")
            .extend(events.into_iter().map(|e| e.kind));
        Box::pin(std::future::ready(Ok(())))
    }
}

fn account(email: &str, role: Role) -> NewAccount {
    NewAccount {
        email: email.to_owned(),
        password_hash: "$qf1$not-a-real-hash".to_owned(),
        role,
        name: "Ana".to_owned(),
        phone: None,
        profile: Default::default(),
        verified: false,
    }
}

#[tokio::test]
async fn an_account_is_made_once_per_email_with_its_event_and_answered_to_others() {
    let db = database();
    let relay = Relay::new(db.pool());
    let kinds = Arc::new(Kinds::default());
    relay.register(kinds.clone());
    let id = commands::create_account(&relay, account("Ana@Example.com", Role::Provider))
        .await
        .expect("made");
    let taken = commands::create_account(&relay, account("ana@example.com", Role::Customer))
        .await
        .expect_err("the email is taken, whatever its case");
    assert_eq!(taken.status().as_u16(), 409);
    assert_eq!(
        *kinds.0.lock().expect("kinds"),
        AccountEvent::KINDS[..1].to_vec(),
        "one user.registered, none for the refused one"
    );
    assert!(
        commands::email_taken(&db.pool(), "ANA@example.com")
            .await
            .expect("asked")
    );

    let directory = Accounts::new(db.pool());
    let unknown = UserId::generate();
    let found = directory
        .summaries(vec![id.clone(), unknown.clone()])
        .await
        .expect("answered");
    assert_eq!(found.len(), 1);
    assert_eq!(found[&id].role, Role::Provider);
    assert!(found[&id].is_active);
    assert!(!directory.is_active(unknown).await.expect("answered"));
}

#[tokio::test]
async fn rating_aggregates_apply_in_version_order_and_repeats_change_nothing() {
    let db = database();
    let relay = Relay::new(db.pool());
    let id = commands::create_account(&relay, account("rui@example.com", Role::Provider))
        .await
        .expect("made");
    let aggregates = RatingAggregates::new(db.pool());
    let change = |avg: f64, count: i32, version: i64| {
        RatingEvent::AggregateChanged(AggregateChanged {
            user_id: id.clone(),
            avg: Some(avg),
            count,
            version,
        })
        .into_event(None)
    };
    let newer = change(4.5, 2, 20);
    aggregates
        .handle(vec![newer.clone()])
        .await
        .expect("applied");
    aggregates
        .handle(vec![change(1.0, 1, 10)])
        .await
        .expect("a late older one");
    aggregates.handle(vec![newer]).await.expect("a repeat");
    let stored = {
        let id = id.clone();
        db::run(&db.pool(), move |conn| service::get_user(conn, &id))
            .await
            .expect("read")
    };
    assert_eq!((stored.rating_avg, stored.rating_count), (Some(4.5), 2));
}
