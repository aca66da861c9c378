//! Email notifications, per the recipients' preferences (asked of the users
//! crate through `AccountDirectory::email_contacts`):
//!
//! - `offer.created` to the job's owner, `offer.accepted` and
//!   `booking.updated` to both parties (not the booking's creation, which
//!   the acceptance's email announces): [`EmailNotifier`], an outbox
//!   consumer that queues each email in the shared email queue under a key
//!   made of the event and the recipient, so an event handled twice mails
//!   once.
//! - `message.created` to a recipient with no open socket: the message
//!   starts a digest of its conversation for that recipient, due
//!   `email.message_delay_secs` later ([`spawn_message_digests`]). When it
//!   is due, and the recipient neither had a socket open since nor read the
//!   conversation, one email carries every message of the conversation
//!   since the first. Socket presence is this instance's: with several
//!   instances behind a balancer, the read marker is what the others know.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use futures_util::future::BoxFuture;
use quickfix_bookings_contract::{BookingEvent, BookingStatus};
use quickfix_jobs_contract::JobEvent;
use quickfix_messaging_contract::MessageEvent;
use quickfix_shared::db::{self, DbConn, DbError, DbPool};
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::UserId;
use quickfix_shared::mail::{self, MailTemplate, Recipient, Templates};
use quickfix_shared::outbox::Consumer;
use quickfix_users_contract::{AccountDirectory, EmailContact, EmailDirectory};
use serde::Serialize;

use crate::realtime::Hub;
use crate::schema::{conversation_members, message_email_digests, messages};

/// Every email notification, by kind.
const TEMPLATES: &[MailTemplate] = &[
    MailTemplate {
        kind: "offer.created",
        subject: include_str!("../templates/offer_created.subject.txt"),
        text: include_str!("../templates/offer_created.txt"),
        html: include_str!("../templates/offer_created.html"),
    },
    MailTemplate {
        kind: "offer.accepted",
        subject: include_str!("../templates/offer_accepted.subject.txt"),
        text: include_str!("../templates/offer_accepted.txt"),
        html: include_str!("../templates/offer_accepted.html"),
    },
    MailTemplate {
        kind: "booking.updated",
        subject: include_str!("../templates/booking_updated.subject.txt"),
        text: include_str!("../templates/booking_updated.txt"),
        html: include_str!("../templates/booking_updated.html"),
    },
    MailTemplate {
        kind: "message.created",
        subject: include_str!("../templates/message_created.subject.txt"),
        text: include_str!("../templates/message_created.txt"),
        html: include_str!("../templates/message_created.html"),
    },
];

/// Messages one digest email shows; the rest are counted.
const DIGEST_MESSAGES: i64 = 20;
/// Digests one pass takes.
const DIGEST_BATCH: i64 = 50;

/// What the email notifications need.
pub struct EmailNotifications {
    pool: DbPool,
    hub: Hub,
    accounts: Arc<dyn AccountDirectory>,
    emails: Arc<dyn EmailDirectory>,
    templates: Templates,
    public_url: String,
    message_delay: chrono::TimeDelta,
}

impl std::fmt::Debug for EmailNotifications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailNotifications").finish_non_exhaustive()
    }
}

/// The outbox consumer of email notifications.
#[derive(Debug)]
pub struct EmailNotifier(Arc<EmailNotifications>);

/// An email an event asks for: its kind, the users it may go to, its
/// context, and the provider whose name it shows.
struct Wanted {
    event_id: String,
    kind: &'static str,
    users: Vec<UserId>,
    context: serde_json::Value,
    provider: Option<UserId>,
}

/// One email to queue: its once-key, kind, recipient and context.
struct Planned {
    key: String,
    kind: &'static str,
    to: EmailContact,
    context: serde_json::Value,
}

impl EmailNotifications {
    /// The email notifications of a frontend at `public_url`, emailing
    /// unread messages `message_delay` after the first.
    pub fn new(
        pool: DbPool,
        hub: Hub,
        accounts: Arc<dyn AccountDirectory>,
        emails: Arc<dyn EmailDirectory>,
        public_url: &str,
        message_delay: Duration,
    ) -> Arc<Self> {
        Arc::new(Self {
            pool,
            hub,
            accounts,
            emails,
            templates: Templates::new(TEMPLATES)
                .expect("the messaging crate's email templates parse (a unit test proves it)"),
            public_url: public_url.trim_end_matches('/').to_owned(),
            message_delay: chrono::TimeDelta::from_std(message_delay)
                .unwrap_or(chrono::TimeDelta::seconds(300)),
        })
    }

