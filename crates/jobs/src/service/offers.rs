//! Offers on a job: made, listed, withdrawn, and the accept command.

use super::*;

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
            Ok(_) => {}
            Err(err) if is_unique_violation(&err) => return Err(JobsError::OfferExists),
            Err(err) => return Err(err.into()),
        }
        ensure_open_accounts(conn, &[provider.id.as_str()])?;
        Ok((offer, job))
    })
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
            must_verify_email: false,
        };
        let (job_id, offer_id) = (&command.job_id, &command.offer_id);
        let job = get_job(conn, job_id)?;
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
        // Last, after the rows are taken: a deletion racing this accept
        // either marked its account before (refused here) or sees the
        // booked job and refuses itself.
        ensure_open_accounts(conn, &[command.customer_id.as_str(), &offer.provider_id])?;
        Ok((
            accepted(rejected.into_iter().map(UserId::from_db).collect()),
            true,
        ))
    })
}
