//! The ratings crate's changes as its routes and the gateway's tools
//! (`seed`) make them: async, through the relay, in the crate's own
//! transaction with the events they cause.

use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::ids::BookingId;
use quickfix_shared::outbox::SharedRelay;

use crate::dto::{CreateRatingRequest, RatingResponse};
use crate::error::RatingsError;
use crate::{RatingsState, revealed_events, service};

/// Rates the other party of a completed booking, revealing what is due
/// with its events.
pub async fn rate(
    state: &RatingsState,
    relay: &SharedRelay,
    user: AuthUser,
    booking: BookingId,
    request: CreateRatingRequest,
) -> Result<RatingResponse, ApiError> {
    let booking = state.booking(booking).await?;
    let reveal_after = state.reveal_after;
    let rated = relay
        .run(move |conn| {
            let rated = service::rate(
                conn,
                &user,
                &booking,
                &request,
                reveal_after,
                service::now(),
            )?;
            let events = revealed_events(&rated.revealed);
            Ok::<_, RatingsError>((rated, events))
        })
        .await?;
    Ok(RatingResponse::from(&rated.rating))
}
