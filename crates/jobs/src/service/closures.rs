//! Closing an account: what the jobs crate does when a user deletes theirs.
//!
//! The users crate first asks [`close_account`]: in one transaction the
//! account is marked closed, its open jobs and open offers are locked,
//! and a booked job (as customer or accepted provider) refuses the
//! deletion. An accept takes the job and offer rows first and checks the
//! mark last, so of an accept and a deletion racing, either the accept
//! lands first and the deletion sees its booked job, or the accept sees
//! the mark and is refused. Once the account is deleted (`user.deleted`),
//! [`withdraw_everything`] cancels its open jobs and withdraws its open
//! (pending and countered) offers.

use super::*;

/// Marks `user` closed unless they have a booked job (then nothing
/// changes: 409 `account_has_active_bookings`).
pub fn close_account(conn: &mut DbConn, user: &UserId) -> Result<(), JobsError> {
    db::write_transaction(conn, |conn| {
        repo::close_account(conn, user.as_str(), now())?;
        repo::lock_open_work(conn, user.as_str())?;
        if repo::count_booked(conn, user.as_str())? > 0 {
            return Err(JobsError::ActiveBookings);
        }
        Ok(())
    })
}

/// Takes back a closure whose deletion did not happen.
pub fn reopen_account(conn: &mut DbConn, user: &UserId) -> Result<(), JobsError> {
    repo::reopen_account(conn, user.as_str())?;
    Ok(())
}

/// 403 when any of `users` is closed; called last in the transactions
/// that make work (a job, an offer, an acceptance).
pub fn ensure_open_accounts(conn: &mut DbConn, users: &[&str]) -> Result<(), JobsError> {
    if repo::count_closed(conn, users)? > 0 {
        return Err(JobsError::AccountClosed);
    }
    Ok(())
}

/// What a deleted account left behind, undone.
#[derive(Debug, Default)]
pub struct Withdrawn {
    /// Its open jobs, now cancelled, with the providers whose offers were
    /// rejected with each.
    pub cancelled: Vec<(Job, Vec<String>)>,
    /// Its open offers, now withdrawn, with their jobs.
    pub withdrawn: Vec<(Offer, Job)>,
}

/// Cancels the user's open jobs and withdraws their open offers; a
/// repeat finds nothing left to do.
pub fn withdraw_everything(conn: &mut DbConn, user: &UserId) -> Result<Withdrawn, JobsError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        let mut done = Withdrawn::default();
        for job_id in repo::open_job_ids(conn, user.as_str())? {
            if repo::transition_job(conn, &job_id, JobStatus::Open, JobStatus::Cancelled, at)? == 0
            {
                continue;
            }
            let providers = repo::reject_open_offers(conn, &job_id, at)?;
            if let Some(job) = repo::find_job(conn, &job_id)? {
                done.cancelled.push((job, providers));
            }
        }
        for (offer_id, job_id) in repo::open_offer_ids(conn, user.as_str())? {
            // The job row first, as accept and withdraw take them.
            if repo::bump_offer_count_if_open(conn, &job_id, -1, at)? == 0 {
                continue;
            }
            let settled = repo::settle_open_offer(
                conn,
                &job_id,
                &offer_id,
                Some(user.as_str()),
                OfferStatus::Withdrawn,
                at,
            )?;
            if settled == 0 {
                continue;
            }
            let offer = repo::find_offer(conn, &job_id, &offer_id)?;
            let job = repo::find_job(conn, &job_id)?;
            if let (Some(offer), Some(job)) = (offer, job) {
                done.withdrawn.push((offer, job));
            }
        }
        Ok(done)
    })
}
