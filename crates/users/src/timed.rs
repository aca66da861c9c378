//! The users crate's timed rule on the shared durable scheduler: a
//! suspension with an end lifts itself then (`user.unsuspend`, scheduled
//! in the suspension's transaction), with `user.reinstated`.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_shared::events::SYSTEM_ACTOR;
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::tasks::TaskHandler;

use crate::error::UsersError;
use crate::{events, service};

/// Runs `user.unsuspend`: re-checks the account in its transaction, so a
/// suspension lifted or changed by hand is left alone.
pub struct UnsuspendTask {
    relay: SharedRelay,
}

impl UnsuspendTask {
    /// The handler, storing through `relay`.
    pub fn new(relay: SharedRelay) -> Arc<Self> {
        Arc::new(Self { relay })
    }
}

impl TaskHandler for UnsuspendTask {
    fn kind(&self) -> &'static str {
        service::UNSUSPEND_TASK
    }

    fn run(&self, subject_id: String) -> BoxFuture<'static, Result<(), String>> {
        let relay = Arc::clone(&self.relay);
        Box::pin(async move {
            relay
                .run(move |conn| {
                    let ended = service::end_suspension(conn, &subject_id)?;
                    let events = ended
                        .map(|user| vec![events::activation(&user.id, true, SYSTEM_ACTOR)])
                        .unwrap_or_default();
                    Ok::<_, UsersError>(((), events))
                })
                .await
                .map_err(|err| err.to_string())
        })
    }
}
