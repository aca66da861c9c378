//! The accept command: one winner among racing commands, a repeat answers
//! the same acceptance, and only the job's owner accepts.

use quickfix_jobs_contract::{OfferAcceptance, OfferStatus};
use quickfix_shared::auth::Role;
use quickfix_shared::db;

use super::{command, database, job_with_offers, relay, user};
use crate::Offers;

#[tokio::test]
async fn of_twenty_racing_accepts_exactly_one_wins_and_the_rest_are_rejected() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 20).await;
    let acceptance = Offers::new(relay.clone());
    let attempts = offers.iter().map(|(_, offer)| {
        let (acceptance, command) = (acceptance.clone(), command(&customer, &job, offer));
        tokio::spawn(async move { acceptance.accept(command).await })
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = outcomes
        .into_iter()
        .map(|joined| match joined.expect("joined") {
            Ok(_) => 200,
            Err(refused) => refused.status().as_u16(),
        })
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    let job_id = job.clone();
    let offers = db::run(&db.pool(), move |conn| {
        crate::repository::list_offers(conn, job_id.as_str(), None, None, 100)
            .map_err(db::DbError::Query)
    })
    .await
    .expect("listed");
    let count = |status: OfferStatus| {
        offers
            .iter()
            .filter(|o| o.status == status.as_str())
            .count()
    };
    assert_eq!(
        (count(OfferStatus::Accepted), count(OfferStatus::Rejected)),
        (1, 19)
    );
}

#[tokio::test]
async fn the_same_command_again_answers_the_same_acceptance() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 2).await;
    let acceptance = Offers::new(relay.clone());
    let first = command(&customer, &job, &offers[0].1);
    let accepted = acceptance.accept(first.clone()).await.expect("accepted");
    assert_eq!(accepted.booking_id, first.booking_id);
    assert_eq!(accepted.provider_id, offers[0].0.id);
    assert_eq!(accepted.rejected_provider_ids, vec![offers[1].0.id.clone()]);
    let again = acceptance
        .accept(first.clone())
        .await
        .expect("the same answer");
    assert_eq!(again.booking_id, first.booking_id);
    assert_eq!(again.offer_id, first.offer_id);
    let other_key = acceptance
        .accept(command(&customer, &job, &offers[0].1))
        .await
        .expect_err("a different booking id is a second accept");
    assert_eq!(other_key.status().as_u16(), 409);
}

#[tokio::test]
async fn only_the_jobs_owner_accepts_and_only_a_pending_offer() {
    let db = database();
    let relay = relay(&db);
    let (customer, job, offers) = job_with_offers(&relay, &db, 2).await;
    let acceptance = Offers::new(relay.clone());
    let stranger = user(Role::Customer);
    let refused = acceptance
        .accept(command(&stranger, &job, &offers[0].1))
        .await
        .expect_err("not the owner");
    assert_eq!(
        refused.status().as_u16(),
        403,
        "an open job is visible, not theirs"
    );
    let (provider, offer) = &offers[1];
    crate::commands::withdraw_offer(&relay, "EUR", provider.clone(), job.clone(), offer.clone())
        .await
        .expect("withdrawn");
    let withdrawn = acceptance
        .accept(command(&customer, &job, offer))
        .await
        .expect_err("withdrawn");
    assert_eq!(withdrawn.status().as_u16(), 409);
}