    /// The outbox consumer.
    pub fn consumer(self: &Arc<Self>) -> Arc<EmailNotifier> {
        Arc::new(EmailNotifier(Arc::clone(self)))
    }

    /// Queues the emails of a round of events: one query for the names and
    /// one per kind for the recipients of the whole round, then one
    /// transaction for the queue.
    async fn handle(&self, events: Vec<DomainEvent>) -> Result<(), String> {
        let mut wanted = Vec::new();
        let mut digests = Vec::new();
        for event in &events {
            if let Some(MessageEvent::Created(created)) = MessageEvent::read(event)? {
                let since = db::stored_time(created.message.created_at);
                for recipient in &created.recipient_ids {
                    if !self.hub.connected_since(recipient, since) {
                        digests.push((
                            recipient.to_string(),
                            created.message.conversation_id.clone(),
                            since,
                        ));
                    }
                }
                continue;
            }
            wanted.extend(self.wanted(event)?);
        }
        let planned = self.address(wanted).await?;
        let emails = planned
            .into_iter()
            .map(|p| {
                let to = recipient(&p.to);
                let email = self
                    .templates
                    .render(p.kind, &to, p.context)
                    .map_err(|err| err.to_string())?;
                Ok((p.key, email))
            })
            .collect::<Result<Vec<_>, String>>()?;
        if emails.is_empty() && digests.is_empty() {
            return Ok(());
        }
        let delay = self.message_delay;
        db::run(&self.pool, move |conn| {
            db::write_transaction(conn, |conn| {
                mail::queue_each_once(conn, &emails)?;
                for (recipient, conversation, since) in &digests {
                    start_digest(conn, recipient, conversation, *since, *since + delay)?;
                }
                Ok::<_, DbError>(())
            })
        })
        .await
        .map_err(|err| err.to_string())
    }

    /// The email an event asks for (messages aside), before its recipients'
    /// addresses and choices are known.
    fn wanted(&self, event: &DomainEvent) -> Result<Option<Wanted>, String> {
        let wanted = |kind, users, context, provider| Wanted {
            event_id: event.id.clone(),
            kind,
            users,
            context,
            provider,
        };
        if let Some(job) = JobEvent::read(event)? {
            return Ok(match job {
                JobEvent::OfferCreated(offer) => Some(wanted(
                    "offer.created",
                    vec![offer.customer_id.clone()],
                    serde_json::json!({
                        "job_title": offer.job_title,
                        "price": price(offer.price_cents),
                        "link": format!("{}/jobs/{}", self.public_url, offer.job_id),
                    }),
                    Some(offer.provider_id.clone()),
                )),
                JobEvent::OfferAccepted(accepted) => Some(wanted(
                    "offer.accepted",
                    vec![accepted.customer_id.clone(), accepted.provider_id.clone()],
                    serde_json::json!({
                        "link": format!("{}/bookings/{}", self.public_url, accepted.booking_id),
                    }),
                    None,
                )),
                // The contract emails these kinds only; the rest are
                // in-app notifications.
                JobEvent::Cancelled(_)
                | JobEvent::Expired(_)
                | JobEvent::OfferWithdrawn(_)
                | JobEvent::OfferCountered(_)
                | JobEvent::OfferRevised(_)
                | JobEvent::OfferExpired(_) => None,
            });
        }
        let Some(BookingEvent::Updated(updated)) = BookingEvent::read(event)? else {
            return Ok(None);
        };
        // A booking starts `confirmed` with the acceptance, whose own email
        // tells both parties.
        if updated.booking.status == BookingStatus::Confirmed {
            return Ok(None);
        }
        Ok(Some(wanted(
            "booking.updated",
            vec![updated.customer_id.clone(), updated.provider_id.clone()],
            serde_json::json!({
                "status": updated.booking.status.as_str().replace('_', " "),
                "link": format!("{}/bookings/{}", self.public_url, updated.booking.id),
            }),
            None,
        )))
    }

