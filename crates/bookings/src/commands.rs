//! The bookings crate's changes as its routes and the gateway's tools
//! (`seed`) make them: async, through the relay, each in the crate's own
//! transaction with the events it causes.

use quickfix_jobs_contract::{AcceptOffer, Acceptor};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::ids::{BookingId, JobId, OfferId};
use quickfix_shared::outbox::SharedRelay;

use crate::dto::{BookingResponse, booking_view};
use crate::error::BookingsError;
use crate::lifecycle::Action;
use crate::{BookingsState, booking_updated, service};

/// Accepts an offer into a booking (the job's owner at the offer's price,
/// or its provider at the owner's counter), in two steps: the jobs crate's
/// accept command (which decides among racing accepts and stores
/// `offer.accepted`) and the booking under the command's booking id, with
/// `booking.updated`. If this stops between the two, the consumer of
/// `offer.accepted` makes the booking; whichever comes second finds it
/// made.
pub async fn accept_offer(
    state: &BookingsState,
    relay: &SharedRelay,
    by: Acceptor,
    job_id: JobId,
    offer_id: OfferId,
) -> Result<BookingResponse, ApiError> {
    let actor = by.user_id().to_string();
    let command = AcceptOffer {
        job_id,
        offer_id,
        by,
        booking_id: BookingId::generate(),
    };
    let accepted = state
        .offers
        .accept(command)
        .await
        .map_err(BookingsError::Refused)?;
    let currency = state.currency.clone();
    let timers = state.timers;
    let booking = relay
        .run(move |conn| {
            let (booking, fresh) = service::open_booking(conn, &accepted, &timers)?;
            let events = if fresh {
                vec![booking_updated(&booking, &currency, &actor)]
            } else {
                Vec::new()
            };
            Ok::<_, BookingsError>((booking, events))
        })
        .await?;
    tracing::info!(booking.id = %booking.id, job.id = %booking.job_id, "offer accepted");
    Ok(booking_view(&booking, &state.currency))
}

/// Applies a lifecycle action (start, complete, cancel) with its
/// `booking.updated`.
pub async fn act(
    state: &BookingsState,
    relay: &SharedRelay,
    user: AuthUser,
    id: BookingId,
    action: Action,
    reason: Option<String>,
) -> Result<BookingResponse, ApiError> {
    let actor = user.id.to_string();
    let currency = state.currency.clone();
    let timers = state.timers;
    let booking = relay
        .run(move |conn| {
            let booking = service::apply(conn, &user, &id, action, reason, &timers)?;
            let event = booking_updated(&booking, &currency, &actor);
            Ok::<_, BookingsError>((booking, vec![event]))
        })
        .await?;
    Ok(booking_view(&booking, &state.currency))
}
