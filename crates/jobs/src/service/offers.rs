//! Offers on a job: made, listed, countered and revised, withdrawn,
//! expired, and the accept command.

use super::*;

/// The scheduler's kind of the task that expires an open offer whose last
/// round went unanswered (subject: the offer).
pub const OFFER_EXPIRE_TASK: &str = "offer.expire";

/// Makes an offer on an open job; a job in any other state is 409
/// `job_not_open`. One open (pending or countered) offer per provider per
/// job: the partial unique index decides, also under races. The offer is
/// its opening round, and its expiry is scheduled.
pub fn create_offer(
    conn: &mut DbConn,
    provider: &AuthUser,
    job_id: &JobId,
    request: &CreateOfferRequest,
    rules: &JobRules,
    blockers: &HashSet<UserId>,
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
        if job.hidden {
            return Err(JobsError::NotFound("job"));
        }
        if blockers.contains(&UserId::from_db(job.customer_id.clone())) {
            // The count went up with the job's lock; it goes back with the
            // transaction.
            return Err(JobsError::Blocked);
        }
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
            counter_price_cents: None,
            counters: 0,
        };
        match repo::insert_offer(conn, &offer) {
            Ok(_) => {}
            Err(err) if is_unique_violation(&err) => return Err(JobsError::OfferExists),
            Err(err) => return Err(err.into()),
        }
        // A new offer's first round: its number is known, nothing to count.
        store_round(
            conn,
            &offer.id,
            0,
            RoundParty::Provider,
            offer.price_cents,
            Some(&offer.message),
            at,
        )?;
        tasks::schedule_new(conn, OFFER_EXPIRE_TASK, &offer.id, at + rules.offer_ttl)?;
        ensure_open_accounts(conn, &[provider.id.as_str()])?;
        Ok((offer, job))
    })
}

/// Stores the next round of an offer (the caller holds its row).
fn record_round(
    conn: &mut DbConn,
    offer_id: &str,
    by: RoundParty,
    price_cents: i64,
    message: Option<&str>,
    at: NaiveDateTime,
) -> Result<(), JobsError> {
    let seq = i32::try_from(repo::count_rounds(conn, offer_id)?).unwrap_or(i32::MAX);
    store_round(conn, offer_id, seq, by, price_cents, message, at)
}

/// Stores round `seq` of an offer.
fn store_round(
    conn: &mut DbConn,
    offer_id: &str,
    seq: i32,
    by: RoundParty,
    price_cents: i64,
    message: Option<&str>,
    at: NaiveDateTime,
) -> Result<(), JobsError> {
    repo::append_round(
        conn,
        &OfferRound {
            offer_id: offer_id.to_owned(),
            seq,
            by_party: by.as_str().to_owned(),
            price_cents,
            message: message.map(str::to_owned),
            created_at: at,
        },
    )?;
    Ok(())
}

/// The job's owner answers a pending offer with a price of their own: the
/// offer becomes `countered`, keeping the provider's price, and its time
/// to live starts again. Not the owner: 403; another state: 409
/// `offer_not_pending`; after `max_rounds` counters: 409
/// `too_many_rounds`.
pub fn counter_offer(
    conn: &mut DbConn,
    owner: &AuthUser,
    job_id: &JobId,
    offer_id: &OfferId,
    request: &OfferRoundRequest,
    rules: &JobRules,
) -> Result<(Offer, Job), JobsError> {
    db::write_transaction(conn, |conn| {
        let job = get_job(conn, job_id)?;
        if job.customer_id != owner.id.as_str() {
            return Err(JobsError::Forbidden("only the job's owner may counter"));
        }
        let at = now();
        let Some(offer) = repo::counter_offer(
            conn,
            job_id.as_str(),
            offer_id.as_str(),
            request.price_cents,
            rules.max_rounds,
            at,
        )?
        else {
            let offer = repo::find_offer(conn, job_id.as_str(), offer_id.as_str())?
                .ok_or(JobsError::NotFound("offer"))?;
            return Err(if offer.state() == Some(OfferStatus::Pending) {
                JobsError::TooManyRounds(rules.max_rounds)
            } else {
                JobsError::OfferNotPending
            });
        };
        record_round(
            conn,
            &offer.id,
            RoundParty::Customer,
            request.price_cents,
            request.message.as_deref(),
            at,
        )?;
        tasks::schedule(conn, OFFER_EXPIRE_TASK, &offer.id, at + rules.offer_ttl)?;
        Ok((offer, job))
    })
}

