//! A provider's catalog entries.

use super::*;

/// How a catalog service is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceUnit {
    /// Per hour.
    Hour,
    /// Per job.
    Job,
}

impl PriceUnit {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceUnit::Hour => "hour",
            PriceUnit::Job => "job",
        }
    }
}

/// `POST /providers/me/services` and `PUT /providers/me/services/{id}`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct CatalogServiceRequest {
    /// Title.
    #[schema(min_length = 1, max_length = 120)]
    #[schema(example = "Leak repair", min_length = 1, max_length = 120)]
    pub title: String,
    /// Description.
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub description: String,
    /// Category slug.
    #[schema(min_length = 1, max_length = 50)]
    #[schema(example = "plumbing")]
    pub category: String,
    /// Price in minor units.
    #[schema(minimum = 1, maximum = 100000000)]
    #[schema(minimum = 1, maximum = 100_000_000, example = 4500)]
    pub price_cents: i64,
    /// `hour` or `job`.
    pub unit: PriceUnit,
}

/// A service in a provider's catalog.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CatalogServiceResponse {
    /// Id.
    pub id: String,
    /// The provider.
    pub provider_id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Category slug.
    pub category: String,
    /// Price in minor units.
    pub price_cents: i64,
    /// `hour` or `job`.
    pub unit: PriceUnit,
    /// Currency.
    pub currency: String,
}

impl CatalogServiceResponse {
    /// The view of a catalog row.
    pub fn of(row: &ProviderService, currency: &str) -> Self {
        Self {
            id: row.id.clone(),
            provider_id: row.provider_id.clone(),
            title: row.title.clone(),
            description: row.description.clone(),
            category: row.category.clone(),
            price_cents: row.price_cents,
            unit: if row.unit == PriceUnit::Hour.as_str() {
                PriceUnit::Hour
            } else {
                PriceUnit::Job
            },
            currency: currency.to_owned(),
        }
    }
}
