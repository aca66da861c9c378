//! Domain events: what happened in a domain, as the outbox stores it and
//! its consumers (notifications, pushes, other domains) receive it. See
//! `crate::outbox` for how an event is stored and delivered.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Who the timed rules act as in timelines and events (the nil UUID): no
/// user did it, the clock did.
pub const SYSTEM_ACTOR: &str = "00000000-0000-0000-0000-000000000000";

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

/// A crate's typed events: an enum serialised as `{kind, data}` (serde's
/// `tag = "kind", content = "data"`), published in the crate's contract.
/// Producers turn one into the stored envelope with [`EventSet::into_event`];
/// consumers read theirs back with [`EventSet::read`]. Nothing compares a
/// kind as a string but this (de)serialisation.
pub trait EventSet: Serialize + DeserializeOwned {
    /// Every kind of the set, as serde names them.
    const KINDS: &'static [&'static str];

    /// What the event is about.
    fn subject(&self) -> Subject;

    /// The stored envelope of this event, done by `actor` when a user did it.
    fn into_event(self, actor: Option<&str>) -> DomainEvent {
        let subject = self.subject();
        let tagged = serde_json::to_value(&self).unwrap_or_default();
        let kind = tagged
            .get("kind")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let data = tagged.get("data").cloned().unwrap_or_default();
        let event = DomainEvent::new(kind, data);
        let event = DomainEvent { subject, ..event };
        match actor {
            Some(actor) => event.by(actor),
            None => event,
        }
    }

    /// This set's event in `event`: `None` when its kind is another set's,
    /// an error when the kind is ours but its data does not parse.
    fn read(event: &DomainEvent) -> Result<Option<Self>, String> {
        if !Self::KINDS.contains(&event.kind.as_str()) {
            return Ok(None);
        }
        let tagged = serde_json::json!({"kind": event.kind, "data": event.payload});
        serde_json::from_value(tagged)
            .map(Some)
            .map_err(|err| format!("a {} event does not parse: {err}", event.kind))
    }
}

impl Subject {
    /// The object `id` of `kind`.
    pub fn of(kind: &str, id: impl std::fmt::Display) -> Self {
        Self {
            kind: kind.to_owned(),
            id: id.to_string(),
        }
    }
}

/// Checks, in a contract's tests, that `KINDS` names exactly the kinds its
/// `examples` (one per variant) serialise to.
#[cfg(any(test, feature = "test-support"))]
pub fn assert_kinds_match<E: EventSet + std::fmt::Debug>(examples: Vec<E>) {
    let mut seen: Vec<String> = examples
        .into_iter()
        .map(|example| {
            let event = example.into_event(None);
            let back = E::read(&event).expect("reads back").expect("its own kind");
            assert_eq!(
                serde_json::to_value(&back).expect("serialises"),
                serde_json::json!({"kind": event.kind, "data": event.payload})
            );
            event.kind
        })
        .collect();
    seen.sort();
    let mut kinds: Vec<String> = E::KINDS.iter().map(|k| (*k).to_owned()).collect();
    kinds.sort();
    assert_eq!(seen, kinds, "KINDS and the variants differ");
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