/// The offer's provider answers a counter with a new price: the offer is
/// `pending` again at that price and its time to live starts again. Not
/// their offer: 404; not countered: 409 `offer_not_pending`.
pub fn revise_offer(
    conn: &mut DbConn,
    provider: &AuthUser,
    job_id: &JobId,
    offer_id: &OfferId,
    request: &OfferRoundRequest,
    rules: &JobRules,
) -> Result<(Offer, Job), JobsError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        let Some(offer) = repo::revise_offer(
            conn,
            job_id.as_str(),
            offer_id.as_str(),
            provider.id.as_str(),
            request.price_cents,
            at,
        )?
        else {
            repo::find_offer(conn, job_id.as_str(), offer_id.as_str())?
                .filter(|o| o.provider_id == provider.id.as_str())
                .ok_or(JobsError::NotFound("offer"))?;
            return Err(JobsError::OfferNotPending);
        };
        record_round(
            conn,
            &offer.id,
            RoundParty::Provider,
            request.price_cents,
            request.message.as_deref(),
            at,
        )?;
        tasks::schedule(conn, OFFER_EXPIRE_TASK, &offer.id, at + rules.offer_ttl)?;
        let job = repo::find_job(conn, job_id.as_str())?.ok_or(JobsError::NotFound("job"))?;
        Ok((offer, job))
    })
}

/// An offer's rounds, oldest first: for the job's owner, the offer's
/// provider and admins; anyone else: 404.
pub fn offer_rounds(
    conn: &mut DbConn,
    viewer: &AuthUser,
    job_id: &JobId,
    offer_id: &OfferId,
) -> Result<Vec<OfferRound>, JobsError> {
    let offer = repo::find_offer(conn, job_id.as_str(), offer_id.as_str())?
        .ok_or(JobsError::NotFound("offer"))?;
    let sees = viewer.role == Role::Admin
        || offer.provider_id == viewer.id.as_str()
        || repo::find_job(conn, job_id.as_str())?
            .is_some_and(|job| job.customer_id == viewer.id.as_str());
    if !sees {
        return Err(JobsError::NotFound("offer"));
    }
    Ok(repo::list_rounds(conn, offer_id.as_str())?)
}

/// Expires an open offer whose last round is at least `ttl` old (the
/// expiry task); answers it with its job, or `None` when it is no longer
/// open. One still open but answered since is scheduled again for its new
/// time. The job row is taken first, as accept and withdraw take them.
pub fn expire_offer(
    conn: &mut DbConn,
    offer_id: &str,
    ttl: Duration,
) -> Result<Option<(Offer, Job)>, JobsError> {
    let expired = db::write_transaction(conn, |conn| {
        let at = now();
        let Some(offer) = repo::find_offer_by_id(conn, offer_id)? else {
            return Ok(None);
        };
        if !offer
            .state()
            .is_some_and(|s| OfferStatus::OPEN.contains(&s))
        {
            return Ok(None);
        }
        if offer.updated_at + ttl > at {
            tasks::schedule(conn, OFFER_EXPIRE_TASK, offer_id, offer.updated_at + ttl)?;
            return Ok(None);
        }
        if repo::bump_offer_count_if_open(conn, &offer.job_id, -1, at)? == 0 {
            return Ok(None);
        }
        if repo::expire_offer(conn, offer_id, at - ttl, at)? == 0 {
            // Answered or taken meanwhile: the count goes back with the
            // transaction.
            return Err(JobsError::OfferNotPending);
        }
        let job = repo::find_job(conn, &offer.job_id)?.ok_or(JobsError::NotFound("job"))?;
        let offer = Offer {
            status: OfferStatus::Expired.as_str().to_owned(),
            counter_price_cents: None,
            updated_at: at,
            ..offer
        };
        Ok(Some((offer, job)))
    });
    match expired {
        Err(JobsError::OfferNotPending) => Ok(None),
        other => other,
    }
}

/// A job's offers as the viewer may see them: the owner and admins all, a
/// provider only its own; another customer, who may see the job but not
/// its offers, gets 403.
pub fn list_offers(
    conn: &mut DbConn,
    viewer: &AuthUser,
    job_id: &JobId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<Offer>, JobsError> {
    let job = get_job(conn, job_id)?;
    let only = match viewer.role {
        Role::Admin => None,
        Role::Customer if job.customer_id == viewer.id.as_str() => None,
        Role::Provider => Some(viewer.id.as_str()),
        Role::Customer => {
            return Err(JobsError::Forbidden("only the job's owner sees its offers"));
        }
    };
    let rows = repo::list_offers(conn, job_id.as_str(), only, cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |o| Cursor::new(o.created_at, o.id.clone()),
        |o| o,
    ))
}

