//! The jobs crate's part of a user's data export: the jobs they posted and
//! the offers they made, each with its rounds.

use std::sync::Arc;

use diesel::prelude::*;
use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::db::{self, DbError, DbPool};
use quickfix_shared::export::{PersonalData, Section};
use quickfix_shared::ids::UserId;

use crate::dto::{JobResponse, OfferResponse, OfferRoundResponse};
use crate::models::{Job, Offer, OfferRound};
use crate::repository as repo;
use crate::schema::{jobs, offers};

/// An offer with its negotiation, as exported.
#[derive(serde::Serialize)]
struct ExportedOffer {
    #[serde(flatten)]
    offer: OfferResponse,
    rounds: Vec<OfferRoundResponse>,
}

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
            let (posted, made, rounds) = db::run(&pool, move |conn| {
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
                let ids: Vec<String> = made.iter().map(|o| o.id.clone()).collect();
                let rounds = repo::rounds_of(conn, &ids)?;
                Ok::<_, DbError>((posted, made, rounds))
            })
            .await?;
            let mut rounds_by_offer: std::collections::HashMap<String, Vec<OfferRound>> =
                std::collections::HashMap::new();
            for round in rounds {
                rounds_by_offer
                    .entry(round.offer_id.clone())
                    .or_default()
                    .push(round);
            }
            let posted: Vec<JobResponse> = posted
                .iter()
                .map(|job| JobResponse::of(job, &currency, true))
                .collect();
            let made: Vec<ExportedOffer> = made
                .iter()
                .map(|offer| ExportedOffer {
                    offer: OfferResponse::of(offer, &currency),
                    rounds: rounds_by_offer
                        .get(&offer.id)
                        .map(|rounds| rounds.iter().map(OfferRoundResponse::from).collect())
                        .unwrap_or_default(),
                })
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
