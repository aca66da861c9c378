//! The sender: claims due emails, delivers them, retries and parks.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use diesel::prelude::*;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::EmailStatus;
use crate::db::{self, DbError, DbPool, MultiBackend};
use crate::schema::email_outbox;

/// `email.*`: where emails go and from whom.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://host:port`, `smtps://user:pass@host`, or unset: files.
    pub smtp_url: Option<String>,
    /// The `From` mailbox, `Name <address>`.
    pub from: String,
    /// Where `.eml` files are written when no SMTP server is set.
    pub dir: PathBuf,
    /// How patient the sender is.
    pub timing: MailTiming,
}

/// How often the sender looks, and how it retries.
#[derive(Debug, Clone, Copy)]
pub struct MailTiming {
    /// Time between two looks at the queue when it was empty.
    pub poll: Duration,
    /// The first retry's delay; each further one doubles it.
    pub backoff: TimeDelta,
    /// Tries before an email is parked.
    pub max_attempts: i32,
    /// How long a claim holds before another sender may take the email
    /// (a sender that died mid-send).
    pub claim: TimeDelta,
    /// The SMTP connection and command timeout.
    pub smtp_timeout: Duration,
}

impl Default for MailTiming {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(500),
            backoff: TimeDelta::seconds(5),
            max_attempts: 8,
            claim: TimeDelta::seconds(120),
            smtp_timeout: Duration::from_secs(15),
        }
    }
}

/// Why the mailer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    /// `email.from` is not a mailbox.
    #[error("email.from is not a mailbox: {0}")]
    From(String),
    /// `email.smtp_url` is not an SMTP URL lettre understands.
    #[error("email.smtp_url: {0}")]
    SmtpUrl(String),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// Emails a pass takes at once.
const BATCH: i64 = 16;

/// Delivers the queued emails.
pub struct Mailer {
    pool: DbPool,
    transport: Transport,
    from: Mailbox,
    timing: MailTiming,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").finish_non_exhaustive()
    }
}

/// An email claimed for one try.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = email_outbox)]
struct Claimed {
    id: String,
    kind: String,
    to_name: String,
    to_address: String,
    subject: String,
    text_body: String,
    html_body: String,
    attempts: i32,
    created_at: chrono::NaiveDateTime,
}

/// How one try ended.
enum Outcome {
    Sent(Option<PathBuf>),
    Failed { error: String, permanent: bool },
}

