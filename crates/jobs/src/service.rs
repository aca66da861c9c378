//! The jobs crate's rules: who may see and change jobs and offers, the
//! job and offer state machines, and the estimate. Functions are
//! synchronous, take a connection and own their transactions (except the
//! `*_in` steps, which run inside the caller's).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use quickfix_jobs_contract::{AcceptOffer, AcceptedOffer};
use quickfix_shared::FieldError;
use quickfix_shared::auth::{AuthUser, Role};
use quickfix_shared::db::{self, DbConn, DbError};
use quickfix_shared::error::is_unique_violation;
use quickfix_shared::extract::is_slug;
use quickfix_shared::geo::{BoundingBox, Point, coarse};
use quickfix_shared::ids::{JobId, OfferId, UserId};
use quickfix_shared::pagination::{Cursor, Page, collect_filtered};

use crate::dto::{
    CreateCategoryRequest, CreateJobRequest, CreateOfferRequest, EstimateRequest, EstimateSource,
    JobStatus, OfferStatus, PriceRange, UpdateJobRequest,
};
use crate::error::JobsError;
use crate::models::{Category, Job, Offer};
use crate::repository::{self as repo, JobChangeset, JobFilter};

/// How far in the past `scheduled_for` may be (clock skew).
const SCHEDULE_GRACE: Duration = Duration::minutes(5);
/// Accepted offers an estimate looks at.
const ESTIMATE_SAMPLE: i64 = 500;
/// Fewer accepted offers than this and the estimate uses the fallback.
pub const ESTIMATE_MIN_SAMPLE: usize = 5;
/// Rows examined per batch when a `near` search filters by exact distance.
const NEAR_BATCH: i64 = 200;

fn now() -> NaiveDateTime {
    db::now()
}

fn search_text(title: &str, description: &str) -> String {
    format!("{} {}", title.to_lowercase(), description.to_lowercase())
}

/// Every category.
pub fn list_categories(conn: &mut DbConn) -> Result<Vec<Category>, JobsError> {
    Ok(repo::list_categories(conn)?)
}

/// Adds a category (admins).
pub fn create_category(
    conn: &mut DbConn,
    request: &CreateCategoryRequest,
) -> Result<Category, JobsError> {
    if !is_slug(&request.slug) {
        return Err(JobsError::invalid(
            "slug",
            "must be lower-case letters, digits and dashes",
        ));
    }
    let other = repo::find_category(conn, "other")?;
    let (low, median, high) = other.map_or((5000, 12000, 30000), |o| {
        (
            o.fallback_low_cents,
            o.fallback_median_cents,
            o.fallback_high_cents,
        )
    });
    let category = Category {
        slug: request.slug.clone(),
        name: request.name.trim().to_owned(),
        keywords: request
            .keywords
            .iter()
            .map(|k| k.trim().to_lowercase())
            .filter(|k| !k.is_empty() && !k.contains(','))
            .collect::<Vec<_>>()
            .join(","),
        fallback_low_cents: low,
        fallback_median_cents: median,
        fallback_high_cents: high,
        created_at: now(),
    };
    db::write_transaction(conn, |conn| {
        match diesel::Connection::transaction(conn, |conn| repo::insert_category(conn, &category)) {
            Ok(_) => Ok(category.clone()),
            Err(err) if is_unique_violation(&err) => Err(JobsError::CategoryExists),
            Err(err) => Err(err.into()),
        }
    })
}

fn check_category(
    conn: &mut DbConn,
    slug: &str,
    errors: &mut Vec<FieldError>,
) -> Result<(), JobsError> {
    if !is_slug(slug) || repo::find_category(conn, slug)?.is_none() {
        errors.push(FieldError::new(
            "category",
            "is not a known category (see GET /categories)",
        ));
    }
    Ok(())
}

fn check_schedule(when: Option<&DateTime<Utc>>, errors: &mut Vec<FieldError>) {
    if let Some(when) = when
        && *when < Utc::now() - SCHEDULE_GRACE
    {
        errors.push(FieldError::new("scheduled_for", "must not be in the past"));
    }
}

