//! The outbox across processes: Redis Streams with consumer groups.
//!
//! - [`StreamPublisher`] is an outbox consumer like any other: it appends
//!   each event stored here to the stream `<prefix>:events` (with its
//!   service as `origin`), so it is sent at least once, with the relay's
//!   retries, and a Redis outage loses nothing.
//! - [`spawn_subscriber`] reads that stream as a consumer group named after
//!   its service: the service's instances share the group, so one of them
//!   takes each entry. It takes the kinds it was asked for from other
//!   services, stores each in the local outbox ([`Relay::import`], skipping
//!   ids it has) and acknowledges the entry only then; the local consumers
//!   get the event at once, and from the sweeper if they miss it. Entries a
//!   dead instance left unacknowledged are claimed after 30 s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply};
use tokio::sync::Mutex;

use super::{Consumer, SharedRelay};
use crate::events::DomainEvent;

/// The publishing consumer's name (its handled marks, and the mark an
/// imported event gets so it is not sent back).
pub const PUBLISHER: &str = "redis.stream";
/// Entries the stream keeps, about (older ones are trimmed).
const MAX_LEN: usize = 100_000;
/// How long one read waits for new entries.
const BLOCK: Duration = Duration::from_secs(1);
/// Entries read at once.
const READ_COUNT: usize = 128;
/// An entry unacknowledged this long is taken from the instance that read
/// it (it died).
const CLAIM_IDLE: Duration = Duration::from_secs(30);
/// How often such entries are looked for.
const CLAIM_EVERY: Duration = Duration::from_secs(10);
/// The longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// The key prefix when the URL names none.
const DEFAULT_PREFIX: &str = "quickfix";

/// Splits `?channel_prefix=NAME` off a Redis URL; answers the URL Redis
/// should see and the prefix of every key and channel.
pub fn split_prefix(url: &str) -> (String, String) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), DEFAULT_PREFIX.to_owned());
    };
    let mut prefix = DEFAULT_PREFIX.to_owned();
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("channel_prefix=") {
            Some(value) if !value.is_empty() => {
                prefix = value.to_owned();
                false
            }
            _ => !pair.is_empty(),
        })
        .collect();
    if kept.is_empty() {
        (base.to_owned(), prefix)
    } else {
        (format!("{base}?{}", kept.join("&")), prefix)
    }
}

/// The stream a service publishes to and reads from.
#[derive(Debug, Clone)]
pub struct StreamTarget {
    client: redis::Client,
    key: String,
    service: String,
}

impl StreamTarget {
    /// The stream of `redis_url` (`?channel_prefix=NAME` names its family)
    /// as seen by `service` (`gateway`, `ratings`, ...).
    pub fn open(redis_url: &str, service: &str) -> Result<Self, String> {
        let (url, prefix) = split_prefix(redis_url);
        let client = redis::Client::open(url.as_str())
            .map_err(|_| format!("bad redis url {}", crate::db::redact_url(&url)))?;
        Ok(Self {
            client,
            key: format!("{prefix}:events"),
            service: service.to_owned(),
        })
    }

    /// The stream's key.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Appends every event stored in this outbox to the stream.
pub struct StreamPublisher {
    inner: Arc<Publisher>,
}

struct Publisher {
    target: StreamTarget,
    conn: Mutex<Option<MultiplexedConnection>>,
}

impl StreamPublisher {
    /// The publisher to `target`; it connects on first use and again after
    /// a failure.
    pub fn new(target: StreamTarget) -> Arc<Self> {
        Arc::new(Self {
            inner: Arc::new(Publisher {
                target,
                conn: Mutex::new(None),
            }),
        })
    }
}

impl Publisher {
    async fn publish(&self, events: Vec<DomainEvent>) -> Result<(), String> {
        let mut slot = self.conn.lock().await;
        let conn = match slot.as_mut() {
            Some(conn) => conn,
            None => slot.insert(
                self.target
                    .client
                    .get_multiplexed_async_connection()
                    .await
                    .map_err(|err| err.to_string())?,
            ),
        };
        let mut pipe = redis::pipe();
        for event in &events {
            let json = serde_json::to_string(event).map_err(|err| err.to_string())?;
            pipe.cmd("XADD")
                .arg(&self.target.key)
                .arg("MAXLEN")
                .arg("~")
                .arg(MAX_LEN)
                .arg("*")
                .arg("origin")
                .arg(&self.target.service)
                .arg("event")
                .arg(json)
                .ignore();
        }
        let sent: Result<(), _> = pipe.query_async(conn).await;
        sent.map_err(|err| {
            *slot = None;
            err.to_string()
        })
    }
}

impl Consumer for StreamPublisher {
    fn name(&self) -> &'static str {
        PUBLISHER
    }

