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

/// One frame for some users' sockets, as a fan-out carries it; or, with
/// `end_logins`, the order to close the sockets of ended logins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The users whose sockets get the frame.
    pub users: Vec<String>,
    /// A socket that must not get it (the one the frame answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub except_socket: Option<String>,
    /// The frame's JSON text.
    pub frame: String,
    /// Close the users' sockets of these logins instead of sending a frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_logins: Option<EndedLogins>,
}

/// Which logins of the envelope's users ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndedLogins {
    /// One login; `None` for every login of the users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// The close code of a socket whose login ended (logout, password change,
/// deactivation, suspension).
pub const CLOSE_SESSION_ENDED: u16 = 4401;
/// The close code of a user's oldest socket when one more than
/// `quota.sockets_per_user` opens.
pub const CLOSE_TOO_MANY_SOCKETS: u16 = 4409;

/// Why the hub wants a socket closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kick {
    /// The client reads too slowly, or the fan-out resynchronises.
    Slow,
    /// Its login ended (4401 `session_ended`).
    SessionEnded,
    /// The user opened too many sockets; this is the oldest (4409).
    TooManySockets,
}

/// The hub's request to close a socket, with its reason.
#[derive(Default)]
pub struct KickSignal {
    notify: Notify,
    reason: std::sync::Mutex<Option<Kick>>,
}

impl KickSignal {
    fn kick(&self, reason: Kick) {
        let mut slot = self.reason.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(reason);
        }
        drop(slot);
        self.notify.notify_one();
    }

    /// Resolves with the reason once the hub wants the socket closed.
    pub async fn kicked(&self) -> Kick {
        self.notify.notified().await;
        self.reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or(Kick::Slow)
    }
}

/// Told when logins end on any instance (the gateway forgets them in its
/// session cache, so REST calls on this instance are refused at once too).
pub type LoginsEndedListener = Arc<dyn Fn(&str, Option<&str>) + Send + Sync>;

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
    session: String,
    sender: mpsc::Sender<Arc<str>>,
    kick: Arc<KickSignal>,
}

/// Users remembered in `last_seen` before the old ones are swept.
const LAST_SEEN_SWEEP_AT: usize = 100_000;

/// The sockets connected to this instance, by user.
#[derive(Default)]
pub struct Registry {
    users: RwLock<HashMap<String, Vec<Entry>>>,
    /// When each user's last socket here closed (kept an hour).
    last_seen: RwLock<HashMap<String, chrono::NaiveDateTime>>,
    sockets: AtomicUsize,
    listener: RwLock<Option<LoginsEndedListener>>,
}

