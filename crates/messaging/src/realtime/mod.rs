//! The real-time layer: the hub that knows this instance's sockets, the
//! fan-out that carries frames to every instance, the frame protocol and the
//! socket sessions.
//!
//! A socket gets a bounded queue ([`SOCKET_QUEUE`] frames). Delivery never
//! waits: a socket whose queue is full is a slow client and is dropped (its
//! session closes with 1008), so one slow reader never holds up the others
//! or grows memory without bound. Frames are serialised once per fan-out and
//! shared by every socket they go to.

pub mod frames;
pub mod location;
mod redis;
pub(crate) mod session;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use quickfix_shared::ids::UserId;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};

/// Frames a socket may have queued before it counts as slow and is dropped.
pub const SOCKET_QUEUE: usize = 256;

/// Why the real-time layer could not start.
#[derive(Debug, thiserror::Error)]
pub enum RealtimeError {
    /// `redis.url` does not parse.
    #[error("invalid redis.url: {0}")]
    Config(String),
}

/// One frame for some users' sockets, as a fan-out carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The users whose sockets get the frame.
    pub users: Vec<String>,
    /// A socket that must not get it (the one the frame answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub except_socket: Option<String>,
    /// The frame's JSON text.
    pub frame: String,
}

/// Carries envelopes to the sockets of every gateway instance it reaches.
pub trait Fanout: Send + Sync + 'static {
    /// Delivers `envelope` on this instance and hands it to the others.
    /// Never waits: what cannot be sent now is dropped and logged.
    fn publish(&self, envelope: Envelope);
}

/// The default fan-out: this process only.
pub struct InProcessFanout {
    registry: Arc<Registry>,
}

impl Fanout for InProcessFanout {
    fn publish(&self, envelope: Envelope) {
        self.registry.deliver(&envelope);
    }
}

struct Entry {
    id: String,
    sender: mpsc::Sender<Arc<str>>,
    kick: Arc<Notify>,
}

/// The sockets connected to this instance, by user.
#[derive(Default)]
pub struct Registry {
    users: RwLock<HashMap<String, Vec<Entry>>>,
    sockets: AtomicUsize,
}

impl Registry {
    fn register(self: &Arc<Self>, user: &str) -> Connection {
        let (sender, receiver) = mpsc::channel(SOCKET_QUEUE);
        let kick = Arc::new(Notify::new());
        let id = uuid::Uuid::now_v7().to_string();
        self.users
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(user.to_owned())
            .or_default()
            .push(Entry {
                id: id.clone(),
                sender,
                kick: Arc::clone(&kick),
            });
        self.sockets.fetch_add(1, Ordering::Relaxed);
        Connection {
            id,
            user: user.to_owned(),
            receiver,
            kick,
            registry: Arc::clone(self),
        }
    }

    fn unregister(&self, user: &str, socket: &str) {
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(entries) = users.get_mut(user) {
            let before = entries.len();
            entries.retain(|entry| entry.id != socket);
            if entries.len() < before {
                self.sockets.fetch_sub(1, Ordering::Relaxed);
            }
            if entries.is_empty() {
                users.remove(user);
            }
        }
    }

    /// Queues the envelope's frame on every local socket of its users.
    pub fn deliver(&self, envelope: &Envelope) {
        let frame: Arc<str> = Arc::from(envelope.frame.as_str());
        let mut dropped = Vec::new();
        {
            let users = self.users.read().unwrap_or_else(PoisonError::into_inner);
            for user in &envelope.users {
                let Some(entries) = users.get(user) else {
                    continue;
                };
                for entry in entries {
                    if envelope.except_socket.as_deref() == Some(entry.id.as_str()) {
                        continue;
                    }
                    match entry.sender.try_send(Arc::clone(&frame)) {
                        Ok(()) => {}
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            tracing::warn!(user.id = %user, "dropping a slow WebSocket client");
                            entry.kick.notify_one();
                            dropped.push((user.clone(), entry.id.clone()));
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => {
                            dropped.push((user.clone(), entry.id.clone()));
                        }
                    }
                }
            }
        }
        for (user, socket) in dropped {
            self.unregister(&user, &socket);
        }
    }

    /// Asks every local socket to close (after a fan-out outage, so clients
    /// reconnect and catch up on what they missed).
    pub fn kick_all(&self) {
        let users = self.users.read().unwrap_or_else(PoisonError::into_inner);
        for entry in users.values().flatten() {
            entry.kick.notify_one();
        }
    }

    /// Sockets connected to this instance.
    pub fn len(&self) -> usize {
        self.sockets.load(Ordering::Relaxed)
    }

