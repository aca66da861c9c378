//! Jobs: posted, seen (exact or coarse location), listed and filtered,
//! edited, cancelled, and the mirror of their booking's end.

use super::*;

fn check_schedule(when: Option<&DateTime<Utc>>, errors: &mut Vec<FieldError>) {
    if let Some(when) = when
        && *when < Utc::now() - SCHEDULE_GRACE
    {
        errors.push(FieldError::new("scheduled_for", "must not be in the past"));
    }
}

/// The scheduler's kind of the task that expires an open job (subject:
/// the job).
pub const JOB_EXPIRE_TASK: &str = "job.expire";

/// Posts a job for a customer, with its expiry scheduled.
pub fn create_job(
    conn: &mut DbConn,
    customer: &AuthUser,
    request: &CreateJobRequest,
    rules: &JobRules,
) -> Result<Job, JobsError> {
    let mut errors = Vec::new();
    check_schedule(request.scheduled_for.as_ref(), &mut errors);
    if quickfix_shared::text::is_blank(&request.title) {
        errors.push(FieldError::new("title", "must not be blank"));
    }
    if !errors.is_empty() || !is_slug(&request.category) {
        check_category(conn, &request.category, &mut errors)?;
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
        hidden: false,
    };
    // The category's foreign key is its check on the valid path: one
    // statement fewer than asking first.
    db::write_transaction(conn, |conn| {
        repo::insert_job(conn, &job).map_err(|err| {
            if is_foreign_key_violation(&err) {
                JobsError::Validation(vec![unknown_category()])
            } else {
                JobsError::from(err)
            }
        })?;
        tasks::schedule_new(
            conn,
            JOB_EXPIRE_TASK,
            &job.id,
            rules.job_expires_at(job.created_at, job.scheduled_for),
        )?;
        ensure_open_accounts(conn, &[customer.id.as_str()])?;
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

/// A job, which every signed-in user may see (with the location redacted
/// as [`sees_precise_location`] says); 404 when there is none.
pub fn get_job(conn: &mut DbConn, id: &JobId) -> Result<Job, JobsError> {
    repo::find_job(conn, id.as_str())?.ok_or(JobsError::NotFound("job"))
}

/// A job as `viewer` may see it: a hidden job is 404 to all but its owner
/// and admins.
pub fn visible_job(conn: &mut DbConn, id: &JobId, viewer: &AuthUser) -> Result<Job, JobsError> {
    let job = get_job(conn, id)?;
    if job.hidden && viewer.role != Role::Admin && job.customer_id != viewer.id.as_str() {
        return Err(JobsError::NotFound("job"));
    }
    Ok(job)
}

/// Hides a job (an admin, on a report), in the modlog; answers whether it
/// exists. Hiding twice is harmless (logged once).
pub fn hide_job(conn: &mut DbConn, id: &str, admin: &str, reason: &str) -> Result<bool, JobsError> {
    db::write_transaction(conn, |conn| {
        let Some(job) = repo::find_job(conn, id)? else {
            return Ok(false);
        };
        if !job.hidden {
            repo::hide_job(conn, id, now())?;
            quickfix_shared::modlog::record(
                conn,
                &quickfix_shared::modlog::ModEntry {
                    actor_id: admin,
                    action: quickfix_shared::modlog::ModAction::HideContent,
                    target_kind: "job",
                    target_id: id,
                    reason: Some(reason),
                },
            )?;
        }
        Ok(true)
    })
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
            // A provider lists open jobs: another status filters them all out.
            if filter.status.is_some_and(|s| s != JobStatus::Open) {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
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

/// Changes an open job; only its owner may. A new planned time moves the
/// job's expiry.
pub fn update_job(
    conn: &mut DbConn,
    viewer: &AuthUser,
    id: &JobId,
    request: &UpdateJobRequest,
    rules: &JobRules,
) -> Result<Job, JobsError> {
    db::write_transaction(conn, |conn| {
        let job = get_job(conn, id)?;
        if job.customer_id != viewer.id.as_str() {
            return Err(JobsError::Forbidden("only the job's owner may change it"));
        }
        if job.state() != Some(JobStatus::Open) {
            return Err(JobsError::JobNotOpen);
        }
        let mut errors = Vec::new();
        let check_len = |errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize| {
            let n = value.chars().count();
            if n == 0 || n > max {
                errors.push(FieldError::new(
                    field,
                    format!("must be 1 to {max} characters long"),
                ));
            } else if quickfix_shared::text::is_blank(value) {
                errors.push(FieldError::new(field, "must not be blank"));
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
        let job = repo::find_job(conn, id.as_str())?.ok_or(JobsError::NotFound("job"))?;
        if request.scheduled_for.is_some() {
            tasks::schedule(
                conn,
                JOB_EXPIRE_TASK,
                &job.id,
                rules.job_expires_at(job.created_at, job.scheduled_for),
            )?;
        }
        Ok(job)
    })
}

/// A cancelled or expired job and the providers whose open offers were
/// rejected.
#[derive(Debug, Clone)]
pub struct EndedJob {
    /// The job as now stored.
    pub job: Job,
    /// Providers whose offers were rejected.
    pub provider_ids: Vec<String>,
}

/// Cancels an open job (its owner or an admin); open offers are rejected.
pub fn cancel_job(conn: &mut DbConn, viewer: &AuthUser, id: &JobId) -> Result<EndedJob, JobsError> {
    db::write_transaction(conn, |conn| {
        let job = get_job(conn, id)?;
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
        let provider_ids = repo::reject_open_offers(conn, id.as_str(), at)?;
        tasks::cancel(conn, JOB_EXPIRE_TASK, id.as_str())?;
        let job = repo::find_job(conn, id.as_str())?.ok_or(JobsError::NotFound("job"))?;
        Ok(EndedJob { job, provider_ids })
    })
}

/// Expires an open job whose time is up by `rules` (the expiry task): its
/// open offers are rejected. `None` when it is no longer open; one still
/// open whose time moved (a new planned time, a longer `open_ttl`) is
/// scheduled again for it.
pub fn expire_job(
    conn: &mut DbConn,
    id: &str,
    rules: &JobRules,
) -> Result<Option<EndedJob>, JobsError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        let Some(job) = repo::find_job(conn, id)? else {
            return Ok(None);
        };
        if job.state() != Some(JobStatus::Open) {
            return Ok(None);
        }
        let due = rules.job_expires_at(job.created_at, job.scheduled_for);
        if due > at {
            tasks::schedule(conn, JOB_EXPIRE_TASK, id, due)?;
            return Ok(None);
        }
        if repo::transition_job(conn, id, JobStatus::Open, JobStatus::Expired, at)? == 0 {
            return Ok(None);
        }
        let provider_ids = repo::reject_open_offers(conn, id, at)?;
        let job = repo::find_job(conn, id)?.ok_or(JobsError::NotFound("job"))?;
        Ok(Some(EndedJob { job, provider_ids }))
    })
}

/// Schedules the expiry of every open job and open offer that has no
/// waiting task (at start: work from before the scheduler, or whose task a
/// restore lost); answers how many it scheduled.
pub fn schedule_missing_expiries(conn: &mut DbConn, rules: &JobRules) -> Result<usize, JobsError> {
    db::write_transaction(conn, |conn| {
        let mut scheduled = 0;
        let waiting = tasks::waiting_subjects(conn, JOB_EXPIRE_TASK)?;
        for (job, created_at, planned) in repo::open_jobs(conn)? {
            if !waiting.contains(&job) {
                tasks::schedule(
                    conn,
                    JOB_EXPIRE_TASK,
                    &job,
                    rules.job_expires_at(created_at, planned),
                )?;
                scheduled += 1;
            }
        }
        let waiting = tasks::waiting_subjects(conn, OFFER_EXPIRE_TASK)?;
        for (offer, last_round) in repo::open_offers(conn)? {
            if !waiting.contains(&offer) {
                tasks::schedule(
                    conn,
                    OFFER_EXPIRE_TASK,
                    &offer,
                    last_round + rules.offer_ttl,
                )?;
                scheduled += 1;
            }
        }
        Ok(scheduled)
    })
}

/// Mirrors a job's booking on the job: `booked` while the booking is
/// confirmed, in progress or disputed, `completed` or `cancelled` as it
/// ends. A state older than the one mirrored (`version`, the booking's
/// `updated_at`) changes nothing, so repeated and reordered events leave
/// the newest.
pub fn mirror_booking(
    conn: &mut DbConn,
    job_id: &JobId,
    booking: quickfix_bookings_contract::BookingStatus,
    version: NaiveDateTime,
) -> Result<(), JobsError> {
    use quickfix_bookings_contract::BookingStatus;
    let to = match booking {
        BookingStatus::Confirmed | BookingStatus::InProgress | BookingStatus::Disputed => {
            JobStatus::Booked
        }
        BookingStatus::Completed => JobStatus::Completed,
        BookingStatus::Cancelled => JobStatus::Cancelled,
    };
    repo::mirror_booking(conn, job_id.as_str(), to, version, now())?;
    Ok(())
}

/// Jobs per state, for admin statistics.
pub fn count_jobs_by_status(conn: &mut DbConn) -> Result<HashMap<String, i64>, DbError> {
    Ok(repo::count_jobs_by_status(conn)?.into_iter().collect())
}
