//! The ratings crate's answer for reported ratings: visible when revealed
//! (or to its rater before), the snapshot as the API shows it, and hiding
//! (the rating leaves every list and aggregate, with
//! `rating.aggregate_changed`).

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::DbPool;
use quickfix_shared::ids::UserId;
use quickfix_shared::moderation::{Moderated, Snapshot, TargetKind};
use quickfix_shared::outbox::SharedRelay;

use crate::dto::RatingResponse;
use crate::error::RatingsError;
use crate::{aggregate_event, service};

/// Answers for `rating` targets.
pub struct RatingsModeration {
    pool: DbPool,
    relay: SharedRelay,
}

impl RatingsModeration {
    /// The source, reading through `pool` and storing through `relay`.
    pub fn new(pool: DbPool, relay: &SharedRelay) -> Arc<Self> {
        Arc::new(Self {
            pool,
            relay: Arc::clone(relay),
        })
    }
}

impl Moderated for RatingsModeration {
    fn kinds(&self) -> &'static [TargetKind] {
        &[TargetKind::Rating]
    }

    fn snapshot(
        &self,
        _kind: TargetKind,
        id: String,
        viewer: AuthUser,
    ) -> BoxFuture<'static, Result<Option<Snapshot>, ApiError>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let found = quickfix_shared::db::run(&pool, move |conn| {
                service::visible_rating(conn, &viewer, &id)
            })
            .await?;
            Ok(found.map(|rating| Snapshot {
                author_id: UserId::from_db(rating.rater_id.clone()),
                content: serde_json::to_value(RatingResponse::from(&rating)).unwrap_or_default(),
            }))
        })
    }

    fn hide(
        &self,
        _kind: TargetKind,
        id: String,
        admin: UserId,
        reason: String,
    ) -> BoxFuture<'static, Result<bool, ApiError>> {
        let relay = Arc::clone(&self.relay);
        Box::pin(async move {
            relay
                .run(move |conn| {
                    let changed = service::hide_rating(conn, admin.as_str(), &id, &reason)?;
                    let events = changed.iter().map(aggregate_event).collect();
                    Ok::<_, RatingsError>((true, events))
                })
                .await
                .map_err(ApiError::from)
        })
    }
}
