//! Closing an account: refused while a job of the user is booked, and once
//! closed, no new job, offer or acceptance of theirs; what it left behind
//! is withdrawn once, and a closure taken back opens the account again.

use quickfix_jobs_contract::{AccountClosure, OfferAcceptance};
use quickfix_shared::ErrorCode;
use quickfix_shared::db;
use quickfix_shared::ids::JobId;

use super::{command, database, job_with_offers, relay, state};
use crate::dto::CreateOfferRequest;
use crate::{Closures, Offers, commands, service};

/// `provider`'s offer on `job`.
async fn offer_on(
    relay: &quickfix_shared::outbox::SharedRelay,
    provider: &quickfix_shared::auth::AuthUser,
    job: &JobId,
) -> Result<crate::dto::OfferResponse, quickfix_shared::ApiError> {
    commands::create_offer(
        relay,
        &state(),
        provider.clone(),
        job.clone(),
        CreateOfferRequest {
            price_cents: 4_000,
            message: "Soon.".to_owned(),
            eta: None,
        },
    )
    .await
}

#[tokio::test]
async fn a_booked_job_refuses_the_closure_of_both_parties() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 1).await;
    Offers::new(relay.clone())
        .accept(command(&customer, &job, &offers[0].1))
        .await
        .expect("accepted");
    let closures = Closures::new(db.pool());
    for party in [&customer.id, &offers[0].0.id] {
        let refused = closures.close(party.clone()).await.expect_err("refused");
        assert_eq!(refused.status().as_u16(), 409);
        assert_eq!(refused.code(), ErrorCode::AccountHasActiveBookings);
    }
    let id = customer.id.clone();
    let open = db::run(&db.pool(), move |conn| {
        service::ensure_open_accounts(conn, &[id.as_str()])
    })
    .await;
    assert!(open.is_ok(), "a refused closure leaves no mark");
}

#[tokio::test]
async fn a_closed_account_gets_no_new_offer_or_acceptance_and_reopens() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 1).await;
    let provider = &offers[0].0;
    let closures = Closures::new(db.pool());
    closures.close(provider.id.clone()).await.expect("closed");
    let refused = Offers::new(relay.clone())
        .accept(command(&customer, &job, &offers[0].1))
        .await
        .expect_err("the provider's account is closed");
    assert_eq!(refused.status().as_u16(), 403);
    let (_, other_job, _) = job_with_offers(&relay, &db, 0).await;
    let offer = offer_on(&relay, provider, &other_job).await;
    assert_eq!(offer.expect_err("closed").status().as_u16(), 403);
    closures
        .reopen(provider.id.clone())
        .await
        .expect("reopened");
    Offers::new(relay.clone())
        .accept(command(&customer, &job, &offers[0].1))
        .await
        .expect("open again");
}

#[tokio::test]
async fn what_a_deleted_account_left_is_withdrawn_once() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 2).await;
    let (_, other_job, _) = job_with_offers(&relay, &db, 0).await;
    let provider = &offers[0].0;
    offer_on(&relay, provider, &other_job)
        .await
        .expect("offered");
    let (customer_id, provider_id) = (customer.id.clone(), provider.id.clone());
    let done = db::run(&db.pool(), move |conn| {
        let cancelled = service::withdraw_everything(conn, &customer_id)?;
        let withdrawn = service::withdraw_everything(conn, &provider_id)?;
        Ok::<_, crate::JobsError>((cancelled, withdrawn))
    })
    .await
    .expect("withdrawn");
    assert_eq!(done.0.cancelled.len(), 1, "the customer's open job");
    assert_eq!(done.0.cancelled[0].0.id, job.as_str());
    assert_eq!(
        done.0.cancelled[0].1.len(),
        2,
        "both offers rejected with it"
    );
    assert_eq!(
        done.1.withdrawn.len(),
        1,
        "the provider's offer on the other job"
    );
    assert_eq!(done.1.withdrawn[0].1.id, other_job.as_str());
    let (customer_id, provider_id) = (customer.id.clone(), provider.id.clone());
    let again = db::run(&db.pool(), move |conn| {
        let a = service::withdraw_everything(conn, &customer_id)?;
        let b = service::withdraw_everything(conn, &provider_id)?;
        Ok::<_, crate::JobsError>(a.cancelled.len() + b.withdrawn.len())
    })
    .await
    .expect("repeated");
    assert_eq!(again, 0, "a repeat finds nothing left");
}
