//! Request and response types of the ratings routes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::models::Rating;

/// `POST /bookings/{id}/ratings`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct CreateRatingRequest {
    /// 1 to 5 stars.
    #[schema(minimum = 1, maximum = 5)]
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub stars: u8,
    /// Words, up to 1000 characters.
    #[schema(max_length = 1000)]
    #[serde(default)]
    #[schema(example = "On time and tidy.")]
    pub comment: Option<String>,
}

/// A rating.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatingResponse {
    /// Id.
    pub id: String,
    /// The booking.
    pub booking_id: String,
    /// Who rated.
    pub rater_id: String,
    /// Who was rated.
    pub rated_user_id: String,
    /// 1 to 5.
    pub stars: u8,
    /// Words.
    #[schema(required = true)]
    pub comment: Option<String>,
    /// Whether it is revealed (both parties rated, or the reveal period
    /// passed). Only the rater sees an unrevealed rating.
    pub revealed: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<&Rating> for RatingResponse {
    fn from(r: &Rating) -> Self {
        Self {
            id: r.id.clone(),
            booking_id: r.booking_id.clone(),
            rater_id: r.rater_id.clone(),
            rated_user_id: r.rated_id.clone(),
            stars: u8::try_from(r.stars).unwrap_or(0),
            comment: r.comment.clone(),
            revealed: r.revealed_at.is_some(),
            created_at: r.created_at.and_utc(),
        }
    }
}

/// A user's revealed ratings in figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RatingSummary {
    /// Average stars; null without ratings.
    #[schema(required = true)]
    pub avg: Option<f64>,
    /// Revealed ratings.
    pub count: i64,
    /// Ratings per star value, `"1"` to `"5"`.
    #[schema(example = json!({"1": 0, "2": 0, "3": 1, "4": 2, "5": 7}))]
    pub histogram: BTreeMap<String, i64>,
}

/// A page of a user's revealed ratings with their summary.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserRatingsResponse {
    /// Ratings, newest first.
    pub items: Vec<RatingResponse>,
    /// The next page's cursor; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
    /// Figures over every revealed rating of the user.
    pub summary: RatingSummary,
}
