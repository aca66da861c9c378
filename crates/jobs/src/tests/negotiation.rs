//! Counter-offers: counter, revise and accept-counter, the rounds kept,
//! the round limit, and one winner among every path to a booking.

use quickfix_jobs_contract::{AcceptOffer, Acceptor, OfferAcceptance, OfferStatus};
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db;
use quickfix_shared::ids::{BookingId, JobId, OfferId};
use quickfix_shared::{ApiError, ErrorCode};

use super::{command, database, job_with_offers, relay, state};
use crate::dto::{OfferResponse, OfferRoundRequest};
use crate::{Offers, commands, service};

fn round(price_cents: i64) -> OfferRoundRequest {
    OfferRoundRequest {
        price_cents,
        message: Some(format!("How about {price_cents}?")),
    }
}

async fn counter(
    relay: &quickfix_shared::outbox::SharedRelay,
    owner: &AuthUser,
    job: &JobId,
    offer: &OfferId,
    price: i64,
) -> Result<OfferResponse, ApiError> {
    commands::counter_offer(
        relay,
        &state(),
        owner.clone(),
        job.clone(),
        offer.clone(),
        round(price),
    )
    .await
}

async fn revise(
    relay: &quickfix_shared::outbox::SharedRelay,
    provider: &AuthUser,
    job: &JobId,
    offer: &OfferId,
    price: i64,
) -> Result<OfferResponse, ApiError> {
    commands::revise_offer(
        relay,
        &state(),
        provider.clone(),
        job.clone(),
        offer.clone(),
        round(price),
    )
    .await
}

fn accept_counter(provider: &AuthUser, job: &JobId, offer: &OfferId) -> AcceptOffer {
    AcceptOffer {
        job_id: job.clone(),
        offer_id: offer.clone(),
        by: Acceptor::Provider(provider.id.clone()),
        booking_id: BookingId::generate(),
    }
}

fn code(refused: &ApiError) -> ErrorCode {
    refused.code()
}

#[tokio::test]
async fn a_negotiation_keeps_every_round_and_ends_at_the_counter_price() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 1).await;
    let (provider, offer) = offers[0].clone();

    let countered = counter(&relay, &customer, &job, &offer, 4_000)
        .await
        .expect("countered");
    assert_eq!(countered.status, OfferStatus::Countered);
    assert_eq!(countered.price_cents, 5_000, "the provider's price stays");
    assert_eq!(countered.counter_price_cents, Some(4_000));

    let revised = revise(&relay, &provider, &job, &offer, 4_500)
        .await
        .expect("revised");
    assert_eq!(revised.status, OfferStatus::Pending);
    assert_eq!(revised.price_cents, 4_500);
    assert_eq!(revised.counter_price_cents, None);

    counter(&relay, &customer, &job, &offer, 4_200)
        .await
        .expect("countered again");
    let accepted = Offers::new(relay.clone())
        .accept(accept_counter(&provider, &job, &offer))
        .await
        .expect("the provider takes the counter");
    assert_eq!(accepted.price_cents, 4_200);
    assert_eq!(accepted.customer_id, customer.id);

    let (viewer, job_id, offer_id) = (customer.clone(), job.clone(), offer.clone());
    let rounds = db::run(&db.pool(), move |conn| {
        service::offer_rounds(conn, &viewer, &job_id, &offer_id)
    })
    .await
    .expect("rounds");
    let asked: Vec<(&str, i64)> = rounds
        .iter()
        .map(|r| (r.by_party.as_str(), r.price_cents))
        .collect();
    assert_eq!(
        asked,
        vec![
            ("provider", 5_000),
            ("customer", 4_000),
            ("provider", 4_500),
            ("customer", 4_200),
        ]
    );
    assert_eq!(rounds[0].message.as_deref(), Some("Tomorrow."));
}