    /// Whether no socket is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One socket's place in the hub; leaving it (drop) removes the socket.
pub struct Connection {
    id: String,
    user: String,
    receiver: mpsc::Receiver<Arc<str>>,
    kick: Arc<Notify>,
    registry: Arc<Registry>,
}

impl Connection {
    /// The socket's id (unique across instances).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The next frame queued for the socket; `None` once it was dropped.
    pub async fn next_frame(&mut self) -> Option<Arc<str>> {
        self.receiver.recv().await
    }

    /// Resolves when the hub wants the socket closed (a slow client).
    pub async fn kicked(&self) {
        self.kick.notified().await;
    }

    /// The signal behind [`Connection::kicked`], to wait on while the
    /// connection is borrowed elsewhere.
    pub fn kick_signal(&self) -> Arc<Notify> {
        Arc::clone(&self.kick)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.registry.unregister(&self.user, &self.id);
    }
}

/// The hub: this instance's sockets and the fan-out that reaches every
/// instance's. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    registry: Arc<Registry>,
    fanout: Arc<dyn Fanout>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("sockets", &self.registry.len())
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub whose frames reach this process only.
    pub fn in_process() -> Self {
        let registry = Arc::new(Registry::default());
        Self {
            fanout: Arc::new(InProcessFanout {
                registry: Arc::clone(&registry),
            }),
            registry,
        }
    }

    /// A hub over another fan-out (which must deliver to `registry`).
    pub fn with_fanout(registry: Arc<Registry>, fanout: Arc<dyn Fanout>) -> Self {
        Self { registry, fanout }
    }

    /// The hub for the configuration: Redis pub/sub when `redis_url` is set
    /// (waiting up to a few seconds for the first subscription; it retries
    /// in the background after that), in-process otherwise.
    ///
    /// `redis_url` may carry `?channel_prefix=NAME` (default `quickfix`):
    /// instances with the same prefix hear each other, so several
    /// deployments (or test runs) can share one Redis.
    pub async fn start(redis_url: Option<&str>) -> Result<Self, RealtimeError> {
        match redis_url.filter(|url| !url.trim().is_empty()) {
            None => Ok(Self::in_process()),
            Some(url) => {
                let registry = Arc::new(Registry::default());
                let fanout = redis::RedisFanout::start(url, Arc::clone(&registry)).await?;
                Ok(Self::with_fanout(registry, Arc::new(fanout)))
            }
        }
    }

    /// Adds a socket of `user`.
    pub fn connect(&self, user: &UserId) -> Connection {
        self.registry.register(user.as_str())
    }

    /// Sends a frame (JSON text) to every socket of `users` on every
    /// instance, except the socket `except` (the one the frame answers).
    pub fn send(&self, users: &[UserId], frame: String, except: Option<&str>) {
        if users.is_empty() {
            return;
        }
        self.fanout.publish(Envelope {
            users: users.iter().map(ToString::to_string).collect(),
            except_socket: except.map(str::to_owned),
            frame,
        });
    }

    /// Sockets connected to this instance.
    pub fn local_sockets(&self) -> usize {
        self.registry.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_reach_every_socket_of_a_user_but_the_excepted_one() {
        let hub = Hub::in_process();
        let ana = UserId::generate();
        let mut first = hub.connect(&ana);
        let mut second = hub.connect(&ana);
        assert_eq!(hub.local_sockets(), 2);
        hub.send(std::slice::from_ref(&ana), "hello".into(), Some(first.id()));
        assert_eq!(second.next_frame().await.as_deref(), Some("hello"));
        assert!(first.receiver.try_recv().is_err());
        drop(second);
        assert_eq!(hub.local_sockets(), 1);
        hub.send(&[ana], "again".into(), None);
        assert_eq!(first.next_frame().await.as_deref(), Some("again"));
    }

    #[tokio::test]
    async fn a_slow_socket_is_dropped_not_buffered() {
        let hub = Hub::in_process();
        let bob = UserId::generate();
        let mut slow = hub.connect(&bob);
        for n in 0..=SOCKET_QUEUE {
            hub.send(std::slice::from_ref(&bob), n.to_string(), None);
        }
        assert_eq!(hub.local_sockets(), 0, "the slow socket left the hub");
        tokio::time::timeout(std::time::Duration::from_secs(1), slow.kicked())
            .await
            .expect("the session is told to close");
        let mut queued = 0;
        while slow.receiver.try_recv().is_ok() {
            queued += 1;
        }
        assert_eq!(queued, SOCKET_QUEUE, "never more than the queue holds");
    }
}