    /// Addresses the wanted emails: the providers' names in one query, the
    /// recipients who want each kind in one query per kind; those who do
    /// not (or are gone) get none.
    async fn address(&self, wanted: Vec<Wanted>) -> Result<Vec<Planned>, String> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let providers: Vec<UserId> = wanted.iter().filter_map(|w| w.provider.clone()).collect();
        let names = if providers.is_empty() {
            HashMap::new()
        } else {
            self.accounts
                .summaries(providers)
                .await
                .map_err(|err| err.to_string())?
        };
        let mut kinds: Vec<&'static str> = wanted.iter().map(|w| w.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let mut contacts = HashMap::new();
        for kind in kinds {
            let mut users: Vec<UserId> = wanted
                .iter()
                .filter(|w| w.kind == kind)
                .flat_map(|w| w.users.iter().cloned())
                .collect();
            users.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
            users.dedup();
            for contact in self
                .emails
                .email_contacts(users, kind)
                .await
                .map_err(|err| err.to_string())?
            {
                contacts.insert((kind, contact.id.clone()), contact);
            }
        }
        let mut planned = Vec::new();
        for w in wanted {
            let mut context = w.context;
            if let Some(provider) = &w.provider {
                context["provider_name"] = serde_json::Value::String(
                    names
                        .get(provider)
                        .map_or("A provider", |p| p.name.as_str())
                        .to_owned(),
                );
            }
            for user in &w.users {
                let Some(to) = contacts.get(&(w.kind, user.clone())) else {
                    continue;
                };
                let mut context = context.clone();
                context["name"] = serde_json::Value::String(to.name.clone());
                planned.push(Planned {
                    key: format!("{}|{}", w.event_id, to.id),
                    kind: w.kind,
                    to: to.clone(),
                    context,
                });
            }
        }
        Ok(planned)
    }

    /// One pass over the due message digests; answers how many it took.
    pub async fn send_due_digests(&self) -> Result<usize, DbError> {
        let due = db::run(&self.pool, |conn| {
            message_email_digests::table
                .filter(message_email_digests::due_at.le(db::now()))
                .order(message_email_digests::due_at)
                .limit(DIGEST_BATCH)
                .select((
                    message_email_digests::recipient_id,
                    message_email_digests::conversation_id,
                    message_email_digests::since,
                ))
                .load::<(String, String, NaiveDateTime)>(conn)
                .map_err(DbError::from)
        })
        .await?;
        let taken = due.len();
        for (recipient, conversation, since) in due {
            if let Err(err) = self.send_digest(recipient, conversation, since).await {
                tracing::warn!(error = %err, "a message digest was not sent; it is tried again");
            }
        }
        Ok(taken)
    }

    async fn send_digest(
        &self,
        recipient: String,
        conversation: String,
        since: NaiveDateTime,
    ) -> Result<(), String> {
        let user = UserId::from_db(recipient.clone());
        let seen = self.hub.connected_since(&user, since);
        let contact = if seen {
            None
        } else {
            self.emails
                .email_contacts(vec![user.clone()], "message.created")
                .await
                .map_err(|err| err.to_string())?
                .pop()
        };
        let (reader, room) = (recipient.clone(), conversation.clone());
        let unread = db::run(&self.pool, move |conn| {
            unread_since(conn, &reader, &room, since)
        })
        .await
        .map_err(|err| err.to_string())?;
        let email = match (contact, unread.is_empty()) {
            (Some(to), false) => Some(self.digest_email(&to, &conversation, unread).await?),
            _ => None,
        };
        let key = format!("digest|{recipient}|{conversation}|{since}");
        db::run(&self.pool, move |conn| {
            db::write_transaction(conn, |conn| {
                let finished = diesel::delete(
                    message_email_digests::table
                        .filter(message_email_digests::recipient_id.eq(&recipient))
                        .filter(message_email_digests::conversation_id.eq(&conversation))
                        .filter(message_email_digests::since.eq(since)),
                )
                .execute(conn)?;
                if finished == 1
                    && let Some(email) = &email
                {
                    mail::queue_once(conn, &key, email)?;
                }
                Ok::<_, DbError>(())
            })
        })
        .await
        .map_err(|err| err.to_string())
    }

    async fn digest_email(
        &self,
        to: &EmailContact,
        conversation: &str,
        unread: Vec<(String, String, NaiveDateTime)>,
    ) -> Result<mail::Email, String> {
        let senders: Vec<UserId> = unread
            .iter()
            .map(|(sender, _, _)| UserId::from_db(sender.clone()))
            .collect();
        let names = self
            .accounts
            .summaries(senders)
            .await
            .map_err(|err| err.to_string())?;
        let count = unread.len();
        let shown: Vec<DigestLine> = unread
            .into_iter()
            .take(DIGEST_MESSAGES as usize)
            .map(|(sender, body, at)| DigestLine {
                sender: names
                    .get(&UserId::from_db(sender))
                    .map_or_else(|| "Someone".to_owned(), |s| s.name.clone()),
                body,
                at: at.format("%Y-%m-%d %H:%M UTC").to_string(),
            })
            .collect();
        let more = count.saturating_sub(shown.len());
        self.templates
            .render(
                "message.created",
                &recipient(to),
                serde_json::json!({
                    "name": to.name,
                    "count": count,
                    "messages": shown,
                    "more": more,
                    "link": format!("{}/conversations/{conversation}", self.public_url),
                }),
            )
            .map_err(|err| err.to_string())
    }
}