impl Mailer {
    /// A mailer over `pool` with `settings`.
    pub fn new(pool: DbPool, settings: &MailSettings) -> Result<Arc<Self>, MailSetupError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|err| MailSetupError::From(format!("{err}")))?;
        let transport = match settings
            .smtp_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|err| MailSetupError::SmtpUrl(err.to_string()))?
                    .timeout(Some(settings.timing.smtp_timeout))
                    .pool_config(PoolConfig::new().max_size(4))
                    .build(),
            ),
            None => Transport::Files(settings.dir.clone()),
        };
        Ok(Arc::new(Self {
            pool,
            transport,
            from,
            timing: settings.timing,
        }))
    }

    /// Runs the sender until the process ends.
    pub fn spawn(self: &Arc<Self>) {
        let mailer = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match mailer.send_due().await {
                    Ok(n) if n as i64 >= BATCH => continue,
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "the email queue could not be read"),
                }
                tokio::time::sleep(mailer.timing.poll).await;
            }
        });
    }

    /// One pass: claims the due emails, tries each, records how it went
    /// (the sent ones together, after the pass); answers how many it tried.
    pub async fn send_due(&self) -> Result<usize, DbError> {
        let claim = self.timing.claim;
        let claimed = db::run(&self.pool, move |conn| claim_due(conn, claim)).await?;
        let tried = claimed.len();
        let mut sent = Vec::with_capacity(tried);
        let mut failed = Vec::new();
        for email in claimed {
            let outcome = self.deliver(&email).await;
            log_outcome(&email, &outcome);
            match outcome {
                Outcome::Sent(_) => sent.push(email.id),
                Outcome::Failed { error, permanent } => failed.push((email, error, permanent)),
            }
        }
        // The sent ones first: an error recording a failure must not leave
        // a sent email to be sent again when its claim lapses.
        if !sent.is_empty() {
            db::run(&self.pool, move |conn| mark_sent(conn, &sent)).await?;
        }
        for (email, error, permanent) in failed {
            self.record_failure(email, error, permanent).await?;
        }
        Ok(tried)
    }

    async fn deliver(&self, email: &Claimed) -> Outcome {
        let message = match self.message(email) {
            Ok(message) => message,
            Err(error) => {
                return Outcome::Failed {
                    error,
                    permanent: true,
                };
            }
        };
        match &self.transport {
            Transport::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Outcome::Sent(None),
                Err(err) => Outcome::Failed {
                    permanent: err.is_permanent(),
                    error: err.to_string(),
                },
            },
            Transport::Files(dir) => {
                let name = format!(
                    "{}-{}-{}.eml",
                    email.created_at.format("%Y%m%dT%H%M%S"),
                    email.kind.replace(['.', '/'], "_"),
                    email.id
                );
                match write_file(dir, &name, message.formatted()).await {
                    Ok(path) => Outcome::Sent(Some(path)),
                    Err(err) => Outcome::Failed {
                        error: format!("writing {name}: {err}"),
                        permanent: false,
                    },
                }
            }
        }
    }

    fn message(&self, email: &Claimed) -> Result<Message, String> {
        let address = email
            .to_address
            .parse()
            .map_err(|err| format!("the address is not deliverable: {err}"))?;
        let to = Mailbox::new(Some(email.to_name.clone()), address);
        Message::builder()
            .message_id(None)
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                email.text_body.clone(),
                email.html_body.clone(),
            ))
            .map_err(|err| err.to_string())
    }

    /// Records a failed try: the email waits its backoff, or is parked
    /// when the failure is permanent or its tries are spent.
    async fn record_failure(
        &self,
        email: Claimed,
        error: String,
        permanent: bool,
    ) -> Result<(), DbError> {
        let timing = self.timing;
        db::run(&self.pool, move |conn| {
            let attempts = email.attempts + 1;
            let parked = permanent || attempts >= timing.max_attempts;
            let status = if parked {
                EmailStatus::Parked
            } else {
                EmailStatus::Pending
            };
            let delay = timing.backoff * (1 << (attempts - 1).clamp(0, 12));
            diesel::update(email_outbox::table.find(&email.id))
                .set((
                    email_outbox::status.eq(status.as_str()),
                    email_outbox::attempts.eq(attempts),
                    email_outbox::next_attempt_at.eq(db::now() + delay),
                    email_outbox::claimed_until.eq(None::<chrono::NaiveDateTime>),
                    email_outbox::last_error.eq(Some(error)),
                ))
                .execute(conn)?;
            Ok::<_, DbError>(())
        })
        .await
    }
}

/// Logs how a try went.
fn log_outcome(email: &Claimed, outcome: &Outcome) {
    match outcome {
        Outcome::Sent(Some(path)) => {
            tracing::info!(email.id = %email.id, kind = %email.kind, path = %path.display(), "email written");
        }
        Outcome::Sent(None) => {
            tracing::info!(email.id = %email.id, kind = %email.kind, "email sent");
        }
        Outcome::Failed { error, .. } => {
            tracing::warn!(email.id = %email.id, kind = %email.kind, attempts = email.attempts + 1, %error, "email not sent");
        }
    }
}