    /// Other services see the events within a moment; the caller need not
    /// wait for Redis.
    fn awaited(&self) -> bool {
        false
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move { inner.publish(events).await })
    }
}

/// Reads the stream as `target`'s service group, taking the events of
/// `kinds` that other services stored into `relay`; reconnects on its own.
pub fn spawn_subscriber(
    target: StreamTarget,
    kinds: Vec<&'static str>,
    relay: SharedRelay,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let member = uuid::Uuid::now_v7().to_string();
        let mut backoff = Duration::from_millis(100);
        loop {
            let started = Instant::now();
            if let Err(err) = subscribe(&target, &member, &kinds, &relay).await {
                tracing::warn!(stream = %target.key, error = %err, "the event stream failed; reconnecting");
            }
            if started.elapsed() > MAX_BACKOFF {
                backoff = Duration::from_millis(100);
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

async fn subscribe(
    target: &StreamTarget,
    member: &str,
    kinds: &[&'static str],
    relay: &SharedRelay,
) -> Result<(), String> {
    let mut conn = target
        .client
        .get_multiplexed_async_connection()
        .await
        .map_err(|err| err.to_string())?;
    let (key, group) = (target.key.as_str(), target.service.as_str());
    let created: Result<(), redis::RedisError> = conn.xgroup_create_mkstream(key, group, "0").await;
    if let Err(err) = created
        && err.code() != Some("BUSYGROUP")
    {
        return Err(err.to_string());
    }
    // This member's own unacknowledged entries first (a restart), then new.
    let mut from = "0";
    let mut last_claim: Option<Instant> = None;
    loop {
        if last_claim.is_none_or(|at| at.elapsed() >= CLAIM_EVERY) {
            last_claim = Some(Instant::now());
            let claimed: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
                .arg(key)
                .arg(group)
                .arg(member)
                .arg(CLAIM_IDLE.as_millis() as u64)
                .arg("0-0")
                .arg("COUNT")
                .arg(READ_COUNT)
                .query_async(&mut conn)
                .await
                .map_err(|err| err.to_string())?;
            take_all(&mut conn, target, kinds, relay, claimed.claimed).await?;
        }
        let options = StreamReadOptions::default()
            .group(group, member)
            .count(READ_COUNT)
            .block(BLOCK.as_millis() as usize);
        let reply: StreamReadReply = conn
            .xread_options(&[key], &[from], &options)
            .await
            .map_err(|err| err.to_string())?;
        let entries: Vec<StreamId> = reply.keys.into_iter().flat_map(|k| k.ids).collect();
        if entries.is_empty() && from == "0" {
            from = ">";
            continue;
        }
        take_all(&mut conn, target, kinds, relay, entries).await?;
    }
}

/// Stores each entry's event (when it is wanted) and then acknowledges it.
async fn take_all(
    conn: &mut MultiplexedConnection,
    target: &StreamTarget,
    kinds: &[&'static str],
    relay: &SharedRelay,
    entries: Vec<StreamId>,
) -> Result<(), String> {
    for entry in entries {
        if let Some(event) = wanted(target, kinds, &entry) {
            relay
                .import(event, PUBLISHER)
                .await
                .map_err(|err| err.to_string())?;
        }
        let _: i64 = conn
            .xack(&target.key, &target.service, &[&entry.id])
            .await
            .map_err(|err| err.to_string())?;
    }
    Ok(())
}

/// The entry's event, if another service stored it and it is of a wanted
/// kind; an entry that does not parse is skipped (and logged).
fn wanted(target: &StreamTarget, kinds: &[&'static str], entry: &StreamId) -> Option<DomainEvent> {
    let origin: Option<String> = entry.get("origin");
    if origin.as_deref() == Some(target.service.as_str()) {
        return None;
    }
    let raw: String = entry.get("event")?;
    match serde_json::from_str::<DomainEvent>(&raw) {
        Ok(event) if kinds.contains(&event.kind.as_str()) => Some(event),
        Ok(_) => None,
        Err(err) => {
            tracing::warn!(entry = %entry.id, error = %err, "a stream entry is not an event; skipped");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_comes_off_the_url_and_other_options_stay() {
        assert_eq!(
            split_prefix("redis://h:6379"),
            ("redis://h:6379".to_owned(), "quickfix".to_owned())
        );
        assert_eq!(
            split_prefix("redis://h:6379?channel_prefix=t1"),
            ("redis://h:6379".to_owned(), "t1".to_owned())
        );
        assert_eq!(
            split_prefix("redis://h:6379?protocol=resp3&channel_prefix=t2"),
            ("redis://h:6379?protocol=resp3".to_owned(), "t2".to_owned())
        );
    }
}
