//! Queries on this crate's tables. Each takes the connection first, so it
//! runs inside or outside the caller's transaction alike.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use quickfix_shared::db::{DbConn, MultiBackend, contains_pattern};
use quickfix_shared::geo::BoundingBox;
use quickfix_shared::pagination::Cursor;

use crate::dto::{JobStatus, OfferStatus};
use crate::models::{Category, Job, Offer, OfferRound};
use crate::schema::{categories, closed_accounts, jobs, offer_rounds, offers};

/// Every category, by slug.
pub fn list_categories(conn: &mut DbConn) -> QueryResult<Vec<Category>> {
    categories::table
        .select(Category::as_select())
        .order(categories::slug.asc())
        .load(conn)
}

/// A category by slug.
pub fn find_category(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Category>> {
    categories::table
        .find(slug)
        .select(Category::as_select())
        .first(conn)
        .optional()
}

/// Stores a category.
pub fn insert_category(conn: &mut DbConn, category: &Category) -> QueryResult<usize> {
    diesel::insert_into(categories::table)
        .values(category)
        .execute(conn)
}

/// Stores a job.
pub fn insert_job(conn: &mut DbConn, job: &Job) -> QueryResult<usize> {
    diesel::insert_into(jobs::table).values(job).execute(conn)
}

/// A job by id.
pub fn find_job(conn: &mut DbConn, id: &str) -> QueryResult<Option<Job>> {
    jobs::table
        .find(id)
        .select(Job::as_select())
        .first(conn)
        .optional()
}

/// The editable fields of a job.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = jobs)]
pub struct JobChangeset {
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Search text.
    pub search_text: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Budget.
    pub budget_cents: Option<Option<i64>>,
    /// Address.
    pub address: Option<String>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lng: Option<f64>,
    /// When.
    pub scheduled_for: Option<Option<NaiveDateTime>>,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// Applies a change to an open job; 0 rows when it is not open.
pub fn update_open_job(conn: &mut DbConn, id: &str, change: &JobChangeset) -> QueryResult<usize> {
    diesel::update(
        jobs::table
            .find(id)
            .filter(jobs::status.eq(JobStatus::Open.as_str())),
    )
    .set(change)
    .execute(conn)
}

/// Moves a job from one state to another; 0 rows when it was not in `from`.
/// The conditional update is what makes concurrent transitions safe.
pub fn transition_job(
    conn: &mut DbConn,
    id: &str,
    from: JobStatus,
    to: JobStatus,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(jobs::table.find(id).filter(jobs::status.eq(from.as_str())))
        .set((jobs::status.eq(to.as_str()), jobs::updated_at.eq(now)))
        .execute(conn)
}

/// Mirrors a booking's state on its job (`to`), unless the job is not
/// `booked`, `completed` or `cancelled` (only a booked job has booking
/// events; jobs booked before `booking_id` existed have none recorded, so
/// it is not required) or already mirrors a state as new as `version` (the
/// booking's `updated_at`); answers the rows changed.
pub fn mirror_booking(
    conn: &mut DbConn,
    id: &str,
    to: JobStatus,
    version: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let with_booking = [
        JobStatus::Booked,
        JobStatus::Completed,
        JobStatus::Cancelled,
    ];
    diesel::update(
        jobs::table
            .find(id)
            .filter(jobs::status.eq_any(with_booking.map(JobStatus::as_str)))
            .filter(
                jobs::booking_updated_at
                    .is_null()
                    .or(jobs::booking_updated_at.lt(version)),
            ),
    )
    .set((
        jobs::status.eq(to.as_str()),
        jobs::booking_updated_at.eq(version),
        jobs::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Hides a job.
pub fn hide_job(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(jobs::table.find(id))
        .set((jobs::hidden.eq(true), jobs::updated_at.eq(now)))
        .execute(conn)
}

/// What booking a job records.
#[derive(Debug, Clone, Copy)]
pub struct Booked<'a> {
    /// The accepted offer.
    pub offer_id: &'a str,
    /// Its provider.
    pub provider_id: &'a str,
    /// The booking it becomes.
    pub booking_id: &'a str,
}

/// Books an open job for an offer; 0 rows when the job is not open. On
/// PostgreSQL the update locks the job row until commit, so every accept
/// of the job's offers is serialised on it.
pub fn book_job(
    conn: &mut DbConn,
    id: &str,
    booked: Booked<'_>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        jobs::table
            .find(id)
            .filter(jobs::status.eq(JobStatus::Open.as_str())),
    )
    .set((
        jobs::status.eq(JobStatus::Booked.as_str()),
        jobs::accepted_offer_id.eq(booked.offer_id),
        jobs::accepted_provider_id.eq(booked.provider_id),
        jobs::booking_id.eq(booked.booking_id),
        jobs::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Adds `delta` to an open job's offer count and returns the job as now
/// stored; `None` when it is not open (or does not exist). Like
/// [`bump_offer_count_if_open`], it locks the job row until commit.
pub fn bump_open_job(
    conn: &mut DbConn,
    id: &str,
    delta: i32,
    now: NaiveDateTime,
) -> QueryResult<Option<Job>> {
    diesel::update(
        jobs::table
            .find(id)
            .filter(jobs::status.eq(JobStatus::Open.as_str())),
    )
    .set((
        jobs::offer_count.eq(jobs::offer_count + delta),
        jobs::updated_at.eq(now),
    ))
    .returning(<Job as Selectable<MultiBackend>>::construct_selection())
    .get_result(conn)
    .optional()
}

/// Adds `delta` to an open job's offer count; 0 rows when it is not open.
/// On PostgreSQL the update also locks the job row until commit, so offers
/// and accepts on one job are serialised.
pub fn bump_offer_count_if_open(
    conn: &mut DbConn,
    id: &str,
    delta: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        jobs::table
            .find(id)
            .filter(jobs::status.eq(JobStatus::Open.as_str())),
    )
    .set((
        jobs::offer_count.eq(jobs::offer_count + delta),
        jobs::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Filters of a job list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only this customer's jobs.
    pub customer_id: Option<String>,
    /// Only this state.
    pub status: Option<JobStatus>,
    /// Category slug.
    pub category: Option<String>,
    /// Lower-cased words in title or description.
    pub q: Option<String>,
    /// Lowest budget.
    pub min_budget_cents: Option<i64>,
    /// The prefilter box of a `near` search.
    pub bbox: Option<BoundingBox>,
}

/// Jobs newest first after `cursor`, at most `limit` rows.
pub fn list_jobs(
    conn: &mut DbConn,
    filter: &JobFilter,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<Job>> {
    let mut query = jobs::table
        .select(Job::as_select())
        .filter(jobs::hidden.eq(false))
        .into_boxed::<MultiBackend>();
    if let Some(customer) = &filter.customer_id {
        query = query.filter(jobs::customer_id.eq(customer.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(jobs::status.eq(status.as_str()));
    }
    if let Some(category) = &filter.category {
        query = query.filter(jobs::category.eq(category.clone()));
    }
    if let Some(q) = &filter.q {
        query = query.filter(jobs::search_text.like(contains_pattern(q)).escape('\\'));
    }
    if let Some(min) = filter.min_budget_cents {
        query = query.filter(jobs::budget_cents.ge(min));
    }
    if let Some(bbox) = &filter.bbox {
        query = query.filter(jobs::lat.between(bbox.min_lat, bbox.max_lat));
        match bbox.lng_ranges.as_slice() {
            [] => {}
            [(west, east)] => query = query.filter(jobs::lng.between(*west, *east)),
            [(w1, e1), (w2, e2), ..] => {
                query = query.filter(jobs::lng.between(*w1, *e1).or(jobs::lng.between(*w2, *e2)));
            }
        }
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            jobs::created_at.lt(cursor.at).or(jobs::created_at
                .eq(cursor.at)
                .and(jobs::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((jobs::created_at.desc(), jobs::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Jobs per state.
pub fn count_jobs_by_status(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    jobs::table
        .group_by(jobs::status)
        .select((jobs::status, diesel::dsl::count_star()))
        .load(conn)
}

/// Stores an offer.
pub fn insert_offer(conn: &mut DbConn, offer: &Offer) -> QueryResult<usize> {
    diesel::insert_into(offers::table)
        .values(offer)
        .execute(conn)
}

/// An offer of a job.
pub fn find_offer(conn: &mut DbConn, job_id: &str, offer_id: &str) -> QueryResult<Option<Offer>> {
    offers::table
        .find(offer_id)
        .filter(offers::job_id.eq(job_id))
        .select(Offer::as_select())
        .first(conn)
        .optional()
}

/// A job's offers newest first after `cursor`, optionally only one
/// provider's.
pub fn list_offers(
    conn: &mut DbConn,
    job_id: &str,
    provider_id: Option<&str>,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<Offer>> {
    let mut query = offers::table
        .select(Offer::as_select())
        .filter(offers::job_id.eq(job_id.to_owned()))
        .into_boxed::<MultiBackend>();
    if let Some(provider) = provider_id {
        query = query.filter(offers::provider_id.eq(provider.to_owned()));
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            offers::created_at.lt(cursor.at).or(offers::created_at
                .eq(cursor.at)
                .and(offers::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((offers::created_at.desc(), offers::id.desc()))
        .limit(limit)
        .load(conn)
}

/// The stored names of the open states.
fn open_states() -> [&'static str; 2] {
    OfferStatus::OPEN.map(OfferStatus::as_str)
}

/// Moves an open (pending or countered) offer to `to`, dropping its
/// counter; 0 rows when it was not open (or is not of this job, or not
/// this provider's when one is given).
pub fn settle_open_offer(
    conn: &mut DbConn,
    job_id: &str,
    offer_id: &str,
    provider_id: Option<&str>,
    to: OfferStatus,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut query = diesel::update(offers::table)
        .filter(offers::id.eq(offer_id.to_owned()))
        .filter(offers::job_id.eq(job_id.to_owned()))
        .filter(offers::status.eq_any(open_states()))
        .into_boxed();
    if let Some(provider) = provider_id {
        query = query.filter(offers::provider_id.eq(provider.to_owned()));
    }
    query
        .set((
            offers::status.eq(to.as_str()),
            offers::counter_price_cents.eq(None::<i64>),
            offers::updated_at.eq(now),
        ))
        .execute(conn)
}

/// The owner accepts an open offer at its price; `None` when it was not
/// open. Answers the offer as now stored (its price read in the same
/// statement, so a revision racing the accept cannot slip between).
pub fn accept_open_offer(
    conn: &mut DbConn,
    job_id: &str,
    offer_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Offer>> {
    diesel::update(
        offers::table
            .find(offer_id)
            .filter(offers::job_id.eq(job_id))
            .filter(offers::status.eq_any(open_states())),
    )
    .set((
        offers::status.eq(OfferStatus::Accepted.as_str()),
        offers::counter_price_cents.eq(None::<i64>),
        offers::updated_at.eq(now),
    ))
    .returning(<Offer as Selectable<MultiBackend>>::construct_selection())
    .get_result(conn)
    .optional()
}

/// The provider accepts the owner's counter: the counter price becomes the
/// offer's price; `None` when the offer is not countered or not theirs.
pub fn accept_counter(
    conn: &mut DbConn,
    job_id: &str,
    offer_id: &str,
    provider_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Offer>> {
    diesel::update(
        offers::table
            .find(offer_id)
            .filter(offers::job_id.eq(job_id))
            .filter(offers::provider_id.eq(provider_id))
            .filter(offers::status.eq(OfferStatus::Countered.as_str()))
            .filter(offers::counter_price_cents.is_not_null()),
    )
    .set((
        offers::status.eq(OfferStatus::Accepted.as_str()),
        offers::price_cents.eq(offers::counter_price_cents.assume_not_null()),
        offers::counter_price_cents.eq(None::<i64>),
        offers::updated_at.eq(now),
    ))
    .returning(<Offer as Selectable<MultiBackend>>::construct_selection())
    .get_result(conn)
    .optional()
}

/// The owner counters a pending offer with fewer than `max_counters`
/// counters; `None` when it is not pending or has had them all.
pub fn counter_offer(
    conn: &mut DbConn,
    job_id: &str,
    offer_id: &str,
    price_cents: i64,
    max_counters: i32,
    now: NaiveDateTime,
) -> QueryResult<Option<Offer>> {
    diesel::update(
        offers::table
            .find(offer_id)
            .filter(offers::job_id.eq(job_id))
            .filter(offers::status.eq(OfferStatus::Pending.as_str()))
            .filter(offers::counters.lt(max_counters)),
    )
    .set((
        offers::status.eq(OfferStatus::Countered.as_str()),
        offers::counter_price_cents.eq(Some(price_cents)),
        offers::counters.eq(offers::counters + 1),
        offers::updated_at.eq(now),
    ))
    .returning(<Offer as Selectable<MultiBackend>>::construct_selection())
    .get_result(conn)
    .optional()
}

/// The provider answers a counter with a new price: the offer is pending
/// again; `None` when it is not countered or not theirs.
pub fn revise_offer(
    conn: &mut DbConn,
    job_id: &str,
    offer_id: &str,
    provider_id: &str,
    price_cents: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<Offer>> {
    diesel::update(
        offers::table
            .find(offer_id)
            .filter(offers::job_id.eq(job_id))
            .filter(offers::provider_id.eq(provider_id))
            .filter(offers::status.eq(OfferStatus::Countered.as_str())),
    )
    .set((
        offers::status.eq(OfferStatus::Pending.as_str()),
        offers::price_cents.eq(price_cents),
        offers::counter_price_cents.eq(None::<i64>),
        offers::updated_at.eq(now),
    ))
    .returning(<Offer as Selectable<MultiBackend>>::construct_selection())
    .get_result(conn)
    .optional()
}

/// Expires an open offer whose last round is at or before `cutoff`; 0 rows
/// when it is not open or had a round since.
pub fn expire_offer(
    conn: &mut DbConn,
    offer_id: &str,
    cutoff: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        offers::table
            .find(offer_id)
            .filter(offers::status.eq_any(open_states()))
            .filter(offers::updated_at.le(cutoff)),
    )
    .set((
        offers::status.eq(OfferStatus::Expired.as_str()),
        offers::counter_price_cents.eq(None::<i64>),
        offers::updated_at.eq(now),
    ))
    .execute(conn)
}

/// An offer by id, whatever its job.
pub fn find_offer_by_id(conn: &mut DbConn, offer_id: &str) -> QueryResult<Option<Offer>> {
    offers::table
        .find(offer_id)
        .select(Offer::as_select())
        .first(conn)
        .optional()
}

/// Stores a round; its number is the offer's count of rounds so far (the
/// caller holds the offer's row, so rounds of one offer never race).
pub fn append_round(conn: &mut DbConn, round: &OfferRound) -> QueryResult<usize> {
    diesel::insert_into(offer_rounds::table)
        .values(round)
        .execute(conn)
}

/// How many rounds an offer has.
pub fn count_rounds(conn: &mut DbConn, offer_id: &str) -> QueryResult<i64> {
    offer_rounds::table
        .filter(offer_rounds::offer_id.eq(offer_id))
        .count()
        .get_result(conn)
}

/// An offer's rounds, oldest first.
pub fn list_rounds(conn: &mut DbConn, offer_id: &str) -> QueryResult<Vec<OfferRound>> {
    offer_rounds::table
        .filter(offer_rounds::offer_id.eq(offer_id))
        .order(offer_rounds::seq.asc())
        .select(OfferRound::as_select())
        .load(conn)
}

/// The rounds of several offers, each offer's oldest first.
pub fn rounds_of(conn: &mut DbConn, offer_ids: &[String]) -> QueryResult<Vec<OfferRound>> {
    offer_rounds::table
        .filter(offer_rounds::offer_id.eq_any(offer_ids))
        .order((offer_rounds::offer_id.asc(), offer_rounds::seq.asc()))
        .select(OfferRound::as_select())
        .load(conn)
}

/// Rejects every open offer of a job; returns their providers.
pub fn reject_open_offers(
    conn: &mut DbConn,
    job_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let providers = offers::table
        .filter(offers::job_id.eq(job_id))
        .filter(offers::status.eq_any(open_states()))
        .select(offers::provider_id)
        .load(conn)?;
    diesel::update(
        offers::table
            .filter(offers::job_id.eq(job_id))
            .filter(offers::status.eq_any(open_states())),
    )
    .set((
        offers::status.eq(OfferStatus::Rejected.as_str()),
        offers::counter_price_cents.eq(None::<i64>),
        offers::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(providers)
}

/// Open offers `(id, last round)`, for the expiry catch-up.
pub fn open_offers(conn: &mut DbConn) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    offers::table
        .filter(offers::status.eq_any(open_states()))
        .select((offers::id, offers::updated_at))
        .load(conn)
}

/// Open jobs `(id, created, planned)`, for the expiry catch-up.
pub fn open_jobs(
    conn: &mut DbConn,
) -> QueryResult<Vec<(String, NaiveDateTime, Option<NaiveDateTime>)>> {
    jobs::table
        .filter(jobs::status.eq(JobStatus::Open.as_str()))
        .select((jobs::id, jobs::created_at, jobs::scheduled_for))
        .load(conn)
}

/// Prices of the most recently accepted offers in a category.
pub fn accepted_prices(conn: &mut DbConn, category: &str, limit: i64) -> QueryResult<Vec<i64>> {
    offers::table
        .filter(offers::category.eq(category))
        .filter(offers::status.eq(OfferStatus::Accepted.as_str()))
        .order(offers::updated_at.desc())
        .limit(limit)
        .select(offers::price_cents)
        .load(conn)
}

/// Marks an account closed (again: no change, also when two closures of
/// one account race: the loser's insert fails in a savepoint).
pub fn close_account(conn: &mut DbConn, user: &str, now: NaiveDateTime) -> QueryResult<()> {
    let known = closed_accounts::table
        .find(user)
        .count()
        .get_result::<i64>(conn)?;
    if known > 0 {
        return Ok(());
    }
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(closed_accounts::table)
            .values((
                closed_accounts::user_id.eq(user),
                closed_accounts::closed_at.eq(now),
            ))
            .execute(conn)
    });
    match inserted {
        Err(err) if !quickfix_shared::error::is_unique_violation(&err) => Err(err),
        _ => Ok(()),
    }
}

/// Forgets an account's closure (its deletion failed after the check).
pub fn reopen_account(conn: &mut DbConn, user: &str) -> QueryResult<usize> {
    diesel::delete(closed_accounts::table.find(user)).execute(conn)
}

/// How many of `users` are closed.
pub fn count_closed(conn: &mut DbConn, users: &[&str]) -> QueryResult<i64> {
    closed_accounts::table
        .filter(closed_accounts::user_id.eq_any(users))
        .count()
        .get_result(conn)
}

/// Locks the user's open jobs and open offers (a no-op update), so an
/// accept of one of them waits for the caller's transaction, or the caller
/// for it.
pub fn lock_open_work(conn: &mut DbConn, user: &str) -> QueryResult<()> {
    diesel::update(
        jobs::table
            .filter(jobs::customer_id.eq(user))
            .filter(jobs::status.eq(JobStatus::Open.as_str())),
    )
    .set(jobs::updated_at.eq(jobs::updated_at))
    .execute(conn)?;
    diesel::update(
        offers::table
            .filter(offers::provider_id.eq(user))
            .filter(offers::status.eq_any(open_states())),
    )
    .set(offers::updated_at.eq(offers::updated_at))
    .execute(conn)?;
    Ok(())
}

/// How many booked jobs the user has, as customer or accepted provider.
pub fn count_booked(conn: &mut DbConn, user: &str) -> QueryResult<i64> {
    jobs::table
        .filter(jobs::status.eq(JobStatus::Booked.as_str()))
        .filter(
            jobs::customer_id
                .eq(user)
                .or(jobs::accepted_provider_id.eq(user)),
        )
        .count()
        .get_result(conn)
}

/// The user's open jobs' ids.
pub fn open_job_ids(conn: &mut DbConn, user: &str) -> QueryResult<Vec<String>> {
    jobs::table
        .filter(jobs::customer_id.eq(user))
        .filter(jobs::status.eq(JobStatus::Open.as_str()))
        .select(jobs::id)
        .load(conn)
}

/// The user's open offers, `(offer, job)`.
pub fn open_offer_ids(conn: &mut DbConn, user: &str) -> QueryResult<Vec<(String, String)>> {
    offers::table
        .filter(offers::provider_id.eq(user))
        .filter(offers::status.eq_any(open_states()))
        .select((offers::id, offers::job_id))
        .load(conn)
}
