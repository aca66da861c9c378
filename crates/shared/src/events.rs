//! The domain event bus. Crates publish what happened (after their
//! transaction commits); subscribers such as notifications and the real-time
//! layer react. The in-process bus is the default; a Redis-backed one can
//! stand behind the same trait when several gateway instances run.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// Events a slow subscriber may lag behind before it misses some.
pub const BUS_CAPACITY: usize = 4096;

/// Something that happened in a domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    /// The event's id.
    pub id: String,
    /// A dotted kind: `offer.created`, `booking.updated`, ...
    pub kind: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Who did it, when a user did.
    #[serde(default)]
    pub actor_id: Option<String>,
    /// What it happened to.
    #[serde(default)]
    pub subject: Subject,
    /// The event's data; its shape is fixed per kind by the publishing crate.
    #[serde(rename = "data")]
    pub payload: serde_json::Value,
}

/// The object an event is about: `{kind: "booking", id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The object's kind: `job`, `offer`, `booking`, `message`, `rating`.
    pub kind: String,
    /// Its id.
    pub id: String,
}

impl DomainEvent {
    /// An event of `kind` happening now.
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            kind: kind.into(),
            occurred_at: crate::db::now().and_utc(),
            actor_id: None,
            subject: Subject::default(),
            payload,
        }
    }

    /// The same event about `kind` `id`.
    pub fn about(mut self, kind: &str, id: impl Into<String>) -> Self {
        self.subject = Subject {
            kind: kind.to_owned(),
            id: id.into(),
        };
        self
    }

    /// The same event done by `actor`.
    pub fn by(mut self, actor: impl Into<String>) -> Self {
        self.actor_id = Some(actor.into());
        self
    }
}

/// Publishes domain events to every subscriber.
pub trait EventBus: Send + Sync + 'static {
    /// Publishes an event; never blocks and never fails the caller.
    fn publish(&self, event: DomainEvent);
    /// A receiver of every event published from now on.
    fn subscribe(&self) -> broadcast::Receiver<DomainEvent>;
}

/// The bus as shared in app data.
pub type SharedEventBus = Arc<dyn EventBus>;

/// An event bus within one process.
#[derive(Debug, Clone)]
pub struct InProcessBus {
    sender: broadcast::Sender<DomainEvent>,
}

impl InProcessBus {
    /// A bus with the default capacity.
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(BUS_CAPACITY);
        Self { sender }
    }

    /// The bus behind the shared trait object.
    pub fn shared() -> SharedEventBus {
        Arc::new(Self::new())
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus for InProcessBus {
    fn publish(&self, event: DomainEvent) {
        tracing::debug!(event.kind = %event.kind, event.id = %event.id, "domain event");
        // No subscriber is not an error: nobody needed to hear it.
        let _ = self.sender.send(event);
    }

    fn subscribe(&self) -> broadcast::Receiver<DomainEvent> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_receive_what_is_published_after_they_subscribe() {
        let bus = InProcessBus::new();
        bus.publish(DomainEvent::new("before", serde_json::json!({})));
        let mut first = bus.subscribe();
        let mut second = bus.subscribe();
        bus.publish(DomainEvent::new(
            "offer.created",
            serde_json::json!({"job_id": "j"}),
        ));
        for rx in [&mut first, &mut second] {
            let event = rx.recv().await.expect("delivered");
            assert_eq!(event.kind, "offer.created");
            assert_eq!(event.payload["job_id"], "j");
        }
    }
}
