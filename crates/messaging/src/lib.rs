#![doc = include_str!("../README.md")]

pub mod dto;
pub mod emails;
mod erasure;
pub mod error;
pub mod export;
pub(crate) mod models;
pub mod moderation;
mod notifier;
pub mod realtime;
pub(crate) mod repository;
mod routes;
pub(crate) mod schema;
pub(crate) mod service;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use quickfix_messaging_contract::{MessageCreated, MessageEvent};
use quickfix_shared::ApiError;
use quickfix_shared::events::EventSet;
use quickfix_shared::ids::{ConversationId, MessageId, UserId};
use quickfix_shared::outbox::SharedRelay;
use quickfix_shared::quota::{QuotaLimits, Quotas};
use quickfix_shared::storage::SharedStorage;
use quickfix_users_contract::AccountDirectory;
use tokio::sync::Semaphore;

pub use erasure::DeletedAccounts;
pub use notifier::Notifier;
pub use quickfix_messaging_contract as contract;
pub use realtime::location::{LocationFuture, LocationSink, LocationUpdate, SharedLocationSink};
pub use realtime::{Fanout, Hub, RealtimeError};
pub use routes::configure;

use crate::error::MessagingError;
use crate::realtime::frames::{self, server};
use crate::service::SentMessage;

/// This crate's tables (`conversations`, `conversation_members`, `messages`, `attachments`, `notifications`), from `migrations/messaging/`.
pub const MIGRATIONS: quickfix_shared::db::CrateMigrations = quickfix_shared::db::CrateMigrations {
    owner: "messaging",
    common: diesel_migrations::embed_migrations!("../../migrations/messaging/common"),
    sqlite: None,
    postgres: None,
};

/// What the messaging crate needs from configuration.
#[derive(Debug, Clone)]
pub struct MessagingConfig {
    /// Largest attachment in bytes (the contract's 10 MiB).
    pub upload_limit_bytes: usize,
    /// How often an idle socket is pinged.
    pub heartbeat: Duration,
    /// A socket that sent nothing (not even a pong) for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for MessagingConfig {
    fn default() -> Self {
        Self {
            upload_limit_bytes: 10 * 1024 * 1024,
            heartbeat: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// The crate's state, shared by its handlers and sockets as app data.
pub struct MessagingState {
    /// Configuration.
    pub config: MessagingConfig,
    /// Where attachments are kept.
    pub storage: SharedStorage,
    /// The sockets of this instance and the fan-out to the others.
    pub hub: Hub,
    /// The outbox relay (`message.created` is stored and delivered by it).
    pub relay: SharedRelay,
    /// The per-user quotas on messages, conversations and uploads.
    pub quotas: Arc<Quotas>,
    /// Attachment transfers that may hold their file in memory at once
    /// (up- and downloads together); the others wait for a place.
    pub transfers: Arc<Semaphore>,
    /// The users crate's answers (participants' names, active accounts).
    pub accounts: Arc<dyn AccountDirectory>,
    location: Option<SharedLocationSink>,
}

/// Names the participants of conversation views, asking the users crate
/// once for all of them.
pub(crate) async fn name_participants(
    state: &MessagingState,
    views: &mut [dto::ConversationResponse],
) -> Result<(), ApiError> {
    let ids = service::participant_ids(views);
    if ids.is_empty() {
        return Ok(());
    }
    let users = state.accounts.summaries(ids).await?;
    service::name_participants(views, &users);
    Ok(())
}

/// Attachment transfers buffered at once: at most this many times the
/// upload limit (10 MiB) of memory.
pub const CONCURRENT_TRANSFERS: usize = 8;

impl MessagingState {
    /// The state without a location sink (`location.update` frames are then
    /// answered with an `unsupported` error).
    pub fn new(
        config: MessagingConfig,
        storage: SharedStorage,
        hub: Hub,
        relay: SharedRelay,
        accounts: Arc<dyn AccountDirectory>,
    ) -> Self {
        Self {
            config,
            storage,
            hub,
            relay,
            accounts,
            quotas: Arc::new(Quotas::new(QuotaLimits::default(), false)),
            transfers: Arc::new(Semaphore::new(CONCURRENT_TRANSFERS)),
            location: None,
        }
    }

    /// Enforces these quotas (none are enforced otherwise).
    pub fn with_quotas(mut self, quotas: Arc<Quotas>) -> Self {
        self.quotas = quotas;
        self
    }

    /// Registers where `location.update` frames go (the bookings crate).
    pub fn with_location_sink(mut self, sink: SharedLocationSink) -> Self {
        self.location = Some(sink);
        self
    }

    /// The registered location sink.
    pub fn location_sink(&self) -> Option<&SharedLocationSink> {
        self.location.as_ref()
    }
}

/// Pushes a new message to every socket of its participants (but the one it
/// came from). REST and socket sends both come through here, so both are
/// pushed alike.
fn announce_message(state: &MessagingState, sent: &SentMessage, except: Option<&str>) {
    if !sent.fresh {
        return;
    }
    state.hub.send(
        &sent.participants,
        frames::encode(
            server::MESSAGE_CREATED,
            frames::MessageCreated {
                message: &sent.message,
            },
        ),
        except,
    );
}

/// Stores a message with its `message.created` event (in one transaction),
/// pushes it to the participants' sockets (but `except`, the one it came
/// from) and answers once the event's consumers (the recipients'
/// notifications) ran. REST, socket and attachment sends all come here.
pub(crate) async fn send_message(
    state: &MessagingState,
    sender: &UserId,
    new: service::NewMessage,
    except: Option<&str>,
) -> Result<SentMessage, ApiError> {
    let sender = sender.clone();
    let blockers = state.accounts.blockers_of(sender.clone()).await?;
    let (sent, events) = state
        .relay
        .commit(move |conn| {
            let sent = service::send_message(conn, &sender, new, &blockers)?;
            let events = if sent.fresh {
                vec![
                    MessageEvent::Created(MessageCreated {
                        message: sent.message.clone(),
                        recipient_ids: sent.recipients.clone(),
                    })
                    .into_event(Some(sender.as_str())),
                ]
            } else {
                Vec::new()
            };
            Ok::<_, MessagingError>((sent, events))
        })
        .await
        .map_err(ApiError::from)?;
    announce_message(state, &sent, except);
    state.relay.deliver(events).await;
    Ok(sent)
}

/// Relays a moved read marker to the participants' sockets (but the one it
/// came from).
pub(crate) fn announce_read(
    state: &MessagingState,
    participants: &[UserId],
    reader: &UserId,
    conversation: &ConversationId,
    message: &MessageId,
    except: Option<&str>,
) {
    state.hub.send(
        participants,
        frames::encode(
            server::READ,
            frames::ReadRelay {
                conversation_id: conversation.as_str(),
                user_id: reader.as_str(),
                message_id: message.as_str(),
            },
        ),
        except,
    );
}

/// Deletes the notifications older than `retention` (the retention purge),
/// in bounded batches on the blocking pool; answers how many went.
pub async fn purge_notifications(
    pool: &quickfix_shared::db::DbPool,
    retention: chrono::Duration,
) -> Result<usize, quickfix_shared::db::DbError> {
    quickfix_shared::db::run(pool, move |conn| {
        service::purge_notifications(conn, retention)
    })
    .await
}

/// Messages sent, for admin statistics.
pub async fn count_messages(
    pool: &quickfix_shared::db::DbPool,
) -> Result<i64, quickfix_shared::db::DbError> {
    quickfix_shared::db::run(pool, service::count_messages).await
}
