//! Notifications from domain events, and the pushes those events cause.
//!
//! An outbox consumer: the relay hands it each stored event at least once
//! (in process, before the request that caused the event answers; the
//! sweeper brings what a crash or a failure left). Notifications are stored
//! once per (user, event) and pushed through the hub's fan-out to the
//! user's sockets on every instance.

use quickfix_shared::db::{self, DbPool};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_shared::events::DomainEvent;
use quickfix_shared::ids::UserId;
use quickfix_shared::outbox::Consumer;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::realtime::Hub;
use crate::realtime::frames::{self, server};
use crate::service::{self, NewNotification};

/// The consumer that turns domain events into notifications and pushes
/// (`notification`, `booking.updated`, `location` frames). The outbox relay
/// hands it each event at least once; a notification's unique
/// (user, event) key makes a repeat harmless.
///
/// Concurrent requests' events are taken together by one worker: their
/// notifications are stored in one transaction and each request is
/// answered when its batch is stored (a group commit: one database round
/// of work for a burst, not one per request).
pub struct Notifier {
    queue: mpsc::Sender<Batch>,
}

/// One request's events and where to say they are stored.
type Batch = (Vec<DomainEvent>, oneshot::Sender<Result<(), String>>);

/// Requests' batches the worker takes together at most.
const BATCHES_PER_ROUND: usize = 256;

impl Notifier {
    /// A notifier storing through `pool` and pushing through `hub`; starts
    /// its worker.
    pub fn new(pool: DbPool, hub: Hub) -> Arc<Self> {
        let (queue, mut pending) = mpsc::channel::<Batch>(4096);
        tokio::spawn(async move {
            while let Some(first) = pending.recv().await {
                let mut round = vec![first];
                while round.len() < BATCHES_PER_ROUND {
                    match pending.try_recv() {
                        Ok(next) => round.push(next),
                        Err(_) => break,
                    }
                }
                let (events, waiters): (Vec<_>, Vec<_>) = round.into_iter().unzip();
                let outcome = handle(&pool, &hub, events.into_iter().flatten().collect()).await;
                for waiter in waiters {
                    let _ = waiter.send(outcome.clone());
                }
            }
        });
        Arc::new(Self { queue })
    }
}

impl Consumer for Notifier {
    fn name(&self) -> &'static str {
        "messaging.notifications"
    }

    /// Notifications and pushes go to others than the caller: the response
    /// need not wait for them.
    fn awaited(&self) -> bool {
        false
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        let queue = self.queue.clone();
        Box::pin(async move {
            let (done, stored) = oneshot::channel();
            queue
                .send((events, done))
                .await
                .map_err(|_| "the notifier has stopped".to_owned())?;
            stored
                .await
                .map_err(|_| "the notifier dropped a batch".to_owned())?
        })
    }
}

/// What an event asks for.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// Users to notify, with the notification's payload.
    notify: Vec<UserId>,
    payload: Value,
    /// Frames to push: (users, frame text).
    pushes: Vec<(Vec<UserId>, String)>,
}

fn user(payload: &Value, field: &str) -> Option<UserId> {
    payload
        .get(field)
        .and_then(Value::as_str)
        .and_then(UserId::parse)
}