/// Posts a job for a customer.
pub fn create_job(
    conn: &mut DbConn,
    customer: &AuthUser,
    request: &CreateJobRequest,
) -> Result<Job, JobsError> {
    let mut errors = Vec::new();
    check_category(conn, &request.category, &mut errors)?;
    check_schedule(request.scheduled_for.as_ref(), &mut errors);
    if request.title.trim().is_empty() {
        errors.push(FieldError::new("title", "must not be blank"));
    }
    if !errors.is_empty() {
        return Err(JobsError::Validation(errors));
    }
    let at = now();
    let job = Job {
        id: JobId::generate().into_string(),
        customer_id: customer.id.to_string(),
        title: request.title.trim().to_owned(),
        description: request.description.clone(),
        search_text: search_text(request.title.trim(), &request.description),
        category: request.category.clone(),
        status: JobStatus::Open.as_str().to_owned(),
        budget_cents: request.budget_cents,
        address: request.location.address.trim().to_owned(),
        lat: request.location.lat,
        lng: request.location.lng,
        scheduled_for: request.scheduled_for.map(db::stored_time),
        offer_count: 0,
        accepted_offer_id: None,
        accepted_provider_id: None,
        created_at: at,
        updated_at: at,
        booking_id: None,
    };
    db::write_transaction(conn, |conn| {
        repo::insert_job(conn, &job)?;
        Ok(job.clone())
    })
}

/// Whether the viewer may see a job's exact address and coordinates: its
/// owner, admins, and the provider whose offer was accepted.
pub fn sees_precise_location(job: &Job, viewer: &AuthUser) -> bool {
    viewer.role == Role::Admin
        || job.customer_id == viewer.id.as_str()
        || job.accepted_provider_id.as_deref() == Some(viewer.id.as_str())
}

/// Whether the viewer may see a job at all: open jobs are public to every
/// user; other states only to the owner, admins and providers who offered.
fn can_see(conn: &mut DbConn, job: &Job, viewer: &AuthUser) -> Result<bool, JobsError> {
    if job.state() == Some(JobStatus::Open)
        || viewer.role == Role::Admin
        || job.customer_id == viewer.id.as_str()
    {
        return Ok(true);
    }
    Ok(viewer.role == Role::Provider && repo::has_offered(conn, &job.id, viewer.id.as_str())?)
}

/// A job the viewer may see; 404 otherwise.
pub fn get_job(conn: &mut DbConn, viewer: &AuthUser, id: &JobId) -> Result<Job, JobsError> {
    let job = repo::find_job(conn, id.as_str())?.ok_or(JobsError::NotFound("job"))?;
    if can_see(conn, &job, viewer)? {
        Ok(job)
    } else {
        Err(JobsError::NotFound("job"))
    }
}

/// A validated job list query.
#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    /// Category slug.
    pub category: Option<String>,
    /// Words in title or description.
    pub q: Option<String>,
    /// Center and radius.
    pub near: Option<(Point, f64)>,
    /// Lowest budget.
    pub min_budget_cents: Option<i64>,
    /// State.
    pub status: Option<JobStatus>,
}

/// The smallest `radius_km` for a caller who sees coarse locations only.
pub const COARSE_MIN_RADIUS_KM: f64 = 1.0;

/// How far a coarse point (2 decimals) lies from the exact one at most,
/// rounded up: half a hundredth of a degree each way is 0.79 km.
const COARSE_SHIFT_KM: f64 = 1.0;

