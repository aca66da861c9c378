//! Request and response types of the jobs routes.

use chrono::{DateTime, Utc};
use quickfix_shared::extract::nullable;
use quickfix_shared::geo::coarse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::models::{Category, Job, Offer, OfferRound};

pub use quickfix_jobs_contract::{JobStatus, OfferStatus};

/// A category.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryResponse {
    /// Slug, used in jobs and filters.
    #[schema(example = "plumbing")]
    pub slug: String,
    /// Display name.
    #[schema(example = "Plumbing")]
    pub name: String,
}

impl From<&Category> for CategoryResponse {
    fn from(c: &Category) -> Self {
        Self {
            slug: c.slug.clone(),
            name: c.name.clone(),
        }
    }
}

/// `POST /categories` (admins).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct CreateCategoryRequest {
    /// Lower-case letters, digits and dashes.
    #[schema(min_length = 1, max_length = 50)]
    #[schema(example = "pest-control")]
    pub slug: String,
    /// Display name.
    #[schema(min_length = 1, max_length = 60)]
    #[schema(example = "Pest control")]
    pub name: String,
    /// Words that suggest this category in estimates.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub keywords: Vec<String>,
}

/// Where the work is, as given by the customer.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct LocationInput {
    /// The exact address.
    #[schema(min_length = 1, max_length = 300)]
    #[schema(example = "Rua Augusta 100, Lisboa")]
    pub address: String,
    /// Latitude, -90..90.
    #[schema(minimum = -90.0, maximum = 90.0)]
    #[schema(example = 38.7101)]
    pub lat: f64,
    /// Longitude, -180..180.
    #[schema(minimum = -180.0, maximum = 180.0)]
    #[schema(example = -9.1366)]
    pub lng: f64,
}

/// `POST /jobs`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct CreateJobRequest {
    /// Title.
    #[schema(min_length = 1, max_length = 120)]
    #[schema(example = "Kitchen sink leaks")]
    #[schema(pattern = "\\S")]
    pub title: String,
    /// What needs doing.
    #[schema(min_length = 1, max_length = 5000)]
    #[schema(example = "Water drips from the pipe under the sink.")]
    pub description: String,
    /// Category slug.
    #[schema(min_length = 1, max_length = 50)]
    #[schema(example = "plumbing")]
    pub category: String,
    /// Budget in minor units, 0..100000000.
    #[schema(minimum = 0, maximum = 100000000)]
    #[serde(default)]
    pub budget_cents: Option<i64>,
    /// Where.
    #[validate(nested)]
    pub location: LocationInput,
    /// When (RFC 3339); not in the past.
    #[serde(default)]
    #[schema(example = "2030-01-15T10:00:00Z")]
    pub scheduled_for: Option<DateTime<Utc>>,
}

/// `PATCH /jobs/{id}`: only the fields present change; `null` clears the
/// nullable ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateJobRequest {
    /// Title (1..120, not blank).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 120, pattern = "\\S")]
    pub title: Option<String>,
    /// Description (1..5000, not blank).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 5000, pattern = "\\S")]
    pub description: Option<String>,
    /// Category slug.
    #[serde(default)]
    pub category: Option<String>,
    /// Budget, or null.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub budget_cents: Option<Option<i64>>,
    /// Where.
    #[serde(default)]
    pub location: Option<LocationInput>,
    /// When, or null; not in the past.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>, example = "2030-01-15T10:00:00Z")]
    pub scheduled_for: Option<Option<DateTime<Utc>>>,
}

impl Validate for UpdateJobRequest {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

/// A job's location as the caller may see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobLocation {
    /// The exact address; null unless the caller is the owner, an admin or
    /// the provider whose offer was accepted.
    #[schema(required = true)]
    pub address: Option<String>,
    /// Latitude; rounded to 2 decimals for other callers.
    pub lat: f64,
    /// Longitude; rounded to 2 decimals for other callers.
    pub lng: f64,
}

/// A job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobResponse {
    /// Id.
    pub id: String,
    /// The customer who posted it.
    pub customer_id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Category slug.
    pub category: String,
    /// State.
    pub status: JobStatus,
    /// Budget.
    #[schema(required = true)]
    pub budget_cents: Option<i64>,
    /// Currency of money fields.
    pub currency: String,
    /// Where (see privacy).
    pub location: JobLocation,
    /// When.
    #[schema(required = true)]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Offers made and neither withdrawn nor expired.
    pub offer_count: i32,
    /// Hidden by an admin (only its owner and admins see it, and only by
    /// id).
    pub hidden: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl JobResponse {
    /// The view of a job; `precise` decides whether the exact address and
    /// coordinates are shown.
    pub fn of(job: &Job, currency: &str, precise: bool) -> Self {
        let location = if precise {
            JobLocation {
                address: Some(job.address.clone()),
                lat: job.lat,
                lng: job.lng,
            }
        } else {
            JobLocation {
                address: None,
                lat: coarse(job.lat),
                lng: coarse(job.lng),
            }
        };
        Self {
            id: job.id.clone(),
            customer_id: job.customer_id.clone(),
            title: job.title.clone(),
            description: job.description.clone(),
            category: job.category.clone(),
            status: JobStatus::parse(&job.status).unwrap_or(JobStatus::Open),
            budget_cents: job.budget_cents,
            currency: currency.to_owned(),
            location,
            scheduled_for: job.scheduled_for.map(|t| t.and_utc()),
            offer_count: job.offer_count,
            hidden: job.hidden,
            created_at: job.created_at.and_utc(),
            updated_at: job.updated_at.and_utc(),
        }
    }
}

