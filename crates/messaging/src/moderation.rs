//! The messaging crate's answer for reported messages: visible to the
//! conversation's participants and admins; the snapshot is the message as
//! the API shows it (without its attachment's bytes); hiding keeps the
//! message's place without its text or file.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, Role};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::ids::UserId;
use quickfix_shared::moderation::{Moderated, Snapshot, TargetKind};

use crate::dto::message_view;
use crate::error::MessagingError;
use crate::repository as repo;

/// Answers for `message` targets.
pub struct MessagesModeration {
    pool: DbPool,
}

impl MessagesModeration {
    /// The source reading through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl Moderated for MessagesModeration {
    fn kinds(&self) -> &'static [TargetKind] {
        &[TargetKind::Message]
    }

    fn snapshot(
        &self,
        _kind: TargetKind,
        id: String,
        viewer: AuthUser,
    ) -> BoxFuture<'static, Result<Option<Snapshot>, ApiError>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let found = db::run(&pool, move |conn| {
                let Some(message) = repo::find_message(conn, &id)? else {
                    return Ok::<_, MessagingError>(None);
                };
                let member = if viewer.role == Role::Admin {
                    &message.sender_id
                } else {
                    viewer.id.as_str()
                };
                let sees =
                    repo::find_conversation_of(conn, &message.conversation_id, member)?.is_some();
                Ok(sees.then_some(message))
            })
            .await?;
            Ok(found.map(|message| Snapshot {
                author_id: UserId::from_db(message.sender_id.clone()),
                content: serde_json::to_value(message_view(&message, None)).unwrap_or_default(),
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
        let pool = self.pool.clone();
        Box::pin(async move {
            let hidden = db::run(&pool, move |conn| {
                crate::service::hide_message(conn, &id, admin.as_str(), &reason)
            })
            .await?;
            Ok(hidden)
        })
    }
}