#[tokio::test]
async fn each_side_moves_only_from_its_state_and_only_on_its_own_offer() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 2).await;
    let (provider, offer) = offers[0].clone();
    let (other_provider, _) = offers[1].clone();

    let refused = revise(&relay, &provider, &job, &offer, 4_000)
        .await
        .unwrap_err();
    assert_eq!(
        code(&refused),
        ErrorCode::OfferNotPending,
        "pending: nothing to revise"
    );
    let refused = Offers::new(relay.clone())
        .accept(accept_counter(&provider, &job, &offer))
        .await
        .unwrap_err();
    assert_eq!(
        code(&refused),
        ErrorCode::OfferNotPending,
        "no counter to accept"
    );

    counter(&relay, &customer, &job, &offer, 4_000)
        .await
        .expect("countered");
    let refused = counter(&relay, &customer, &job, &offer, 3_900)
        .await
        .unwrap_err();
    assert_eq!(
        code(&refused),
        ErrorCode::OfferNotPending,
        "countered already"
    );
    let refused = revise(&relay, &other_provider, &job, &offer, 4_000)
        .await
        .unwrap_err();
    assert_eq!(refused.status().as_u16(), 404, "another provider's offer");
    let refused = counter(
        &relay,
        &super::user(quickfix_shared::auth::Role::Customer),
        &job,
        &offer,
        1,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.status().as_u16(), 403, "not the job's owner");

    // A countered offer is still its provider's one open offer.
    let again = commands::create_offer(
        &relay,
        &state(),
        provider.clone(),
        job.clone(),
        crate::dto::CreateOfferRequest {
            price_cents: 1,
            message: "Again.".to_owned(),
            eta: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(code(&again), ErrorCode::OfferExists);

    // The owner accepts a countered offer at the provider's price.
    let accepted = Offers::new(relay.clone())
        .accept(command(&customer, &job, &offer))
        .await
        .expect("accepted");
    assert_eq!(accepted.price_cents, 5_000);
}

#[tokio::test]
async fn the_owner_counters_at_most_max_rounds_times() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 1).await;
    let (provider, offer) = offers[0].clone();
    let max = state().rules.max_rounds;
    for n in 0..max {
        counter(&relay, &customer, &job, &offer, 4_000 + i64::from(n))
            .await
            .expect("a counter within the limit");
        revise(&relay, &provider, &job, &offer, 4_900)
            .await
            .expect("revised");
    }
    let refused = counter(&relay, &customer, &job, &offer, 4_100)
        .await
        .unwrap_err();
    assert_eq!(code(&refused), ErrorCode::TooManyRounds);
    assert_eq!(refused.status().as_u16(), 409);
    let (viewer, job_id, offer_id) = (provider.clone(), job.clone(), offer.clone());
    let rounds = db::run(&db.pool(), move |conn| {
        service::offer_rounds(conn, &viewer, &job_id, &offer_id)
    })
    .await
    .expect("rounds");
    assert_eq!(
        rounds.len(),
        1 + 2 * max as usize,
        "the refused counter left none"
    );
}

#[tokio::test]
async fn of_owner_accepts_and_accept_counters_racing_twenty_ways_one_books_the_job() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 10).await;
    for (_, offer) in &offers {
        counter(&relay, &customer, &job, offer, 4_000)
            .await
            .expect("countered");
    }
    let acceptance = Offers::new(relay.clone());
    let attempts = offers.iter().flat_map(|(provider, offer)| {
        [
            command(&customer, &job, offer),
            accept_counter(provider, &job, offer),
        ]
    });
    let racing = attempts.map(|command| {
        let acceptance = acceptance.clone();
        tokio::spawn(async move { acceptance.accept(command).await })
    });
    let outcomes = futures_util::future::join_all(racing).await;
    let mut won = Vec::new();
    let mut refused = 0;
    for outcome in outcomes {
        match outcome.expect("joined") {
            Ok(accepted) => won.push(accepted),
            Err(err) => {
                assert_eq!(err.status().as_u16(), 409, "{err:?}");
                refused += 1;
            }
        }
    }
    assert_eq!((won.len(), refused), (1, 19));
    let job_id = job.clone();
    let stored = db::run(&db.pool(), move |conn| {
        crate::repository::list_offers(conn, job_id.as_str(), None, None, 100)
            .map_err(db::DbError::Query)
    })
    .await
    .expect("listed");
    let accepted: Vec<_> = stored
        .iter()
        .filter(|o| o.status == OfferStatus::Accepted.as_str())
        .collect();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].id, won[0].offer_id.as_str());
    assert_eq!(accepted[0].price_cents, won[0].price_cents);
    assert!(
        stored
            .iter()
            .filter(|o| o.id != accepted[0].id)
            .all(|o| o.status == OfferStatus::Rejected.as_str() && o.counter_price_cents.is_none())
    );
}
