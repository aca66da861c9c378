//! The bookings crate's timed rules, run by the durable scheduler: each
//! task was scheduled when its booking was made, and re-checks the booking
//! in its own transaction (a booking started or cancelled by hand is left
//! alone).

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_bookings_contract::{BookingEvent, SYSTEM_ACTOR};
use quickfix_shared::events::EventSet;
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::tasks::TaskHandler;

use crate::error::BookingsError;
use crate::{BookingTimers, booking_updated, service};

/// `booking.remind`: both parties of a still-confirmed booking get
/// `booking.reminder` before its planned time.
pub struct RemindTask {
    relay: SharedRelay,
}

impl RemindTask {
    /// The handler, storing through `relay`.
    pub fn new(relay: SharedRelay) -> Arc<Self> {
        Arc::new(Self { relay })
    }
}

impl TaskHandler for RemindTask {
    fn kind(&self) -> &'static str {
        service::REMIND_TASK
    }

    fn run(&self, booking: String) -> BoxFuture<'static, Result<(), String>> {
        let relay = Arc::clone(&self.relay);
        Box::pin(async move {
            relay
                .run(move |conn| {
                    let events = service::reminder_of(conn, &booking)?
                        .map(|reminder| {
                            BookingEvent::Reminder(reminder).into_event(Some(SYSTEM_ACTOR))
                        })
                        .into_iter()
                        .collect();
                    Ok::<_, BookingsError>(((), events))
                })
                .await
                .map_err(|err| err.to_string())
        })
    }
}

/// `booking.no_show`: a booking still `confirmed` when its planned time
/// passed `bookings.no_show_after_secs` ago is cancelled with reason
/// `no_show`, with `booking.updated` (its job follows, as for any end).
pub struct NoShowTask {
    relay: SharedRelay,
    currency: String,
    timers: BookingTimers,
}

impl NoShowTask {
    /// The handler, storing through `relay`.
    pub fn new(relay: SharedRelay, currency: &str, timers: BookingTimers) -> Arc<Self> {
        Arc::new(Self {
            relay,
            currency: currency.to_owned(),
            timers,
        })
    }
}

impl TaskHandler for NoShowTask {
    fn kind(&self) -> &'static str {
        service::NO_SHOW_TASK
    }

    fn run(&self, booking: String) -> BoxFuture<'static, Result<(), String>> {
        let (relay, currency, after) = (
            Arc::clone(&self.relay),
            self.currency.clone(),
            self.timers.no_show_after,
        );
        Box::pin(async move {
            relay
                .run(move |conn| {
                    let events = service::cancel_no_show(conn, &booking, after)?
                        .map(|cancelled| booking_updated(&cancelled, &currency, SYSTEM_ACTOR))
                        .into_iter()
                        .collect();
                    Ok::<_, BookingsError>(((), events))
                })
                .await
                .map_err(|err| err.to_string())
        })
    }
}