/// `GET /jobs` filters. Providers see open jobs; customers their own;
/// admins all.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListJobsQuery {
    /// Category slug.
    pub category: Option<String>,
    /// Words in the title or description.
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    /// `lat,lng`: only jobs within `radius_km` of it. For providers, who see
    /// coarse locations only, the jobs' coarse points (2 decimals) decide.
    pub near: Option<String>,
    /// Radius for `near`, km (default 25); at least 1 for providers.
    pub radius_km: Option<f64>,
    /// Lowest budget.
    #[param(minimum = 0, maximum = 100000000)]
    pub min_budget_cents: Option<i64>,
    /// State (customers and admins; providers always see open jobs).
    pub status: Option<JobStatus>,
    /// Items per page, 1..100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `POST /jobs/{id}/offers`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct CreateOfferRequest {
    /// Price in minor units, 1..100000000.
    #[schema(minimum = 1, maximum = 100000000)]
    #[schema(example = 12000)]
    pub price_cents: i64,
    /// A note to the customer.
    #[schema(min_length = 1, max_length = 2000)]
    #[schema(example = "I can fix it this afternoon.")]
    pub message: String,
    /// When the provider can be there (RFC 3339).
    #[serde(default)]
    pub eta: Option<DateTime<Utc>>,
}

/// An offer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferResponse {
    /// Id.
    pub id: String,
    /// The job.
    pub job_id: String,
    /// The provider.
    pub provider_id: String,
    /// Price.
    pub price_cents: i64,
    /// Currency.
    pub currency: String,
    /// The provider's note.
    pub message: String,
    /// When the provider can be there.
    #[schema(required = true)]
    pub eta: Option<DateTime<Utc>>,
    /// State.
    pub status: OfferStatus,
    /// The owner's counter price while `countered`; null otherwise.
    #[schema(required = true, example = 10000)]
    pub counter_price_cents: Option<i64>,
    /// How many times the owner countered (at most `jobs.max_rounds`).
    #[schema(minimum = 0, example = 1)]
    pub counters: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed; while the offer is open, its last round (its time to
    /// live counts from here).
    pub updated_at: DateTime<Utc>,
}

impl OfferResponse {
    /// The view of an offer.
    pub fn of(offer: &Offer, currency: &str) -> Self {
        Self {
            id: offer.id.clone(),
            job_id: offer.job_id.clone(),
            provider_id: offer.provider_id.clone(),
            price_cents: offer.price_cents,
            currency: currency.to_owned(),
            message: offer.message.clone(),
            eta: offer.eta.map(|t| t.and_utc()),
            status: offer.state().unwrap_or(OfferStatus::Pending),
            counter_price_cents: offer.counter_price_cents,
            counters: offer.counters,
            created_at: offer.created_at.and_utc(),
            updated_at: offer.updated_at.and_utc(),
        }
    }
}

/// `POST /jobs/{id}/offers/{offer_id}/counter` (the owner) and `.../revise`
/// (the provider): a round of negotiation.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct OfferRoundRequest {
    /// The price this side asks, in minor units, 1..100000000.
    #[schema(minimum = 1, maximum = 100000000)]
    #[schema(example = 10000)]
    pub price_cents: i64,
    /// A note to the other side.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    #[schema(example = "Could you do it for 100?")]
    pub message: Option<String>,
}

/// Who made a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundParty {
    /// The offer's provider (the opening offer and each revision).
    Provider,
    /// The job's owner (each counter).
    Customer,
}

impl RoundParty {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundParty::Provider => "provider",
            RoundParty::Customer => "customer",
        }
    }
}

/// One round of an offer's negotiation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferRoundResponse {
    /// Who asked.
    pub by: RoundParty,
    /// The price asked.
    #[schema(example = 12000)]
    pub price_cents: i64,
    /// The note with it, if any (the opening offer always has one).
    #[schema(required = true)]
    pub message: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<&OfferRound> for OfferRoundResponse {
    fn from(round: &OfferRound) -> Self {
        Self {
            by: if round.by_party == RoundParty::Customer.as_str() {
                RoundParty::Customer
            } else {
                RoundParty::Provider
            },
            price_cents: round.price_cents,
            message: round.message.clone(),
            at: round.created_at.and_utc(),
        }
    }
}

/// An offer's rounds, oldest first, the provider's opening offer first (at
/// most `1 + 2 × jobs.max_rounds`, so all in one answer).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferRoundsResponse {
    /// The rounds.
    pub items: Vec<OfferRoundResponse>,
}

/// `POST /jobs/estimate`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct EstimateRequest {
    /// The job's title.
    #[schema(min_length = 1, max_length = 120)]
    #[schema(example = "Leaking kitchen tap")]
    pub title: String,
    /// The job's description.
    #[schema(min_length = 1, max_length = 5000)]
    #[schema(example = "Water drips from the tap under the kitchen sink.")]
    pub description: String,
}

/// Low, median and high prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PriceRange {
    /// The 25th percentile.
    pub low: i64,
    /// The median.
    pub median: i64,
    /// The 75th percentile.
    pub high: i64,
}

/// Where an estimate's prices come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EstimateSource {
    /// Accepted offers in the category.
    Offers,
    /// Too few accepted offers: the category's reference prices.
    Fallback,
}

/// A price estimate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EstimateResponse {
    /// The guessed category.
    pub category: String,
    /// Prices in minor units.
    pub price_cents: PriceRange,
    /// Currency.
    pub currency: String,
    /// Accepted offers the prices come from (0 with the fallback).
    pub sample_size: i64,
    /// Where the prices come from.
    pub source: EstimateSource,
}
