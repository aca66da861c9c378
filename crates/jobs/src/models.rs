//! Database rows of this crate's tables; `dto.rs` converts them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{categories, jobs, offer_rounds, offers};

/// A `categories` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = categories)]
#[diesel(treat_none_as_default_value = false)]
pub struct Category {
    /// Slug, the key.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Comma-separated words that suggest this category in an estimate.
    pub keywords: String,
    /// Estimate fallback, low.
    pub fallback_low_cents: i64,
    /// Estimate fallback, median.
    pub fallback_median_cents: i64,
    /// Estimate fallback, high.
    pub fallback_high_cents: i64,
    /// Created.
    pub created_at: NaiveDateTime,
}

/// A `jobs` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = jobs)]
#[diesel(treat_none_as_default_value = false)]
pub struct Job {
    /// Id.
    pub id: String,
    /// The customer who posted it.
    pub customer_id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Lower-cased title and description, for `q`.
    pub search_text: String,
    /// Category slug.
    pub category: String,
    /// `open`, `booked`, `completed`, `cancelled` or `expired`.
    pub status: String,
    /// Budget.
    pub budget_cents: Option<i64>,
    /// Exact address.
    pub address: String,
    /// Exact latitude.
    pub lat: f64,
    /// Exact longitude.
    pub lng: f64,
    /// When the work should happen.
    pub scheduled_for: Option<NaiveDateTime>,
    /// Offers made and not withdrawn.
    pub offer_count: i32,
    /// The accepted offer.
    pub accepted_offer_id: Option<String>,
    /// The provider of the accepted offer.
    pub accepted_provider_id: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// The booking the accepted offer became.
    pub booking_id: Option<String>,
    /// Hidden by an admin: out of every list, 404 to all but its owner
    /// and admins.
    pub hidden: bool,
}

impl Job {
    /// The stored state, typed (`None` only for a row no release wrote).
    pub fn state(&self) -> Option<crate::dto::JobStatus> {
        crate::dto::JobStatus::parse(&self.status)
    }
}

/// An `offers` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = offers)]
#[diesel(treat_none_as_default_value = false)]
pub struct Offer {
    /// Id.
    pub id: String,
    /// The job.
    pub job_id: String,
    /// The provider.
    pub provider_id: String,
    /// The job's category (for estimates).
    pub category: String,
    /// Price.
    pub price_cents: i64,
    /// The provider's message.
    pub message: String,
    /// When the provider can be there.
    pub eta: Option<NaiveDateTime>,
    /// `pending`, `countered`, `accepted`, `rejected`, `withdrawn` or
    /// `expired`.
    pub status: String,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed; while the offer is open, its last round.
    pub updated_at: NaiveDateTime,
    /// The owner's standing counter price while `countered`.
    pub counter_price_cents: Option<i64>,
    /// How many times the owner countered.
    pub counters: i32,
}

impl Offer {
    /// The stored state, typed (`None` only for a row no release wrote).
    pub fn state(&self) -> Option<crate::dto::OfferStatus> {
        crate::dto::OfferStatus::parse(&self.status)
    }
}

/// An `offer_rounds` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = offer_rounds)]
#[diesel(treat_none_as_default_value = false)]
pub struct OfferRound {
    /// The offer.
    pub offer_id: String,
    /// 0 for the opening offer, then one more per round.
    pub seq: i32,
    /// `provider` or `customer`.
    pub by_party: String,
    /// The price this round asks.
    pub price_cents: i64,
    /// Its note.
    pub message: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}
