//! What the ratings crate does when a booking is cancelled after its
//! completion (a dispute resolved as `cancelled`): the booking's ratings
//! leave every list and aggregate.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_bookings_contract::{BookingEvent, BookingStatus};
use quickfix_ratings_contract::{RatingDeleted, RatingEvent};
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::RatingId;
use quickfix_shared::outbox::{Consumer, SharedRelay};

use crate::error::RatingsError;
use crate::{aggregate_event, service};

/// Follows `booking.updated`: a cancelled booking's ratings are deleted
/// with `rating.deleted` and `rating.aggregate_changed` events, in one
/// transaction. Only a dispute resolved as cancelled leaves a cancelled
/// booking with ratings (others were never rateable), and a repeat finds
/// none left, so the event is handled once.
pub struct VoidedBookings {
    relay: SharedRelay,
}

impl VoidedBookings {
    /// The consumer, storing through `relay`.
    pub fn new(relay: &SharedRelay) -> Arc<Self> {
        Arc::new(Self {
            relay: Arc::clone(relay),
        })
    }
}

impl Consumer for VoidedBookings {
    fn name(&self) -> &'static str {
        "ratings.voided_bookings"
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        let relay = Arc::clone(&self.relay);
        Box::pin(async move {
            let mut cancelled = Vec::new();
            for event in &events {
                if let Some(BookingEvent::Updated(updated)) = BookingEvent::read(event)?
                    && updated.booking.status == BookingStatus::Cancelled
                {
                    cancelled.push(updated.booking.id.clone());
                }
            }
            for booking in cancelled {
                relay
                    .run(move |conn| {
                        let voided = service::void_booking_ratings(conn, &booking)?;
                        let deleted = voided.ratings.iter().map(|rating| {
                            RatingEvent::Deleted(RatingDeleted {
                                rating_id: RatingId::from_db(rating.id.clone()),
                            })
                            .into_event(None)
                        });
                        let events = deleted
                            .chain(voided.aggregates.iter().map(aggregate_event))
                            .collect();
                        Ok::<_, RatingsError>(((), events))
                    })
                    .await
                    .map_err(|err| err.to_string())?;
            }
            Ok(())
        })
    }
}