/// The jobs a viewer lists: providers see open jobs, customers their own,
/// admins all. Newest first.
///
/// Providers see the listed jobs' coarse locations only (none of them is
/// theirs yet), so for them `near` decides on the coarse point and a radius
/// under [`COARSE_MIN_RADIUS_KM`] is 422: which jobs come back depends on
/// the coarse cells alone, and bisecting learns nothing finer.
pub fn list_jobs(
    conn: &mut DbConn,
    viewer: &AuthUser,
    query: &JobQuery,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<Job>, JobsError> {
    let coarse_only = viewer.role == Role::Provider;
    if coarse_only
        && query
            .near
            .is_some_and(|(_, radius)| radius < COARSE_MIN_RADIUS_KM)
    {
        return Err(JobsError::invalid(
            "radius_km",
            "must be at least 1 for callers who see coarse job locations",
        ));
    }
    let widen = if coarse_only { COARSE_SHIFT_KM } else { 0.0 };
    let mut filter = JobFilter {
        customer_id: None,
        status: query.status,
        category: query.category.clone(),
        q: query.q.as_ref().map(|q| q.trim().to_lowercase()),
        min_budget_cents: query.min_budget_cents,
        bbox: query
            .near
            .map(|(center, radius)| BoundingBox::around(center, radius + widen)),
    };
    match viewer.role {
        Role::Provider => {
            if filter.status.is_some_and(|s| s != JobStatus::Open) {
                return Err(JobsError::invalid(
                    "status",
                    "providers list open jobs only",
                ));
            }
            filter.status = Some(JobStatus::Open);
        }
        Role::Customer => filter.customer_id = Some(viewer.id.to_string()),
        Role::Admin => {}
    }
    let position = |j: &Job| Cursor::new(j.created_at, j.id.clone());
    let rows = match query.near {
        None => repo::list_jobs(conn, &filter, cursor, i64::from(limit) + 1)?,
        Some((center, radius)) => collect_filtered(
            cursor,
            limit,
            NEAR_BATCH,
            |after, n| repo::list_jobs(conn, &filter, after, n),
            position,
            |job| {
                let point = if coarse_only {
                    Point {
                        lat: coarse(job.lat),
                        lng: coarse(job.lng),
                    }
                } else {
                    Point {
                        lat: job.lat,
                        lng: job.lng,
                    }
                };
                (center.distance_km(&point) <= radius).then_some(job)
            },
        )?,
    };
    Ok(Page::from_rows(rows, limit, position, |j| j))
}

/// Changes an open job; only its owner may.
pub fn update_job(
    conn: &mut DbConn,
    viewer: &AuthUser,
    id: &JobId,
    request: &UpdateJobRequest,
) -> Result<Job, JobsError> {
    db::write_transaction(conn, |conn| {
        let job = get_job(conn, viewer, id)?;
        if job.customer_id != viewer.id.as_str() {
            return Err(JobsError::Forbidden("only the job's owner may change it"));
        }
        if job.state() != Some(JobStatus::Open) {
            return Err(JobsError::JobNotOpen);
        }
        let mut errors = Vec::new();
        let check_len = |errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize| {
            let n = value.trim().chars().count();
            if n == 0 || n > max {
                errors.push(FieldError::new(
                    field,
                    format!("must be 1 to {max} characters long"),
                ));
            }
        };
        if let Some(title) = &request.title {
            check_len(&mut errors, "title", title, 120);
        }
        if let Some(description) = &request.description {
            check_len(&mut errors, "description", description, 5000);
        }
        if let Some(category) = &request.category {
            check_category(conn, category, &mut errors)?;
        }
        if let Some(Some(budget)) = request.budget_cents
            && !(0..=100_000_000).contains(&budget)
        {
            errors.push(FieldError::new(
                "budget_cents",
                "must be between 0 and 100000000",
            ));
        }
        if let Some(location) = &request.location {
            check_len(&mut errors, "location.address", &location.address, 300);
            if !(-90.0..=90.0).contains(&location.lat) {
                errors.push(FieldError::new(
                    "location.lat",
                    "must be between -90 and 90",
                ));
            }
            if !(-180.0..=180.0).contains(&location.lng) {
                errors.push(FieldError::new(
                    "location.lng",
                    "must be between -180 and 180",
                ));
            }
        }
        if let Some(when) = &request.scheduled_for {
            check_schedule(when.as_ref(), &mut errors);
        }
        if !errors.is_empty() {
            return Err(JobsError::Validation(errors));
        }
        let title = request
            .title
            .as_deref()
            .map(str::trim)
            .unwrap_or(&job.title);
        let description = request.description.as_deref().unwrap_or(&job.description);
        let change = JobChangeset {
            title: request.title.as_ref().map(|t| t.trim().to_owned()),
            description: request.description.clone(),
            search_text: Some(search_text(title, description)),
            category: request.category.clone(),
            budget_cents: request.budget_cents,
            address: request
                .location
                .as_ref()
                .map(|l| l.address.trim().to_owned()),
            lat: request.location.as_ref().map(|l| l.lat),
            lng: request.location.as_ref().map(|l| l.lng),
            scheduled_for: request.scheduled_for.map(|w| w.map(db::stored_time)),
            updated_at: now(),
        };
        if repo::update_open_job(conn, id.as_str(), &change)? == 0 {
            return Err(JobsError::JobNotOpen);
        }
        repo::find_job(conn, id.as_str())?.ok_or(JobsError::NotFound("job"))
    })
}

/// A cancelled job and the providers whose pending offers were rejected.
#[derive(Debug, Clone)]
pub struct CancelledJob {
    /// The job as now stored.
    pub job: Job,
    /// Providers whose offers were rejected.
    pub provider_ids: Vec<String>,
}

/// Cancels an open job (its owner or an admin); pending offers are rejected.
pub fn cancel_job(
    conn: &mut DbConn,
    viewer: &AuthUser,
    id: &JobId,
) -> Result<CancelledJob, JobsError> {
    db::write_transaction(conn, |conn| {
        let job = get_job(conn, viewer, id)?;
        if job.customer_id != viewer.id.as_str() && viewer.role != Role::Admin {
            return Err(JobsError::Forbidden(
                "only the job's owner or an admin may cancel it",
            ));
        }
        let at = now();
        if repo::transition_job(conn, id.as_str(), JobStatus::Open, JobStatus::Cancelled, at)? == 0
        {
            return Err(JobsError::JobNotOpen);
        }
        let provider_ids = repo::reject_pending_offers(conn, id.as_str(), at)?;
        let job = repo::find_job(conn, id.as_str())?.ok_or(JobsError::NotFound("job"))?;
        Ok(CancelledJob { job, provider_ids })
    })
}

/// Makes an offer on an open job; a job in any other state is 409
/// `job_not_open`. One pending offer per provider per job:
/// the partial unique index decides, also under races.
pub fn create_offer(
    conn: &mut DbConn,
    provider: &AuthUser,
    job_id: &JobId,
    request: &CreateOfferRequest,
) -> Result<(Offer, Job), JobsError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        // One statement both checks that the job is open and locks it.
        let Some(job) = repo::bump_open_job(conn, job_id.as_str(), 1, at)? else {
            // Any provider who has the id of a job that is no longer open
            // learns only that: 409, as the contract says, rather than 404.
            return Err(match repo::find_job(conn, job_id.as_str())? {
                Some(_) => JobsError::JobNotOpen,
                None => JobsError::NotFound("job"),
            });
        };
        let offer = Offer {
            id: OfferId::generate().into_string(),
            job_id: job.id.clone(),
            provider_id: provider.id.to_string(),
            category: job.category.clone(),
            price_cents: request.price_cents,
            message: request.message.clone(),
            eta: request.eta.map(db::stored_time),
            status: OfferStatus::Pending.as_str().to_owned(),
            created_at: at,
            updated_at: at,
        };
        match repo::insert_offer(conn, &offer) {
            Ok(_) => Ok((offer, job)),
            Err(err) if is_unique_violation(&err) => Err(JobsError::OfferExists),
            Err(err) => Err(err.into()),
        }
    })
}

