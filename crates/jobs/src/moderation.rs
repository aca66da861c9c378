//! The jobs crate's answer for reported jobs and offers: who may see one
//! (a job: anyone signed in, as `GET /jobs/{id}`; an offer: the job's
//! owner, the offer's provider and admins), the snapshot (the API's view
//! as an admin sees it), and hiding.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, Role};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::ids::{JobId, UserId};
use quickfix_shared::moderation::{Moderated, Snapshot, TargetKind};

use crate::dto::{JobResponse, OfferResponse};
use crate::error::JobsError;
use crate::{repository as repo, service};

/// Answers for `job` and `offer` targets.
pub struct JobsModeration {
    pool: DbPool,
    currency: String,
}

impl JobsModeration {
    /// The source reading through `pool`, showing prices in `currency`.
    pub fn new(pool: DbPool, currency: &str) -> Arc<Self> {
        Arc::new(Self {
            pool,
            currency: currency.to_owned(),
        })
    }
}

impl Moderated for JobsModeration {
    fn kinds(&self) -> &'static [TargetKind] {
        &[TargetKind::Job, TargetKind::Offer]
    }

    fn snapshot(
        &self,
        kind: TargetKind,
        id: String,
        viewer: AuthUser,
    ) -> BoxFuture<'static, Result<Option<Snapshot>, ApiError>> {
        let (pool, currency) = (self.pool.clone(), self.currency.clone());
        Box::pin(async move {
            let found = db::run(&pool, move |conn| {
                Ok::<_, JobsError>(match kind {
                    TargetKind::Job => {
                        let Some(job) = JobId::parse(&id)
                            .map(|id| service::visible_job(conn, &id, &viewer))
                            .transpose()
                            .or_else(not_found_is_none)?
                        else {
                            return Ok(None);
                        };
                        Some(Snapshot {
                            author_id: UserId::from_db(job.customer_id.clone()),
                            content: serde_json::to_value(JobResponse::of(&job, &currency, true))
                                .unwrap_or_default(),
                        })
                    }
                    _ => {
                        let Some(offer) = repo::find_offer_by_id(conn, &id)? else {
                            return Ok(None);
                        };
                        let owner = repo::find_job(conn, &offer.job_id)?
                            .is_some_and(|job| job.customer_id == viewer.id.as_str());
                        let sees = viewer.role == Role::Admin
                            || owner
                            || offer.provider_id == viewer.id.as_str();
                        sees.then(|| Snapshot {
                            author_id: UserId::from_db(offer.provider_id.clone()),
                            content: serde_json::to_value(OfferResponse::of(&offer, &currency))
                                .unwrap_or_default(),
                        })
                    }
                })
            })
            .await?;
            Ok(found)
        })
    }

    fn hide(
        &self,
        kind: TargetKind,
        id: String,
        admin: UserId,
        reason: String,
    ) -> BoxFuture<'static, Result<bool, ApiError>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            if kind != TargetKind::Job {
                return Err(ApiError::invalid_field(
                    "action",
                    "an offer is not hidden: suspend its provider or hide the job",
                ));
            }
            let hidden = db::run(&pool, move |conn| {
                service::hide_job(conn, &id, admin.as_str(), &reason)
            })
            .await?;
            Ok(hidden)
        })
    }
}

/// A job that is not there, or not the viewer's to see, is no snapshot.
fn not_found_is_none(err: JobsError) -> Result<Option<crate::models::Job>, JobsError> {
    match err {
        JobsError::NotFound(_) => Ok(None),
        err => Err(err),
    }
}
