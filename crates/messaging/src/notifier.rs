//! Notifications from domain events, and the pushes those events cause.
//!
//! An outbox consumer: the relay hands it each stored event at least once
//! (in process, beside the response of the request that caused the event;
//! the sweeper brings what a crash or a failure left). Notifications are stored
//! once per (user, event) and pushed through the hub's fan-out to the
//! user's sockets on every instance.

use quickfix_shared::db::{self, DbPool};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use quickfix_bookings_contract::BookingEvent;
use quickfix_jobs_contract::JobEvent;
use quickfix_messaging_contract::MessageEvent;
use quickfix_ratings_contract::RatingEvent;
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::UserId;
use quickfix_shared::outbox::Consumer;

use crate::dto::{MessageCreatedPayload, NotificationBody, OfferAcceptedPayload};
use crate::realtime::Hub;
use crate::realtime::frames::{self, server};
use crate::service::{self, NewNotification};

/// The consumer that turns domain events into notifications and pushes
/// (`notification`, `booking.updated`, `location` frames). The outbox relay
/// hands it each event at least once; a notification's unique
/// (user, event) key makes a repeat harmless.
///
/// It runs beside the response: the relay's worker hands it what
/// concurrent requests stored meanwhile in one call, whose notifications
/// are stored in one transaction (a group commit).
pub struct Notifier {
    pool: DbPool,
    hub: Hub,
}

impl Notifier {
    /// A notifier storing through `pool` and pushing through `hub`.
    pub fn new(pool: DbPool, hub: Hub) -> Arc<Self> {
        Arc::new(Self { pool, hub })
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
        let (pool, hub) = (self.pool.clone(), self.hub.clone());
        Box::pin(async move { handle(&pool, &hub, events).await })
    }
}

/// What an event asks for.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// Users to notify, with what the notification says.
    notify: Vec<UserId>,
    body: Option<NotificationBody>,
    /// Frames to push: (users, frame text).
    pushes: Vec<(Vec<UserId>, String)>,
}

impl Plan {
    /// A notification of `body` to `users`, with no push.
    fn notify(users: Vec<UserId>, body: NotificationBody) -> Self {
        Self {
            notify: users,
            body: Some(body),
            pushes: Vec::new(),
        }
    }
}

/// What an event asks of this crate; kinds it does not act on ask nothing.
fn plan(event: &DomainEvent) -> Result<Plan, String> {
    if let Some(event) = JobEvent::read(event)? {
        return Ok(match event {
            JobEvent::OfferCreated(created) => Plan::notify(
                vec![created.customer_id.clone()],
                NotificationBody::OfferCreated(created),
            ),
            JobEvent::OfferAccepted(accepted) => Plan::notify(
                vec![accepted.provider_id.clone()],
                NotificationBody::OfferAccepted(OfferAcceptedPayload {
                    offer_id: accepted.offer_id.to_string(),
                    job_id: accepted.job_id.to_string(),
                    booking_id: accepted.booking_id.to_string(),
                    customer_id: accepted.customer_id.to_string(),
                    provider_id: accepted.provider_id.to_string(),
                }),
            ),
            JobEvent::OfferCountered(countered) => Plan::notify(
                vec![countered.provider_id.clone()],
                NotificationBody::OfferCountered(countered),
            ),
            JobEvent::OfferRevised(revised) => Plan::notify(
                vec![revised.customer_id.clone()],
                NotificationBody::OfferRevised(revised),
            ),
            JobEvent::OfferExpired(expired) => Plan::notify(
                vec![expired.provider_id.clone(), expired.customer_id.clone()],
                NotificationBody::OfferExpired(expired),
            ),
            JobEvent::Expired(expired) => Plan::notify(
                std::iter::once(expired.customer_id.clone())
                    .chain(expired.provider_ids.iter().cloned())
                    .collect(),
                NotificationBody::JobExpired(expired),
            ),
            JobEvent::Cancelled(_) | JobEvent::OfferWithdrawn(_) => Plan::default(),
        });
    }
    if let Some(RatingEvent::Created(created)) = RatingEvent::read(event)? {
        return Ok(Plan::notify(
            vec![created.rated_user_id.clone()],
            NotificationBody::RatingCreated(created),
        ));
    }
    if let Some(MessageEvent::Created(created)) = MessageEvent::read(event)? {
        return Ok(Plan::notify(
            created.recipient_ids.clone(),
            NotificationBody::MessageCreated(MessageCreatedPayload {
                message: created.message,
            }),
        ));
    }
    Ok(match BookingEvent::read(event)? {
        Some(BookingEvent::Updated(updated)) => {
            let parties = vec![updated.customer_id.clone(), updated.provider_id.clone()];
            Plan {
                notify: parties
                    .iter()
                    .filter(|party| **party != updated.actor_id)
                    .cloned()
                    .collect(),
                pushes: vec![(
                    parties,
                    frames::encode(
                        server::BOOKING_UPDATED,
                        frames::BookingUpdated {
                            booking: &updated.booking,
                        },
                    ),
                )],
                body: Some(NotificationBody::BookingUpdated(updated)),
            }
        }
        Some(BookingEvent::Reminder(reminder)) => Plan::notify(
            vec![reminder.customer_id.clone(), reminder.provider_id.clone()],
            NotificationBody::BookingReminder(reminder),
        ),
        Some(BookingEvent::Located(located)) => Plan {
            pushes: vec![(
                vec![located.customer_id.clone()],
                frames::encode(
                    server::LOCATION,
                    frames::Location {
                        booking_id: located.booking_id.as_str(),
                        lat: located.lat,
                        lng: located.lng,
                        at: located.at,
                    },
                ),
            )],
            ..Plan::default()
        },
        None => Plan::default(),
    })
}

