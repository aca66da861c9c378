//! The Redis pub/sub fan-out: every instance publishes what it delivers on
//! one channel and delivers what the others publish, so an event reaches a
//! user's sockets on every instance behind the load balancer.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use quickfix_shared::db::redact_url;
use redis::AsyncConnectionConfig;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::{Envelope, Fanout, RealtimeError, Registry};

/// Envelopes waiting for the publisher before new ones are dropped.
const OUTBOX: usize = 4096;
/// How long start-up waits for the first subscription.
const READY_WAIT: Duration = Duration::from_secs(5);
/// Timeouts of Redis connections and replies.
const IO_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// An envelope on the wire, with the instance that sent it.
#[derive(Debug, Serialize, Deserialize)]
struct Wire {
    origin: String,
    #[serde(flatten)]
    envelope: Envelope,
}

pub(crate) use quickfix_shared::outbox::streams::split_prefix;

/// The Redis fan-out.
pub(crate) struct RedisFanout {
    registry: Arc<Registry>,
    origin: String,
    outbox: mpsc::Sender<String>,
}

impl RedisFanout {
    /// Connects the publisher and the subscriber (in background tasks that
    /// reconnect on their own) and waits a little for the first
    /// subscription.
    pub(crate) async fn start(url: &str, registry: Arc<Registry>) -> Result<Self, RealtimeError> {
        let (redis_url, prefix) = split_prefix(url);
        let client = redis::Client::open(redis_url.as_str())
            .map_err(|_| RealtimeError::Config(redact_url(&redis_url)))?;
        let channel = format!("{prefix}:realtime");
        let origin = uuid::Uuid::now_v7().to_string();
        let (ready_tx, mut ready_rx) = watch::channel(false);
        tokio::spawn(subscribe_loop(
            client.clone(),
            channel.clone(),
            origin.clone(),
            Arc::clone(&registry),
            ready_tx,
        ));
        let (outbox, pending) = mpsc::channel(OUTBOX);
        tokio::spawn(publish_loop(client, channel.clone(), pending));
        match tokio::time::timeout(READY_WAIT, ready_rx.wait_for(|ready| *ready)).await {
            Ok(Ok(_)) => {
                tracing::info!(redis.channel = %channel, "real-time fan-out through Redis")
            }
            _ => tracing::error!(
                redis.url = %redact_url(&redis_url),
                "Redis is unreachable; real-time events reach this instance's sockets only until it answers"
            ),
        }
        Ok(Self {
            registry,
            origin,
            outbox,
        })
    }
}

impl Fanout for RedisFanout {
    fn publish(&self, envelope: Envelope) {
        self.registry.deliver(&envelope);
        let wire = Wire {
            origin: self.origin.clone(),
            envelope,
        };
        let payload = match serde_json::to_string(&wire) {
            Ok(payload) => payload,
            Err(err) => {
                tracing::error!(error = %err, "cannot encode a real-time envelope");
                return;
            }
        };
        if self.outbox.try_send(payload).is_err() {
            tracing::warn!("the Redis publisher is behind; a real-time frame was dropped");
        }
    }
}

fn connection_config() -> AsyncConnectionConfig {
    AsyncConnectionConfig::new()
        .set_connection_timeout(Some(IO_TIMEOUT))
        .set_response_timeout(Some(IO_TIMEOUT))
}

async fn subscribe_loop(
    client: redis::Client,
    channel: String,
    origin: String,
    registry: Arc<Registry>,
    ready: watch::Sender<bool>,
) {
    let mut backoff = Duration::from_millis(200);
    let mut subscribed_before = false;
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    backoff = Duration::from_millis(200);
                    ready.send_replace(true);
                    if subscribed_before {
                        // Frames were lost while unsubscribed: make clients
                        // reconnect and catch up.
                        tracing::info!("Redis subscription restored");
                        registry.kick_all();
                    }
                    subscribed_before = true;
                    let (_sink, mut stream) = pubsub.split();
                    while let Some(message) = stream.next().await {
                        let Ok(wire) = serde_json::from_slice::<Wire>(message.get_payload_bytes())
                        else {
                            tracing::warn!("ignoring a malformed real-time envelope");
                            continue;
                        };
                        if wire.origin != origin {
                            registry.deliver(&wire.envelope);
                        }
                    }
                    ready.send_replace(false);
                    tracing::warn!("the Redis subscription ended; reconnecting");
                }
                Err(err) => tracing::warn!(error = %err, "cannot subscribe to Redis"),
            },
            Err(err) => tracing::warn!(error = %err, "cannot connect to Redis"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn publish_loop(client: redis::Client, channel: String, mut pending: mpsc::Receiver<String>) {
    let mut connection: Option<redis::aio::MultiplexedConnection> = None;
    while let Some(payload) = pending.recv().await {
        for _attempt in 0..2 {
            if connection.is_none() {
                match client
                    .get_multiplexed_async_connection_with_config(&connection_config())
                    .await
                {
                    Ok(conn) => connection = Some(conn),
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot connect to Redis to publish");
                        break;
                    }
                }
            }
            let Some(conn) = connection.as_mut() else {
                break;
            };
            match redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&payload)
                .query_async::<i64>(conn)
                .await
            {
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(error = %err, "publishing to Redis failed");
                    connection = None;
                }
            }
        }
    }
}