/// Marks the emails of `ids` sent, in one statement.
fn mark_sent(conn: &mut db::DbConn, ids: &[String]) -> Result<(), DbError> {
    diesel::update(email_outbox::table.filter(email_outbox::id.eq_any(ids)))
        .set((
            email_outbox::status.eq(EmailStatus::Sent.as_str()),
            email_outbox::attempts.eq(email_outbox::attempts + 1),
            email_outbox::sent_at.eq(Some(db::now())),
            email_outbox::claimed_until.eq(None::<chrono::NaiveDateTime>),
            email_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Claims up to [`BATCH`] due emails for `claim`, oldest first, by one
/// conditional update: of several senders (instances) exactly one takes
/// an email (on PostgreSQL a racing sender's update re-checks the row
/// after the winner's commit and skips it).
fn claim_due(conn: &mut db::DbConn, claim: TimeDelta) -> Result<Vec<Claimed>, DbError> {
    let now = db::now();
    let free = || {
        email_outbox::claimed_until
            .is_null()
            .or(email_outbox::claimed_until.lt(now))
    };
    let due: Vec<String> = email_outbox::table
        .filter(email_outbox::status.eq(EmailStatus::Pending.as_str()))
        .filter(email_outbox::next_attempt_at.le(now))
        .filter(free())
        .order(email_outbox::next_attempt_at)
        .limit(BATCH)
        .select(email_outbox::id)
        .load(conn)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let mut claimed: Vec<Claimed> = diesel::update(
        email_outbox::table
            .filter(email_outbox::id.eq_any(&due))
            .filter(email_outbox::status.eq(EmailStatus::Pending.as_str()))
            .filter(free()),
    )
    .set(email_outbox::claimed_until.eq(Some(now + claim)))
    .returning(<Claimed as Selectable<MultiBackend>>::construct_selection())
    .get_results(conn)?;
    claimed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(claimed)
}

/// Writes `bytes` as `dir/name`, whole or not at all (a temporary file
/// renamed into place), off the async executor.
async fn write_file(dir: &std::path::Path, name: &str, bytes: Vec<u8>) -> std::io::Result<PathBuf> {
    tokio::fs::create_dir_all(dir).await?;
    let path = dir.join(name);
    let partial = dir.join(format!(".{name}.partial"));
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, &path).await?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::{Email, queue_each_once};
    use crate::testing::TestDatabase;

    fn email(n: usize) -> (String, Email) {
        (
            format!("event-{n}|user"),
            Email {
                kind: "offer.created".to_owned(),
                user_id: None,
                to_name: format!("User {n}"),
                to_address: format!("user{n}@example.com"),
                subject: format!("Offer {n}"),
                text: "An offer".to_owned(),
                html: "<p>An offer</p>".to_owned(),
            },
        )
    }

    fn mailer(pool: &DbPool, dir: &std::path::Path) -> Arc<Mailer> {
        Mailer::new(
            pool.clone(),
            &MailSettings {
                smtp_url: None,
                from: "QuickFix <no-reply@example.com>".to_owned(),
                dir: dir.to_owned(),
                timing: MailTiming::default(),
            },
        )
        .expect("a mailer")
    }

    fn written(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .map(|e| {
                        e.expect("an entry")
                            .file_name()
                            .to_string_lossy()
                            .into_owned()
                    })
                    .filter(|name| name.ends_with(".eml"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Emails queued again under the same keys (an event handled twice)
    /// are not stored again, in one batch or in the next.
    #[tokio::test]
    async fn a_key_queued_again_stores_nothing() {
        let db = TestDatabase::new(&[crate::db::MIGRATIONS]);
        let batch: Vec<_> = (0..3).map(email).collect();
        let again = batch.clone();
        let (first, second) = db::run(&db.pool(), move |conn| {
            let first = queue_each_once(conn, &batch)?;
            let second = queue_each_once(conn, &again)?;
            Ok::<_, DbError>((first, second))
        })
        .await
        .expect("queued");
        assert_eq!((first, second), (3, 0));
    }

    /// Two senders (instances) racing over one queue: every email is
    /// written once, by one of them, and recorded as sent.
    #[tokio::test]
    async fn racing_senders_send_each_email_once() {
        let db = TestDatabase::new(&[crate::db::MIGRATIONS]);
        let pool = db.pool();
        let emails: Vec<_> = (0..40).map(email).collect();
        db::run(&pool, move |conn| {
            queue_each_once(conn, &emails).map_err(DbError::from)
        })
        .await
        .expect("queued");
        let dirs = [
            tempfile::tempdir().expect("a directory"),
            tempfile::tempdir().expect("a directory"),
        ];
        let senders: Vec<_> = dirs.iter().map(|d| mailer(&pool, d.path())).collect();
        for _ in 0..10 {
            let passes = senders.iter().map(|s| s.send_due());
            let tried: usize = futures_util::future::join_all(passes)
                .await
                .into_iter()
                .map(|n| n.expect("a pass"))
                .sum();
            if tried == 0 {
                break;
            }
        }
        let mut names: Vec<String> = dirs.iter().flat_map(|d| written(d.path())).collect();
        assert_eq!(names.len(), 40, "every email written once");
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 40, "no email written twice");
        let sent = db::run(&pool, |conn| {
            email_outbox::table
                .filter(email_outbox::status.eq(EmailStatus::Sent.as_str()))
                .filter(email_outbox::attempts.eq(1))
                .filter(email_outbox::claimed_until.is_null())
                .count()
                .get_result::<i64>(conn)
                .map_err(DbError::from)
        })
        .await
        .expect("counted");
        assert_eq!(sent, 40);
    }
}