async fn handle(pool: &DbPool, hub: &Hub, events: Vec<DomainEvent>) -> Result<(), String> {
    let mut notifications = Vec::new();
    for event in events {
        let plan = plan(&event)?;
        for (users, frame) in plan.pushes {
            hub.send(&users, frame, None);
        }
        if let Some(body) = plan.body {
            let (kind, payload) = (body.kind(), body.payload());
            notifications.extend(plan.notify.into_iter().map(|user| NewNotification {
                user,
                kind: kind.to_owned(),
                payload: payload.clone(),
                event_id: event.id.clone(),
            }));
        }
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
    use quickfix_bookings_contract::{BookingResponse, BookingStatus, BookingUpdated};
    use quickfix_jobs_contract::{JobCancelled, JobId, OfferCreated, OfferId};

    use super::*;

    #[test]
    fn booking_updates_notify_the_party_that_did_not_act_and_push_to_both() {
        let (customer, provider) = (UserId::generate(), UserId::generate());
        let event = BookingEvent::Updated(BookingUpdated {
            booking: BookingResponse::sample(&customer, &provider, BookingStatus::InProgress),
            actor_id: provider.clone(),
            customer_id: customer.clone(),
            provider_id: provider.clone(),
        })
        .into_event(Some(provider.as_str()));
        let plan = plan(&event).expect("a plan");
        assert_eq!(plan.notify, vec![customer.clone()]);
        assert_eq!(plan.pushes.len(), 1);
        assert_eq!(plan.pushes[0].0, vec![customer, provider]);
        assert!(plan.pushes[0].1.contains(r#""type":"booking.updated""#));
    }

    #[test]
    fn offers_notify_the_job_owner_and_cancellations_ask_nothing() {
        let customer = UserId::generate();
        let created = JobEvent::OfferCreated(OfferCreated {
            offer_id: OfferId::generate(),
            job_id: JobId::generate(),
            job_title: "Fix the sink".to_owned(),
            customer_id: customer.clone(),
            provider_id: UserId::generate(),
            price_cents: 100,
        })
        .into_event(None);
        let plan_of_offer = plan(&created).expect("a plan");
        assert_eq!(plan_of_offer.notify, vec![customer.clone()]);
        let body = plan_of_offer
            .body
            .expect("an offer notifies its job's owner");
        assert_eq!(body.kind(), "offer.created");
        assert_eq!(body.payload()["job_title"], "Fix the sink");
        let cancelled = JobEvent::Cancelled(JobCancelled {
            job_id: JobId::generate(),
            customer_id: customer,
            provider_ids: Vec::new(),
        })
        .into_event(None);
        assert_eq!(plan(&cancelled).expect("a plan"), Plan::default());
        assert_eq!(
            plan(&DomainEvent::new("someone.else", serde_json::json!({}))).expect("a plan"),
            Plan::default()
        );
    }

    #[test]
    fn a_known_kind_with_bad_data_is_an_error_to_retry_not_a_silent_skip() {
        let broken = DomainEvent::new("offer.created", serde_json::json!({"customer_id": "nope"}));
        assert!(plan(&broken).is_err());
    }
}