fn plan(event: &DomainEvent) -> Plan {
    let payload = &event.payload;
    let single = |field: &str| Plan {
        notify: user(payload, field).into_iter().collect(),
        payload: payload.clone(),
        pushes: Vec::new(),
    };
    match event.kind.as_str() {
        "offer.created" => single("customer_id"),
        "offer.accepted" => single("provider_id"),
        "rating.created" => single("rated_user_id"),
        "message.created" => Plan {
            notify: payload
                .get("recipient_ids")
                .and_then(Value::as_array)
                .map(|ids| {
                    ids.iter()
                        .filter_map(Value::as_str)
                        .filter_map(UserId::parse)
                        .collect()
                })
                .unwrap_or_default(),
            payload: serde_json::json!({ "message": payload.get("message") }),
            pushes: Vec::new(),
        },
        "booking.updated" => {
            let parties: Vec<UserId> = ["customer_id", "provider_id"]
                .iter()
                .filter_map(|field| user(payload, field))
                .collect();
            let actor = user(payload, "actor_id");
            let booking = payload.get("booking").cloned().unwrap_or(Value::Null);
            Plan {
                notify: parties
                    .iter()
                    .filter(|party| actor.as_ref() != Some(*party))
                    .cloned()
                    .collect(),
                payload: payload.clone(),
                pushes: vec![(
                    parties,
                    frames::encode(
                        server::BOOKING_UPDATED,
                        frames::BookingUpdated { booking: &booking },
                    ),
                )],
            }
        }
        "booking.location" => {
            let located = (
                payload.get("booking_id").and_then(Value::as_str),
                payload.get("lat").and_then(Value::as_f64),
                payload.get("lng").and_then(Value::as_f64),
            );
            let (Some(booking_id), Some(lat), Some(lng)) = located else {
                return Plan::default();
            };
            let at = payload
                .get("at")
                .and_then(Value::as_str)
                .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
                .map_or(event.occurred_at, |at| at.to_utc());
            Plan {
                pushes: vec![(
                    user(payload, "customer_id").into_iter().collect(),
                    frames::encode(
                        server::LOCATION,
                        frames::Location {
                            booking_id,
                            lat,
                            lng,
                            at,
                        },
                    ),
                )],
                ..Plan::default()
            }
        }
        _ => Plan::default(),
    }
}

async fn handle(pool: &DbPool, hub: &Hub, events: Vec<DomainEvent>) -> Result<(), String> {
    let mut notifications = Vec::new();
    for event in events {
        let plan = plan(&event);
        for (users, frame) in plan.pushes {
            hub.send(&users, frame, None);
        }
        notifications.extend(plan.notify.into_iter().map(|user| NewNotification {
            user,
            kind: event.kind.clone(),
            payload: plan.payload.clone(),
            event_id: event.id.clone(),
        }));
    }
    if notifications.is_empty() {
        return Ok(());
    }
    let count = notifications.len();
    let created = db::run(pool, move |conn| {
        service::create_notifications(conn, &notifications)
    })
    .await;
    match created {
        Ok(created) => {
            for (user, notification) in created {
                hub.send(
                    &[user],
                    frames::encode(
                        server::NOTIFICATION,
                        frames::NotificationPush {
                            notification: &notification,
                        },
                    ),
                    None,
                );
            }
            Ok(())
        }
        Err(err) => {
            tracing::warn!(error = %err, notifications = count, "notifications were not stored");
            Err(err.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booking_updates_notify_the_party_that_did_not_act_and_push_to_both() {
        let (customer, provider) = (UserId::generate(), UserId::generate());
        let event = DomainEvent::new(
            "booking.updated",
            serde_json::json!({
                "booking": {"id": "b", "status": "in_progress"},
                "actor_id": provider,
                "customer_id": customer,
                "provider_id": provider,
            }),
        );
        let plan = plan(&event);
        assert_eq!(plan.notify, vec![customer.clone()]);
        assert_eq!(plan.pushes.len(), 1);
        assert_eq!(plan.pushes[0].0, vec![customer, provider]);
        assert!(plan.pushes[0].1.contains(r#""type":"booking.updated""#));
    }

    #[test]
    fn unknown_kinds_and_bad_payloads_ask_for_nothing() {
        assert_eq!(
            plan(&DomainEvent::new("job.cancelled", serde_json::json!({}))),
            Plan::default()
        );
        assert!(
            plan(&DomainEvent::new(
                "offer.created",
                serde_json::json!({"customer_id": "nope"})
            ))
            .notify
            .is_empty()
        );
    }
}