/// A job's offers as the viewer may see them: the owner and admins all, a
/// provider only its own; anyone else gets 404.
pub fn list_offers(
    conn: &mut DbConn,
    viewer: &AuthUser,
    job_id: &JobId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<Offer>, JobsError> {
    let job = get_job(conn, viewer, job_id)?;
    let only = match viewer.role {
        Role::Admin => None,
        Role::Customer if job.customer_id == viewer.id.as_str() => None,
        Role::Provider => Some(viewer.id.as_str()),
        Role::Customer => return Err(JobsError::NotFound("job")),
    };
    let rows = repo::list_offers(conn, job_id.as_str(), only, cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |o| Cursor::new(o.created_at, o.id.clone()),
        |o| o,
    ))
}

/// Withdraws the provider's own pending offer.
pub fn withdraw_offer(
    conn: &mut DbConn,
    provider: &AuthUser,
    job_id: &JobId,
    offer_id: &OfferId,
) -> Result<(Offer, Job), JobsError> {
    db::write_transaction(conn, |conn| {
        let offer = repo::find_offer(conn, job_id.as_str(), offer_id.as_str())?
            .filter(|o| o.provider_id == provider.id.as_str())
            .ok_or(JobsError::NotFound("offer"))?;
        let at = now();
        // The job row first, as accept does, so the two never deadlock. A
        // job that is not open has no pending offers.
        if repo::bump_offer_count_if_open(conn, job_id.as_str(), -1, at)? == 0 {
            return Err(JobsError::OfferNotPending);
        }
        let settled = repo::settle_pending_offer(
            conn,
            job_id.as_str(),
            offer_id.as_str(),
            Some(provider.id.as_str()),
            OfferStatus::Withdrawn,
            at,
        )?;
        if settled == 0 {
            return Err(JobsError::OfferNotPending);
        }
        let offer = Offer {
            status: OfferStatus::Withdrawn.as_str().to_owned(),
            updated_at: at,
            ..offer
        };
        let job = repo::find_job(conn, job_id.as_str())?.ok_or(JobsError::NotFound("job"))?;
        Ok((offer, job))
    })
}

