//! The price estimate: a category guessed from the text, a range from
//! accepted offers (or the category's fallback).

use super::*;

/// The category whose keywords best match the text; `other` when none does.
pub fn guess_category(categories: &[Category], text: &str) -> String {
    let text = text.to_lowercase();
    categories
        .iter()
        .map(|c| {
            let score = c
                .keywords
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty() && text.contains(k))
                .count();
            (score, c)
        })
        .filter(|(score, _)| *score > 0)
        .max_by(|(a, ca), (b, cb)| a.cmp(b).then_with(|| cb.slug.cmp(&ca.slug)))
        .map_or_else(|| "other".to_owned(), |(_, c)| c.slug.clone())
}

/// The nearest-rank percentile of sorted prices.
fn percentile(sorted: &[i64], p: f64) -> i64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Low (25th percentile), median and high (75th) prices of `prices`, or
/// `None` when there are too few to mean anything.
pub fn price_range(prices: &[i64]) -> Option<PriceRange> {
    if prices.len() < ESTIMATE_MIN_SAMPLE {
        return None;
    }
    let mut sorted = prices.to_vec();
    sorted.sort_unstable();
    Some(PriceRange {
        low: percentile(&sorted, 0.25),
        median: percentile(&sorted, 0.5),
        high: percentile(&sorted, 0.75),
    })
}

/// An estimate: the guessed category and prices.
#[derive(Debug, Clone)]
pub struct Estimate {
    /// Guessed category.
    pub category: String,
    /// Prices.
    pub prices: PriceRange,
    /// Accepted offers used.
    pub sample_size: i64,
    /// Where the prices come from.
    pub source: EstimateSource,
}

/// Guesses the category of a job description and prices it from recent
/// accepted offers in that category, or from the category's reference
/// prices when there are fewer than [`ESTIMATE_MIN_SAMPLE`]. Works offline.
pub fn estimate(conn: &mut DbConn, request: &EstimateRequest) -> Result<Estimate, JobsError> {
    let categories = repo::list_categories(conn)?;
    let slug = guess_category(
        &categories,
        &format!("{} {}", request.title, request.description),
    );
    let prices = repo::accepted_prices(conn, &slug, ESTIMATE_SAMPLE)?;
    if let Some(range) = price_range(&prices) {
        return Ok(Estimate {
            category: slug,
            prices: range,
            sample_size: prices.len() as i64,
            source: EstimateSource::Offers,
        });
    }
    let category = categories.iter().find(|c| c.slug == slug);
    let prices = category.map_or(
        PriceRange {
            low: 5000,
            median: 12000,
            high: 30000,
        },
        |c| PriceRange {
            low: c.fallback_low_cents,
            median: c.fallback_median_cents,
            high: c.fallback_high_cents,
        },
    );
    Ok(Estimate {
        category: slug,
        prices,
        sample_size: 0,
        source: EstimateSource::Fallback,
    })
}
