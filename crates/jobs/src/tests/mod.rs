//! The crate's rules against a real database (SQLite, and PostgreSQL when
//! `QUICKFIX_TEST_POSTGRES_URL` is set); it needs no other crate.

mod accept;
mod closures;
mod expiry;
mod mirror;
mod negotiation;
mod statuses;

use quickfix_jobs_contract::{AcceptOffer, Acceptor};
use quickfix_shared::auth::{AuthUser, Role};
use quickfix_shared::ids::{BookingId, JobId, OfferId, UserId};
use quickfix_shared::outbox::{Relay, SharedRelay};
use quickfix_shared::testing::TestDatabase;

use crate::dto::{CreateJobRequest, CreateOfferRequest, LocationInput};
use crate::settings::JobRules;
use crate::{JobsState, commands};

/// The crate's state as the tests run it: the default rules.
fn state() -> JobsState {
    JobsState {
        currency: "EUR".to_owned(),
        rules: JobRules::default(),
        accounts: std::sync::Arc::new(quickfix_users_contract::FixedDirectory::default()),
    }
}

fn database() -> TestDatabase {
    TestDatabase::new(&[quickfix_shared::db::MIGRATIONS, crate::MIGRATIONS])
}

fn user(role: Role) -> AuthUser {
    AuthUser {
        id: UserId::generate(),
        role,
        session: String::new(),
        must_verify_email: false,
    }
}

/// A customer's open job with `offers` offers from as many providers.
async fn job_with_offers(
    relay: &SharedRelay,
    db: &TestDatabase,
    offers: usize,
) -> (AuthUser, JobId, Vec<(AuthUser, OfferId)>) {
    let customer = user(Role::Customer);
    let job = commands::create_job(
        &db.pool(),
        &state(),
        customer.clone(),
        CreateJobRequest {
            title: "Fix the sink".to_owned(),
            description: "It drips all night.".to_owned(),
            category: "plumbing".to_owned(),
            budget_cents: None,
            location: LocationInput {
                address: "1 Main St".to_owned(),
                lat: 38.7,
                lng: -9.1,
            },
            scheduled_for: None,
        },
    )
    .await
    .expect("posted");
    let job_id = JobId::from_db(job.id);
    let mut made = Vec::new();
    for n in 0..offers {
        let provider = user(Role::Provider);
        let offer = commands::create_offer(
            relay,
            &state(),
            provider.clone(),
            job_id.clone(),
            CreateOfferRequest {
                price_cents: 5_000 + n as i64,
                message: "Tomorrow.".to_owned(),
                eta: None,
            },
        )
        .await
        .expect("offered");
        made.push((provider, OfferId::from_db(offer.id)));
    }
    (customer, job_id, made)
}

/// The accept command of `customer` for `offer` on `job`, with a fresh
/// booking id.
fn command(
    customer: &quickfix_shared::auth::AuthUser,
    job: &quickfix_shared::ids::JobId,
    offer: &quickfix_shared::ids::OfferId,
) -> AcceptOffer {
    AcceptOffer {
        job_id: job.clone(),
        offer_id: offer.clone(),
        by: Acceptor::Customer(customer.id.clone()),
        booking_id: BookingId::generate(),
    }
}

fn relay(db: &TestDatabase) -> SharedRelay {
    Relay::new(db.pool())
}