/// Runs the [`AcceptOffer`] command in its own write transaction: books
/// the job, accepts the offer and rejects the job's other pending offers,
/// only if the job is still open and the customer's. Each step is a
/// conditional update, so of racing commands exactly one gets through; a
/// loser's error rolls its transaction back. The same command again (the
/// job already booked for the same booking id) answers the same acceptance,
/// without its rejected providers, who were told the first time; the flag
/// says whether this call accepted (`false` for such a replay).
pub fn accept_offer(
    conn: &mut DbConn,
    command: &AcceptOffer,
) -> Result<(AcceptedOffer, bool), JobsError> {
    db::write_transaction(conn, |conn| {
        let customer = AuthUser {
            id: command.customer_id.clone(),
            role: Role::Customer,
            session: String::new(),
        };
        let (job_id, offer_id) = (&command.job_id, &command.offer_id);
        let job = get_job(conn, &customer, job_id)?;
        if job.customer_id != customer.id.as_str() {
            return Err(JobsError::Forbidden(
                "only the job's owner may accept an offer",
            ));
        }
        let offer = repo::find_offer(conn, job_id.as_str(), offer_id.as_str())?
            .ok_or(JobsError::NotFound("offer"))?;
        let accepted = |rejected_provider_ids| AcceptedOffer {
            offer_id: offer_id.clone(),
            job_id: job_id.clone(),
            booking_id: command.booking_id.clone(),
            customer_id: command.customer_id.clone(),
            provider_id: UserId::from_db(offer.provider_id.clone()),
            price_cents: offer.price_cents,
            scheduled_for: job.scheduled_for.map(|t| t.and_utc()),
            rejected_provider_ids,
        };
        if job.booking_id.as_deref() == Some(command.booking_id.as_str())
            && job.accepted_offer_id.as_deref() == Some(offer_id.as_str())
        {
            return Ok((accepted(Vec::new()), false));
        }
        let at = now();
        if repo::book_job(conn, job_id.as_str(), command, &offer.provider_id, at)? == 0 {
            return Err(JobsError::JobNotOpen);
        }
        if repo::settle_pending_offer(
            conn,
            job_id.as_str(),
            offer_id.as_str(),
            None,
            OfferStatus::Accepted,
            at,
        )? == 0
        {
            return Err(JobsError::OfferNotPending);
        }
        let rejected = repo::reject_pending_offers(conn, job_id.as_str(), at)?;
        Ok((
            accepted(rejected.into_iter().map(UserId::from_db).collect()),
            true,
        ))
    })
}