impl Registry {
    /// Adds a socket of `user`'s login `session`; when the user then has
    /// more than `max_per_user` sockets here, the oldest is told to close.
    fn register(
        self: &Arc<Self>,
        user: &str,
        session: &str,
        max_per_user: Option<usize>,
    ) -> Connection {
        let (sender, receiver) = mpsc::channel(SOCKET_QUEUE);
        let kick = Arc::new(KickSignal::default());
        let id = uuid::Uuid::now_v7().to_string();
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        let entries = users.entry(user.to_owned()).or_default();
        entries.push(Entry {
            id: id.clone(),
            session: session.to_owned(),
            sender,
            kick: Arc::clone(&kick),
        });
        if let Some(max) = max_per_user {
            let excess = entries.len().saturating_sub(max.max(1));
            for oldest in entries.drain(..excess) {
                oldest.kick.kick(Kick::TooManySockets);
                self.sockets.fetch_sub(1, Ordering::Relaxed);
            }
        }
        drop(users);
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
                let now = quickfix_shared::db::now();
                let mut seen = self
                    .last_seen
                    .write()
                    .unwrap_or_else(PoisonError::into_inner);
                if seen.len() >= LAST_SEEN_SWEEP_AT {
                    seen.retain(|_, at| now - *at < chrono::TimeDelta::hours(1));
                }
                seen.insert(user.to_owned(), now);
            }
        }
    }

    /// Queues the envelope's frame on every local socket of its users, or
    /// closes the sockets of the logins it says ended.
    pub fn deliver(&self, envelope: &Envelope) {
        if let Some(ended) = &envelope.end_logins {
            self.end_logins(&envelope.users, ended.session.as_deref());
            return;
        }
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
                            entry.kick.kick(Kick::Slow);
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

    /// Closes the local sockets of `session` of `users` (every login of
    /// theirs when `None`) with 4401, and tells the listener.
    fn end_logins(&self, users: &[String], session: Option<&str>) {
        {
            let mut registered = self.users.write().unwrap_or_else(PoisonError::into_inner);
            for user in users {
                let Some(entries) = registered.get_mut(user) else {
                    continue;
                };
                entries.retain(|entry| {
                    let ended = session.is_none_or(|s| s == entry.session);
                    if ended {
                        entry.kick.kick(Kick::SessionEnded);
                        self.sockets.fetch_sub(1, Ordering::Relaxed);
                    }
                    !ended
                });
                if entries.is_empty() {
                    registered.remove(user);
                }
            }
        }
        let listener = self
            .listener
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(listener) = listener {
            for user in users {
                listener(user, session);
            }
        }
    }

    /// Asks every local socket to close (after a fan-out outage, so clients
    /// reconnect and catch up on what they missed).
    pub fn kick_all(&self) {
        let users = self.users.read().unwrap_or_else(PoisonError::into_inner);
        for entry in users.values().flatten() {
            entry.kick.kick(Kick::Slow);
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
    kick: Arc<KickSignal>,
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

    /// Resolves with the reason when the hub wants the socket closed.
    pub async fn kicked(&self) -> Kick {
        self.kick.kicked().await
    }

    /// The signal behind [`Connection::kicked`], to wait on while the
    /// connection is borrowed elsewhere.
    pub fn kick_signal(&self) -> Arc<KickSignal> {
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

    /// Adds a socket of `user`'s login `session`; beyond `max_per_user`
    /// sockets of the user on this instance, the oldest closes with 4409.
    pub fn connect(&self, user: &UserId, session: &str, max_per_user: Option<usize>) -> Connection {
        self.registry.register(user.as_str(), session, max_per_user)
    }

    /// Closes the sockets of `user`'s login `session` (every login of the
    /// user when `None`) on every instance, with 4401 `session_ended`.
    pub fn end_logins(&self, user: &UserId, session: Option<&str>) {
        self.fanout.publish(Envelope {
            users: vec![user.to_string()],
            except_socket: None,
            frame: String::new(),
            end_logins: Some(EndedLogins {
                session: session.map(str::to_owned),
            }),
        });
    }

    /// Registers who is told when logins end on any instance.
    pub fn on_logins_ended(&self, listener: LoginsEndedListener) {
        *self
            .registry
            .listener
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(listener);
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
            end_logins: None,
        });
    }

    /// Sockets connected to this instance.
    pub fn local_sockets(&self) -> usize {
        self.registry.len()
    }

    /// Whether `user` has had a socket open on this instance at any time
    /// since `since` (one is open now, or the last closed after it).
    pub fn connected_since(&self, user: &UserId, since: chrono::NaiveDateTime) -> bool {
        let registry = &self.registry;
        if registry
            .users
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(user.as_str())
        {
            return true;
        }
        registry
            .last_seen
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user.as_str())
            .is_some_and(|at| *at >= since)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_reach_every_socket_of_a_user_but_the_excepted_one() {
        let hub = Hub::in_process();
        let ana = UserId::generate();
        let mut first = hub.connect(&ana, "s1", None);
        let mut second = hub.connect(&ana, "s1", None);
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
        let mut slow = hub.connect(&bob, "s1", None);
        for n in 0..=SOCKET_QUEUE {
            hub.send(std::slice::from_ref(&bob), n.to_string(), None);
        }
        assert_eq!(hub.local_sockets(), 0, "the slow socket left the hub");
        let reason = tokio::time::timeout(std::time::Duration::from_secs(1), slow.kicked())
            .await
            .expect("the session is told to close");
        assert_eq!(reason, Kick::Slow);
        let mut queued = 0;
        while slow.receiver.try_recv().is_ok() {
            queued += 1;
        }
        assert_eq!(queued, SOCKET_QUEUE, "never more than the queue holds");
    }

    #[tokio::test]
    async fn ending_a_login_closes_its_sockets_and_leaves_the_others() {
        let hub = Hub::in_process();
        let ana = UserId::generate();
        let phone = hub.connect(&ana, "phone", None);
        let laptop = hub.connect(&ana, "laptop", None);
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = Arc::clone(&heard);
        hub.on_logins_ended(Arc::new(move |user, session| {
            log.lock()
                .expect("log")
                .push((user.to_owned(), session.map(str::to_owned)));
        }));
        hub.end_logins(&ana, Some("phone"));
        assert_eq!(phone.kicked().await, Kick::SessionEnded);
        assert_eq!(hub.local_sockets(), 1);
        hub.end_logins(&ana, None);
        assert_eq!(laptop.kicked().await, Kick::SessionEnded);
        assert_eq!(hub.local_sockets(), 0);
        assert_eq!(heard.lock().expect("log").len(), 2);
    }

    #[tokio::test]
    async fn one_socket_past_the_cap_closes_the_oldest() {
        let hub = Hub::in_process();
        let bob = UserId::generate();
        let oldest = hub.connect(&bob, "s", Some(2));
        let _second = hub.connect(&bob, "s", Some(2));
        let _third = hub.connect(&bob, "s", Some(2));
        assert_eq!(oldest.kicked().await, Kick::TooManySockets);
        assert_eq!(hub.local_sockets(), 2);
    }
}
