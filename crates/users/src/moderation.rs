//! The users crate's answer for reported accounts: a user is visible when
//! active (admins see every one); the snapshot is the public profile.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, Role};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::ids::UserId;
use quickfix_shared::moderation::{Moderated, Snapshot, TargetKind};

use crate::dto::PublicUserResponse;
use crate::error::UsersError;
use crate::service;

/// Answers for `user` targets.
pub struct AccountsModeration {
    pool: DbPool,
}

impl AccountsModeration {
    /// The source reading through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl Moderated for AccountsModeration {
    fn kinds(&self) -> &'static [TargetKind] {
        &[TargetKind::User]
    }

    fn snapshot(
        &self,
        _kind: TargetKind,
        id: String,
        viewer: AuthUser,
    ) -> BoxFuture<'static, Result<Option<Snapshot>, ApiError>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let Some(id) = UserId::parse(&id) else {
                return Ok(None);
            };
            let found = db::run(&pool, move |conn| {
                match service::public_user(conn, &id, viewer.role == Role::Admin) {
                    Ok(user) => Ok(Some(user)),
                    Err(UsersError::NotFound(_)) => Ok(None),
                    Err(err) => Err(err),
                }
            })
            .await?;
            Ok(found.map(|user| Snapshot {
                author_id: UserId::from_db(user.id.clone()),
                content: serde_json::to_value(PublicUserResponse::from(&user)).unwrap_or_default(),
            }))
        })
    }

    fn hide(
        &self,
        _kind: TargetKind,
        _id: String,
        _admin: UserId,
        _reason: String,
    ) -> BoxFuture<'static, Result<bool, ApiError>> {
        Box::pin(std::future::ready(Err(ApiError::invalid_field(
            "action",
            "an account is not hidden: suspend it (`suspend_user`)",
        ))))
    }
}
