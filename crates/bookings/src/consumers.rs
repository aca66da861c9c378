//! What the bookings crate does when another domain's event arrives.

use std::sync::{Arc, Weak};

use futures_util::future::BoxFuture;
use quickfix_jobs_contract::JobEvent;
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::outbox::{Consumer, Relay};

use crate::error::BookingsError;
use crate::{BookingTimers, booking_updated, service};

/// Makes the booking of each `offer.accepted`, once: the recovery path of
/// accepting an offer. The accept route makes the booking right after the
/// jobs crate's command; if the route stopped between the two (a crash, a
/// failed second step), this consumer, fed by the outbox, makes it from the
/// stored event. Whichever comes second finds the booking made.
pub struct BookingOpener {
    relay: Weak<Relay>,
    currency: String,
    timers: BookingTimers,
}

impl BookingOpener {
    /// The consumer, storing the bookings and their `booking.updated`
    /// through `relay` (held weakly: the relay holds its consumers).
    pub fn new(relay: &Arc<Relay>, currency: String, timers: BookingTimers) -> Arc<Self> {
        Arc::new(Self {
            relay: Arc::downgrade(relay),
            currency,
            timers,
        })
    }
}

impl Consumer for BookingOpener {
    fn name(&self) -> &'static str {
        "bookings.booking_opener"
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        let relay = self.relay.upgrade();
        let currency = self.currency.clone();
        let timers = self.timers;
        Box::pin(async move {
            let mut accepted = Vec::new();
            for event in &events {
                if let Some(JobEvent::OfferAccepted(offer)) = JobEvent::read(event)? {
                    accepted.push(offer);
                }
            }
            if accepted.is_empty() {
                return Ok(());
            }
            let relay = relay.ok_or_else(|| "the relay has stopped".to_owned())?;
            for offer in accepted {
                let currency = currency.clone();
                relay
                    .run(move |conn| {
                        let (booking, fresh) = service::open_booking(conn, &offer, &timers)?;
                        let events = if fresh {
                            vec![booking_updated(
                                &booking,
                                &currency,
                                offer.customer_id.as_str(),
                            )]
                        } else {
                            Vec::new()
                        };
                        Ok::<_, BookingsError>(((), events))
                    })
                    .await
                    .map_err(|err| err.to_string())?;
            }
            Ok(())
        })
    }
}
