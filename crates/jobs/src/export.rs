//! The jobs crate's part of a user's data export: the jobs they posted and
//! the offers they made.

use std::sync::Arc;

use diesel::prelude::*;
use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::db::{self, DbError, DbPool};
use quickfix_shared::export::{PersonalData, Section};
use quickfix_shared::ids::UserId;

use crate::dto::{JobResponse, OfferResponse};
use crate::models::{Job, Offer};
use crate::schema::{jobs, offers};

/// The jobs crate's [`PersonalData`].
pub struct JobsData {
    pool: DbPool,
    currency: String,
}

impl JobsData {
    /// The source reading through `pool`.
    pub fn new(pool: DbPool, currency: &str) -> Arc<Self> {
        Arc::new(Self {
            pool,
            currency: currency.to_owned(),
        })
    }
}

impl PersonalData for JobsData {
    fn sections(&self) -> &'static [&'static str] {
        &["jobs", "offers"]
    }

    fn export(&self, user: UserId) -> BoxFuture<'static, Result<Vec<Section>, ApiError>> {
        let (pool, currency) = (self.pool.clone(), self.currency.clone());
        Box::pin(async move {
            let (posted, made) = db::run(&pool, move |conn| {
                let posted: Vec<Job> = jobs::table
                    .filter(jobs::customer_id.eq(user.as_str()))
                    .order((jobs::created_at, jobs::id))
                    .select(Job::as_select())
                    .load(conn)?;
                let made: Vec<Offer> = offers::table
                    .filter(offers::provider_id.eq(user.as_str()))
                    .order((offers::created_at, offers::id))
                    .select(Offer::as_select())
                    .load(conn)?;
                Ok::<_, DbError>((posted, made))
            })
            .await?;
            let posted: Vec<JobResponse> = posted
                .iter()
                .map(|job| JobResponse::of(job, &currency, true))
                .collect();
            let made: Vec<OfferResponse> = made
                .iter()
                .map(|offer| OfferResponse::of(offer, &currency))
                .collect();
            Ok(vec![
                (
                    "jobs",
                    serde_json::to_value(posted).map_err(ApiError::internal)?,
                ),
                (
                    "offers",
                    serde_json::to_value(made).map_err(ApiError::internal)?,
                ),
            ])
        })
    }
}
