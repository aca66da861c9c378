//! The jobs crate's changes as its routes and the gateway's tools (`seed`)
//! make them: async, through the pool or the relay, each in the crate's own
//! transaction with the events it causes.

use quickfix_jobs_contract::{
    JobCancelled, JobEvent, OfferCountered, OfferCreated, OfferRevised, OfferWithdrawn,
};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::events::EventSet;
use quickfix_shared::ids::{JobId, OfferId, UserId};
use quickfix_shared::outbox::SharedRelay;

use crate::JobsState;
use crate::dto::{
    CreateJobRequest, CreateOfferRequest, JobResponse, OfferResponse, OfferRoundRequest,
};
use crate::error::JobsError;
use crate::service;

/// Posts a job for `customer`, with its expiry scheduled.
pub async fn create_job(
    pool: &DbPool,
    state: &JobsState,
    customer: AuthUser,
    request: CreateJobRequest,
) -> Result<JobResponse, ApiError> {
    let rules = state.rules;
    let job = db::run(pool, move |conn| {
        service::create_job(conn, &customer, &request, &rules)
    })
    .await?;
    Ok(JobResponse::of(&job, &state.currency, true))
}

/// Cancels an open job (its owner or an admin), with `job.cancelled`.
pub async fn cancel_job(
    relay: &SharedRelay,
    currency: &str,
    user: AuthUser,
    id: JobId,
) -> Result<JobResponse, ApiError> {
    let actor = user.id.to_string();
    let cancelled = relay
        .run(move |conn| {
            let cancelled = service::cancel_job(conn, &user, &id)?;
            let event = JobEvent::Cancelled(JobCancelled {
                job_id: JobId::from_db(cancelled.job.id.clone()),
                customer_id: UserId::from_db(cancelled.job.customer_id.clone()),
                provider_ids: cancelled
                    .provider_ids
                    .iter()
                    .cloned()
                    .map(UserId::from_db)
                    .collect(),
            })
            .into_event(Some(&actor));
            Ok::<_, JobsError>((cancelled, vec![event]))
        })
        .await?;
    Ok(JobResponse::of(&cancelled.job, currency, true))
}

/// Offers on an open job (a provider), with `offer.created`.
pub async fn create_offer(
    relay: &SharedRelay,
    state: &JobsState,
    provider: AuthUser,
    job_id: JobId,
    request: CreateOfferRequest,
) -> Result<OfferResponse, ApiError> {
    let rules = state.rules;
    let blockers = state.accounts.blockers_of(provider.id.clone()).await?;
    let offer = relay
        .run(move |conn| {
            let (offer, job) =
                service::create_offer(conn, &provider, &job_id, &request, &rules, &blockers)?;
            let event = JobEvent::OfferCreated(OfferCreated {
                offer_id: OfferId::from_db(offer.id.clone()),
                job_id: JobId::from_db(job.id.clone()),
                job_title: job.title.clone(),
                customer_id: UserId::from_db(job.customer_id.clone()),
                provider_id: UserId::from_db(offer.provider_id.clone()),
                price_cents: offer.price_cents,
            })
            .into_event(Some(provider.id.as_str()));
            Ok::<_, JobsError>((offer, vec![event]))
        })
        .await?;
    Ok(OfferResponse::of(&offer, &state.currency))
}

/// Counters a pending offer (the job's owner), with `offer.countered`.
pub async fn counter_offer(
    relay: &SharedRelay,
    state: &JobsState,
    owner: AuthUser,
    job_id: JobId,
    offer_id: OfferId,
    request: OfferRoundRequest,
) -> Result<OfferResponse, ApiError> {
    let rules = state.rules;
    let offer = relay
        .run(move |conn| {
            let (offer, job) =
                service::counter_offer(conn, &owner, &job_id, &offer_id, &request, &rules)?;
            let event = JobEvent::OfferCountered(OfferCountered {
                offer_id: OfferId::from_db(offer.id.clone()),
                job_id: JobId::from_db(job.id.clone()),
                job_title: job.title.clone(),
                customer_id: UserId::from_db(job.customer_id.clone()),
                provider_id: UserId::from_db(offer.provider_id.clone()),
                price_cents: offer.price_cents,
                counter_price_cents: request.price_cents,
                message: request.message.clone(),
            })
            .into_event(Some(owner.id.as_str()));
            Ok::<_, JobsError>((offer, vec![event]))
        })
        .await?;
    Ok(OfferResponse::of(&offer, &state.currency))
}

/// Revises a countered offer (its provider), with `offer.revised`.
pub async fn revise_offer(
    relay: &SharedRelay,
    state: &JobsState,
    provider: AuthUser,
    job_id: JobId,
    offer_id: OfferId,
    request: OfferRoundRequest,
) -> Result<OfferResponse, ApiError> {
    let rules = state.rules;
    let offer = relay
        .run(move |conn| {
            let (offer, job) =
                service::revise_offer(conn, &provider, &job_id, &offer_id, &request, &rules)?;
            let event = JobEvent::OfferRevised(OfferRevised {
                offer_id: OfferId::from_db(offer.id.clone()),
                job_id: JobId::from_db(job.id.clone()),
                job_title: job.title.clone(),
                customer_id: UserId::from_db(job.customer_id.clone()),
                provider_id: UserId::from_db(offer.provider_id.clone()),
                price_cents: offer.price_cents,
                message: request.message.clone(),
            })
            .into_event(Some(provider.id.as_str()));
            Ok::<_, JobsError>((offer, vec![event]))
        })
        .await?;
    Ok(OfferResponse::of(&offer, &state.currency))
}

/// Withdraws an open offer (its provider), with `offer.withdrawn`.
pub async fn withdraw_offer(
    relay: &SharedRelay,
    currency: &str,
    provider: AuthUser,
    job_id: JobId,
    offer_id: OfferId,
) -> Result<OfferResponse, ApiError> {
    let offer = relay
        .run(move |conn| {
            let (offer, job) = service::withdraw_offer(conn, &provider, &job_id, &offer_id)?;
            let event = JobEvent::OfferWithdrawn(OfferWithdrawn {
                offer_id: OfferId::from_db(offer.id.clone()),
                job_id: JobId::from_db(job.id.clone()),
                customer_id: UserId::from_db(job.customer_id.clone()),
                provider_id: UserId::from_db(offer.provider_id.clone()),
            })
            .into_event(Some(provider.id.as_str()));
            Ok::<_, JobsError>((offer, vec![event]))
        })
        .await?;
    Ok(OfferResponse::of(&offer, currency))
}