/// Mirrors the end of a job's booking on the job (`booked` to `completed`
/// or `cancelled`); a job in another state is left alone, so a repeated
/// event changes nothing.
pub fn mirror_booking_end(
    conn: &mut DbConn,
    job_id: &JobId,
    to: JobStatus,
) -> Result<(), JobsError> {
    repo::transition_job(conn, job_id.as_str(), JobStatus::Booked, to, now())?;
    Ok(())
}

/// Jobs per state, for admin statistics.
pub fn count_jobs_by_status(conn: &mut DbConn) -> Result<HashMap<String, i64>, DbError> {
    Ok(repo::count_jobs_by_status(conn)?.into_iter().collect())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn category(slug: &str, keywords: &str) -> Category {
        Category {
            slug: slug.into(),
            name: slug.into(),
            keywords: keywords.into(),
            fallback_low_cents: 1,
            fallback_median_cents: 2,
            fallback_high_cents: 3,
            created_at: now(),
        }
    }

    #[test]
    fn the_category_with_most_keyword_hits_wins() {
        let categories = [
            category("plumbing", "leak,pipe,sink,faucet"),
            category("electrical", "outlet,wire,light"),
            category("other", ""),
        ];
        assert_eq!(
            guess_category(&categories, "My kitchen SINK has a leak"),
            "plumbing"
        );
        assert_eq!(
            guess_category(&categories, "Light by the sink flickers, wire loose"),
            "electrical"
        );
        assert_eq!(guess_category(&categories, "Walk my dog"), "other");
    }

    #[test]
    fn price_ranges_need_enough_samples() {
        assert_eq!(price_range(&[100, 200, 300, 400]), None);
        let range = price_range(&[500, 100, 400, 200, 300, 600, 700, 800]).expect("enough");
        assert_eq!(
            range,
            PriceRange {
                low: 200,
                median: 400,
                high: 600
            }
        );
    }

    #[test]
    fn precise_locations_are_for_owner_admin_and_the_accepted_provider() {
        use quickfix_shared::ids::UserId;
        let owner = AuthUser {
            id: UserId::generate(),
            role: Role::Customer,
            session: String::new(),
        };
        let winner = AuthUser {
            id: UserId::generate(),
            role: Role::Provider,
            session: String::new(),
        };
        let other = AuthUser {
            id: UserId::generate(),
            role: Role::Provider,
            session: String::new(),
        };
        let admin = AuthUser {
            id: UserId::generate(),
            role: Role::Admin,
            session: String::new(),
        };
        let stranger = AuthUser {
            id: UserId::generate(),
            role: Role::Customer,
            session: String::new(),
        };
        let job = Job {
            id: "j".into(),
            customer_id: owner.id.to_string(),
            title: String::new(),
            description: String::new(),
            search_text: String::new(),
            category: "other".into(),
            status: JobStatus::Booked.as_str().into(),
            budget_cents: None,
            address: "x".into(),
            lat: 1.23456,
            lng: 2.34567,
            scheduled_for: None,
            offer_count: 1,
            accepted_offer_id: Some("o".into()),
            accepted_provider_id: Some(winner.id.to_string()),
            created_at: now(),
            updated_at: now(),
            booking_id: None,
        };
        assert!(sees_precise_location(&job, &owner));
        assert!(sees_precise_location(&job, &winner));
        assert!(sees_precise_location(&job, &admin));
        assert!(!sees_precise_location(&job, &other));
        assert!(!sees_precise_location(&job, &stranger));
    }
}
