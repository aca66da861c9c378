//! What other crates may know of the ratings crate: its ids and its events
//! (a revealed rating, a deleted one, and a user's new aggregate, which the
//! users crate shows on profiles). Nothing here touches a database.

use quickfix_shared::events::{EventSet, Subject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use quickfix_shared::ids::{BookingId, RatingId, UserId};

/// `rating.created`: a rating became visible (both parties rated, or the
/// reveal period passed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RatingCreated {
    /// The rating.
    pub rating_id: RatingId,
    /// The booking it rates.
    pub booking_id: BookingId,
    /// Who rated.
    pub rater_id: UserId,
    /// Who was rated.
    pub rated_user_id: UserId,
    /// 1 to 5.
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub stars: i32,
}

/// `rating.deleted`: an admin removed a rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RatingDeleted {
    /// The rating.
    pub rating_id: RatingId,
}

/// `rating.aggregate_changed`: a user's average and count of revealed
/// ratings changed. `version` orders one user's changes: a consumer keeps
/// the highest it saw, so delivery order does not matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AggregateChanged {
    /// The rated user.
    pub user_id: UserId,
    /// The average of their revealed ratings; null without any.
    #[schema(example = 4.5)]
    #[schema(required = true)]
    pub avg: Option<f64>,
    /// How many revealed ratings they have.
    #[schema(example = 2)]
    pub count: i32,
    /// Later changes of one user carry higher versions.
    #[schema(example = 3)]
    pub version: i64,
}

/// The ratings crate's events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum RatingEvent {
    /// A rating became visible.
    #[serde(rename = "rating.created")]
    Created(RatingCreated),
    /// A rating was deleted.
    #[serde(rename = "rating.deleted")]
    Deleted(RatingDeleted),
    /// A user's aggregate changed.
    #[serde(rename = "rating.aggregate_changed")]
    AggregateChanged(AggregateChanged),
}

impl EventSet for RatingEvent {
    const KINDS: &'static [&'static str] = &[
        "rating.created",
        "rating.deleted",
        "rating.aggregate_changed",
    ];

    fn subject(&self) -> Subject {
        match self {
            RatingEvent::Created(e) => Subject::of("rating", &e.rating_id),
            RatingEvent::Deleted(e) => Subject::of("rating", &e.rating_id),
            RatingEvent::AggregateChanged(e) => Subject::of("user", &e.user_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        let rating_id = RatingId::generate();
        quickfix_shared::events::assert_kinds_match(vec![
            RatingEvent::Created(RatingCreated {
                rating_id: rating_id.clone(),
                booking_id: BookingId::generate(),
                rater_id: UserId::generate(),
                rated_user_id: UserId::generate(),
                stars: 4,
            }),
            RatingEvent::Deleted(RatingDeleted { rating_id }),
            RatingEvent::AggregateChanged(AggregateChanged {
                user_id: UserId::generate(),
                avg: None,
                count: 0,
                version: 2,
            }),
        ]);
    }
}