/// A message as a digest shows it.
#[derive(Debug, Serialize)]
struct DigestLine {
    sender: String,
    body: String,
    at: String,
}

impl Consumer for EmailNotifier {
    fn name(&self) -> &'static str {
        "messaging.emails"
    }

    /// Emails go out beside the response.
    fn awaited(&self) -> bool {
        false
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        let notifications = Arc::clone(&self.0);
        Box::pin(async move { notifications.handle(events).await })
    }
}

/// Sends the due message digests every `every`, until the process ends.
pub fn spawn_message_digests(notifications: Arc<EmailNotifications>, every: Duration) {
    tokio::spawn(async move {
        loop {
            match notifications.send_due_digests().await {
                Ok(n) if n as i64 >= DIGEST_BATCH => continue,
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "message digests could not be read"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

fn recipient(contact: &EmailContact) -> Recipient {
    Recipient {
        user_id: Some(contact.id.to_string()),
        name: contact.name.clone(),
        address: contact.email.clone(),
    }
}

/// A price in cents as the emails show it: `123.45`.
fn price(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// Starts the digest of `conversation` for `recipient` unless one is
/// waiting already (it then carries this message too).
fn start_digest(
    conn: &mut DbConn,
    recipient: &str,
    conversation: &str,
    since: NaiveDateTime,
    due_at: NaiveDateTime,
) -> Result<(), DbError> {
    let waiting = message_email_digests::table
        .filter(message_email_digests::recipient_id.eq(recipient))
        .filter(message_email_digests::conversation_id.eq(conversation))
        .count()
        .get_result::<i64>(conn)?;
    if waiting > 0 {
        return Ok(());
    }
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(message_email_digests::table)
            .values((
                message_email_digests::recipient_id.eq(recipient),
                message_email_digests::conversation_id.eq(conversation),
                message_email_digests::since.eq(since),
                message_email_digests::due_at.eq(due_at),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(()),
        Err(err) if quickfix_shared::error::is_unique_violation(&err) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// The messages of `conversation` from others since `since` that
/// `reader` has not read, oldest first: `(sender, body, at)`.
fn unread_since(
    conn: &mut DbConn,
    reader: &str,
    conversation: &str,
    since: NaiveDateTime,
) -> Result<Vec<(String, String, NaiveDateTime)>, DbError> {
    let read_until: Option<NaiveDateTime> = conversation_members::table
        .filter(conversation_members::conversation_id.eq(conversation))
        .filter(conversation_members::user_id.eq(reader))
        .select(conversation_members::last_read_at)
        .first(conn)
        .optional()?;
    let Some(read_until) = read_until else {
        return Ok(Vec::new());
    };
    let from = since.max(read_until + chrono::TimeDelta::microseconds(1));
    Ok(messages::table
        .filter(messages::conversation_id.eq(conversation))
        .filter(messages::sender_id.ne(reader))
        .filter(messages::created_at.ge(from))
        .filter(messages::hidden.eq(false))
        .order((messages::created_at, messages::id))
        .limit(DIGEST_MESSAGES * 5)
        .select((messages::sender_id, messages::body, messages::created_at))
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_prices_read_as_money() {
        Templates::new(TEMPLATES).expect("the templates parse");
        assert_eq!(price(12345), "123.45");
        assert_eq!(price(5), "0.05");
    }
}
