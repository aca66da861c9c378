//! What messaging does when an account is deleted.

use std::sync::Arc;

use diesel::prelude::*;
use futures_util::future::BoxFuture;
use quickfix_shared::db::{self, DbError, DbPool};
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::outbox::Consumer;
use quickfix_users_contract::AccountEvent;

use crate::schema::{message_email_digests, notifications};

/// Follows `user.deleted`: the account's notifications and its waiting
/// message emails are deleted (its messages stay, shown with the deleted
/// user). A repeat deletes nothing more.
pub struct DeletedAccounts {
    pool: DbPool,
}

impl DeletedAccounts {
    /// The consumer, writing through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl Consumer for DeletedAccounts {
    fn name(&self) -> &'static str {
        "messaging.deleted_accounts"
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let mut deleted = Vec::new();
            for event in &events {
                if let Some(AccountEvent::Deleted(gone)) = AccountEvent::read(event)? {
                    deleted.push(gone.user_id.to_string());
                }
            }
            if deleted.is_empty() {
                return Ok(());
            }
            db::run(&pool, move |conn| {
                db::write_transaction(conn, |conn| {
                    diesel::delete(
                        notifications::table.filter(notifications::user_id.eq_any(&deleted)),
                    )
                    .execute(conn)?;
                    diesel::delete(
                        message_email_digests::table
                            .filter(message_email_digests::recipient_id.eq_any(&deleted)),
                    )
                    .execute(conn)?;
                    Ok::<_, DbError>(())
                })
            })
            .await
            .map_err(|err| err.to_string())
        })
    }
}