/// Withdraws the provider's own open (pending or countered) offer.
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
        // job that is not open has no open offers.
        if repo::bump_offer_count_if_open(conn, job_id.as_str(), -1, at)? == 0 {
            return Err(JobsError::OfferNotPending);
        }
        let settled = repo::settle_open_offer(
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
            counter_price_cents: None,
            updated_at: at,
            ..offer
        };
        let job = repo::find_job(conn, job_id.as_str())?.ok_or(JobsError::NotFound("job"))?;
        Ok((offer, job))
    })
}

/// Runs the [`AcceptOffer`] command in its own write transaction: books
/// the job, accepts the offer and rejects the job's other open offers,
/// only if the job is still open. The owner accepts a pending or
/// countered offer at its price; the provider a countered one at the
/// counter price. Each step is a conditional update (the job's row first,
/// so on PostgreSQL every accept of one job's offers queues on it), so of
/// racing commands, by either party on any offer of the job, exactly one
/// gets through; a loser's error rolls its transaction back. The same
/// command again (the job already booked for the same booking id) answers
/// the same acceptance, without its rejected providers, who were told the
/// first time; the flag says whether this call accepted (`false` for such
/// a replay).
pub fn accept_offer(
    conn: &mut DbConn,
    command: &AcceptOffer,
) -> Result<(AcceptedOffer, bool), JobsError> {
    db::write_transaction(conn, |conn| {
        let (job_id, offer_id) = (&command.job_id, &command.offer_id);
        let job = get_job(conn, job_id)?;
        let offer = repo::find_offer(conn, job_id.as_str(), offer_id.as_str())?
            .ok_or(JobsError::NotFound("offer"))?;
        match &command.by {
            Acceptor::Customer(customer) if job.customer_id != customer.as_str() => {
                return Err(JobsError::Forbidden(
                    "only the job's owner may accept an offer",
                ));
            }
            Acceptor::Provider(provider) if offer.provider_id != provider.as_str() => {
                return Err(JobsError::NotFound("offer"));
            }
            _ => {}
        }
        let customer_id = UserId::from_db(job.customer_id.clone());
        let accepted = |price_cents, rejected_provider_ids| AcceptedOffer {
            offer_id: offer_id.clone(),
            job_id: job_id.clone(),
            booking_id: command.booking_id.clone(),
            customer_id: customer_id.clone(),
            provider_id: UserId::from_db(offer.provider_id.clone()),
            price_cents,
            scheduled_for: job.scheduled_for.map(|t| t.and_utc()),
            rejected_provider_ids,
        };
        if job.booking_id.as_deref() == Some(command.booking_id.as_str())
            && job.accepted_offer_id.as_deref() == Some(offer_id.as_str())
        {
            return Ok((accepted(offer.price_cents, Vec::new()), false));
        }
        let at = now();
        let booked = repo::Booked {
            offer_id: offer_id.as_str(),
            provider_id: &offer.provider_id,
            booking_id: command.booking_id.as_str(),
        };
        if repo::book_job(conn, job_id.as_str(), booked, at)? == 0 {
            return Err(JobsError::JobNotOpen);
        }
        let taken = match &command.by {
            Acceptor::Customer(_) => {
                repo::accept_open_offer(conn, job_id.as_str(), offer_id.as_str(), at)?
            }
            Acceptor::Provider(provider) => repo::accept_counter(
                conn,
                job_id.as_str(),
                offer_id.as_str(),
                provider.as_str(),
                at,
            )?,
        };
        let taken = taken.ok_or(JobsError::OfferNotPending)?;
        tasks::cancel(conn, OFFER_EXPIRE_TASK, offer_id.as_str())?;
        let rejected = repo::reject_open_offers(conn, job_id.as_str(), at)?;
        // Last, after the rows are taken: a deletion racing this accept
        // either marked its account before (refused here) or sees the
        // booked job and refuses itself.
        ensure_open_accounts(conn, &[&job.customer_id, &offer.provider_id])?;
        Ok((
            accepted(
                taken.price_cents,
                rejected.into_iter().map(UserId::from_db).collect(),
            ),
            true,
        ))
    })
}
