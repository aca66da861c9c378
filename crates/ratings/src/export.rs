//! The ratings crate's part of a user's data export: the ratings they gave,
//! and those they received that are revealed (an unrevealed one stays the
//! rater's until then).

use std::sync::Arc;

use diesel::prelude::*;
use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::db::{self, DbError, DbPool};
use quickfix_shared::export::{PersonalData, Section};
use quickfix_shared::ids::UserId;

use crate::dto::RatingResponse;
use crate::models::Rating;
use crate::schema::ratings;

/// The ratings crate's [`PersonalData`].
pub struct RatingsData {
    pool: DbPool,
}

impl RatingsData {
    /// The source reading through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl PersonalData for RatingsData {
    fn sections(&self) -> &'static [&'static str] {
        &["ratings_given", "ratings_received"]
    }

    fn export(&self, user: UserId) -> BoxFuture<'static, Result<Vec<Section>, ApiError>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let (given, received) = db::run(&pool, move |conn| {
                let given: Vec<Rating> = ratings::table
                    .filter(ratings::rater_id.eq(user.as_str()))
                    .order((ratings::created_at, ratings::id))
                    .select(Rating::as_select())
                    .load(conn)?;
                let received: Vec<Rating> = ratings::table
                    .filter(ratings::rated_id.eq(user.as_str()))
                    .filter(ratings::revealed_at.is_not_null())
                    .order((ratings::created_at, ratings::id))
                    .select(Rating::as_select())
                    .load(conn)?;
                Ok::<_, DbError>((given, received))
            })
            .await?;
            let view = |rows: &[Rating]| {
                serde_json::to_value(rows.iter().map(RatingResponse::from).collect::<Vec<_>>())
                    .map_err(ApiError::internal)
            };
            Ok(vec![
                ("ratings_given", view(&given)?),
                ("ratings_received", view(&received)?),
            ])
        })
    }
}
