//! Domain events: what happened in a domain, as the outbox stores it and
//! its consumers (notifications, pushes, other domains) receive it. See
//! `crate::outbox` for how an event is stored and delivered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_as_the_contract_shows_them() {
        let event = DomainEvent::new(
            "booking.updated",
            serde_json::json!({"booking": {"id": "b"}}),
        )
        .about("booking", "b")
        .by("u");
        let wire = serde_json::to_value(&event).expect("serialised");
        assert_eq!(wire["kind"], "booking.updated");
        assert_eq!(
            wire["subject"],
            serde_json::json!({"kind": "booking", "id": "b"})
        );
        assert_eq!(wire["actor_id"], "u");
        assert_eq!(wire["data"]["booking"]["id"], "b");
        let back: DomainEvent = serde_json::from_value(wire).expect("read back");
        assert_eq!(back, event);
    }
}
