//! Accepting an offer from this crate's side: the booking under the
//! command's id, once, whether the route or the consumer of
//! `offer.accepted` comes first.

use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use quickfix_bookings_contract::{BookingDirectory, BookingEvent};
use quickfix_jobs_contract::{AcceptOffer, AcceptedOffer, Acceptor, JobEvent, OfferAcceptance};
use quickfix_shared::ApiError;
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::{BookingId, JobId, OfferId, UserId};
use quickfix_shared::outbox::{Consumer, Relay, SharedRelay};
use quickfix_shared::testing::TestDatabase;

use crate::consumers::BookingOpener;
use crate::{BookingsState, LocationPolicy, commands};

/// The jobs crate's command, faked: accepts whatever it is given.
struct AcceptsAll {
    provider: UserId,
}

impl OfferAcceptance for AcceptsAll {
    fn accept(&self, command: AcceptOffer) -> BoxFuture<'static, Result<AcceptedOffer, ApiError>> {
        Box::pin(std::future::ready(Ok(accepted(&command, &self.provider))))
    }
}

fn accepted(command: &AcceptOffer, provider: &UserId) -> AcceptedOffer {
    AcceptedOffer {
        offer_id: command.offer_id.clone(),
        job_id: command.job_id.clone(),
        booking_id: command.booking_id.clone(),
        customer_id: command.by.user_id().clone(),
        provider_id: provider.clone(),
        price_cents: 7_500,
        scheduled_for: None,
        rejected_provider_ids: Vec::new(),
    }
}

/// Counts the `booking.updated` events delivered.
#[derive(Default)]
struct Updates(Mutex<Vec<DomainEvent>>);

impl Consumer for Updates {
    fn name(&self) -> &'static str {
        "test.updates"
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        self.0.lock().expect("updates").extend(
            events
                .into_iter()
                .filter(|e| matches!(BookingEvent::read(e), Ok(Some(BookingEvent::Updated(_))))),
        );
        Box::pin(std::future::ready(Ok(())))
    }
}

fn setup() -> (
    TestDatabase,
    SharedRelay,
    BookingsState,
    Arc<Updates>,
    UserId,
) {
    let db = TestDatabase::new(&[quickfix_shared::db::MIGRATIONS, crate::MIGRATIONS]);
    let relay = Relay::new(db.pool());
    let updates = Arc::new(Updates::default());
    relay.register(updates.clone());
    let provider = UserId::generate();
    let state = BookingsState {
        currency: "EUR".to_owned(),
        location: LocationPolicy::default(),
        timers: crate::BookingTimers::default(),
        offers: Arc::new(AcceptsAll {
            provider: provider.clone(),
        }),
    };
    (db, relay, state, updates, provider)
}

#[tokio::test]
async fn an_accepted_offer_becomes_one_confirmed_booking_at_its_price() {
    let (_db, relay, state, updates, provider) = setup();
    let customer = UserId::generate();
    let booking = commands::accept_offer(
        &state,
        &relay,
        Acceptor::Customer(customer.clone()),
        JobId::generate(),
        OfferId::generate(),
    )
    .await
    .expect("booked");
    assert_eq!(booking.status.as_str(), "confirmed");
    assert_eq!(booking.price_cents, 7_500);
    assert_eq!(booking.provider_id, provider.as_str());
    assert_eq!(updates.0.lock().expect("updates").len(), 1);
}

#[tokio::test]
async fn the_consumer_and_the_route_make_the_booking_once_whichever_comes_first() {
    let (db, relay, state, updates, provider) = setup();
    relay.register(BookingOpener::new(
        &relay,
        state.currency.clone(),
        state.timers,
    ));
    let customer = UserId::generate();
    let command = AcceptOffer {
        job_id: JobId::generate(),
        offer_id: OfferId::generate(),
        by: Acceptor::Customer(customer.clone()),
        booking_id: BookingId::generate(),
    };
    // The event first (a route that stopped after the jobs step), twice (at
    // least once), then a route that gets as far.
    let event = JobEvent::OfferAccepted(accepted(&command, &provider)).into_event(None);
    relay.deliver(vec![event.clone()]).await;
    relay.deliver(vec![event]).await;
    assert_eq!(updates.0.lock().expect("updates").len(), 1, "made once");
    let directory = crate::Bookings::new(db.pool());
    let facts = directory
        .facts(command.booking_id.clone())
        .await
        .expect("answered")
        .expect("the booking exists");
    assert_eq!(facts.customer_id, customer);

    let state = BookingsState {
        offers: Arc::new(Replays(accepted(&command, &provider))),
        ..state
    };
    let booking = commands::accept_offer(
        &state,
        &relay,
        Acceptor::Customer(customer.clone()),
        command.job_id.clone(),
        command.offer_id.clone(),
    )
    .await
    .expect("the route finds the booking made");
    assert_eq!(booking.id, command.booking_id.as_str());
    assert_eq!(updates.0.lock().expect("updates").len(), 1, "still once");
}

/// The jobs command answering a replay: the acceptance made before.
struct Replays(AcceptedOffer);

impl OfferAcceptance for Replays {
    fn accept(&self, _: AcceptOffer) -> BoxFuture<'static, Result<AcceptedOffer, ApiError>> {
        Box::pin(std::future::ready(Ok(self.0.clone())))
    }
}
