//! The ratings crate on its own (`quickfix serve --only ratings`): what it
//! knows of the other crates comes from their events over the stream, kept
//! in its own tables, and it answers its own contract questions from them.
//!
//! - [`Following`], an outbox consumer, keeps a booking's parties and state
//!   (`booking.updated`, an older version never overwriting a newer),
//!   accounts with their role and suspension (`user.*`) and logins
//!   (`session.*`).
//! - [`FollowedBookings`] and [`FollowedAccounts`] answer the bookings and
//!   users contracts' questions from those tables; [`FollowedSessionGate`]
//!   is the gate that refuses tokens of suspended accounts and ended logins.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use futures_util::future::BoxFuture;
use quickfix_bookings_contract::{BookingDirectory, BookingEvent, BookingFacts, BookingStatus};
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AccountGate, AuthUser, GateFuture, Role, Standing};
use quickfix_shared::db::{self, DbConn, DbError, DbPool};
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::{BookingId, UserId};
use quickfix_shared::outbox::Consumer;
use quickfix_users_contract::{AccountDirectory, AccountEvent, UserSummary};

use crate::schema::{followed_accounts, followed_bookings, followed_sessions};

/// The kinds the crate on its own follows.
pub fn followed_kinds() -> Vec<&'static str> {
    [AccountEvent::KINDS, &["booking.updated"]].concat()
}

/// Keeps the followed tables from the other crates' events; idempotent and
/// order-insensitive where order can vary.
pub struct Following {
    pool: DbPool,
}

impl Following {
    /// The consumer, writing through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl Consumer for Following {
    fn name(&self) -> &'static str {
        "ratings.following"
    }

    fn handle(&self, events: Vec<DomainEvent>) -> BoxFuture<'static, Result<(), String>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let mut changes = Vec::new();
            for event in &events {
                if let Some(BookingEvent::Updated(updated)) = BookingEvent::read(event)? {
                    changes.push(Change::Booking(BookingFacts::of(&updated.booking), {
                        db::stored_time(updated.booking.updated_at)
                    }));
                } else if let Some(account) = AccountEvent::read(event)? {
                    changes.push(Change::Account(account, event.occurred_at));
                }
            }
            if changes.is_empty() {
                return Ok(());
            }
            db::run(&pool, move |conn| {
                db::write_transaction(conn, |conn| {
                    for change in &changes {
                        apply(conn, change)?;
                    }
                    Ok::<_, DbError>(())
                })
            })
            .await
            .map_err(|err| err.to_string())
        })
    }
}

enum Change {
    Booking(BookingFacts, NaiveDateTime),
    Account(AccountEvent, DateTime<Utc>),
}

fn apply(conn: &mut DbConn, change: &Change) -> QueryResult<()> {
    match change {
        Change::Booking(facts, version) => follow_booking(conn, facts, *version),
        Change::Account(AccountEvent::Registered(registered), _) => {
            let known = followed_accounts::table
                .find(registered.user_id.as_str())
                .count()
                .get_result::<i64>(conn)?;
            if known == 0 {
                diesel::insert_into(followed_accounts::table)
                    .values((
                        followed_accounts::user_id.eq(registered.user_id.as_str()),
                        followed_accounts::role.eq(registered.role.as_str()),
                        followed_accounts::is_active.eq(true),
                        followed_accounts::activation_at.eq(DateTime::UNIX_EPOCH.naive_utc()),
                    ))
                    .execute(conn)?;
            } else {
                diesel::update(followed_accounts::table.find(registered.user_id.as_str()))
                    .set(followed_accounts::role.eq(registered.role.as_str()))
                    .execute(conn)?;
            }
            Ok(())
        }
        Change::Account(AccountEvent::Suspended(user), at) => {
            follow_activation(conn, &user.user_id, false, db::stored_time(*at))
        }
        Change::Account(AccountEvent::Reinstated(user), at) => {
            follow_activation(conn, &user.user_id, true, db::stored_time(*at))
        }
        Change::Account(AccountEvent::Deleted(user), at) => {
            follow_activation(conn, &user.user_id, false, db::stored_time(*at))
        }
        Change::Account(AccountEvent::SessionStarted(started), _) => {
            let known = followed_sessions::table
                .find(&started.session_id)
                .count()
                .get_result::<i64>(conn)?;
            if known == 0 {
                diesel::insert_into(followed_sessions::table)
                    .values((
                        followed_sessions::session_id.eq(&started.session_id),
                        followed_sessions::user_id.eq(started.user_id.as_str()),
                        followed_sessions::ended.eq(false),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        }
        Change::Account(AccountEvent::SessionEnded(ended), _) => {
            let Some(session) = &ended.session_id else {
                diesel::update(
                    followed_sessions::table
                        .filter(followed_sessions::user_id.eq(ended.user_id.as_str())),
                )
                .set(followed_sessions::ended.eq(true))
                .execute(conn)?;
                return Ok(());
            };
            let changed = diesel::update(followed_sessions::table.find(session))
                .set(followed_sessions::ended.eq(true))
                .execute(conn)?;
            if changed == 0 {
                // Ended before its start arrived: remembered as ended.
                diesel::insert_into(followed_sessions::table)
                    .values((
                        followed_sessions::session_id.eq(session),
                        followed_sessions::user_id.eq(ended.user_id.as_str()),
                        followed_sessions::ended.eq(true),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        }
    }
}

fn follow_booking(
    conn: &mut DbConn,
    facts: &BookingFacts,
    version: NaiveDateTime,
) -> QueryResult<()> {
    let stored: Option<NaiveDateTime> = followed_bookings::table
        .find(facts.id.as_str())
        .select(followed_bookings::version)
        .first(conn)
        .optional()?;
    let row = (
        followed_bookings::customer_id.eq(facts.customer_id.as_str()),
        followed_bookings::provider_id.eq(facts.provider_id.as_str()),
        followed_bookings::status.eq(facts.status.as_str()),
        followed_bookings::completed_at.eq(facts.completed_at.map(db::stored_time)),
        followed_bookings::version.eq(version),
    );
    match stored {
        None => {
            diesel::insert_into(followed_bookings::table)
                .values((followed_bookings::booking_id.eq(facts.id.as_str()), row))
                .execute(conn)?;
        }
        Some(stored) if stored <= version => {
            diesel::update(followed_bookings::table.find(facts.id.as_str()))
                .set(row)
                .execute(conn)?;
        }
        Some(_) => {}
    }
    Ok(())
}

fn follow_activation(
    conn: &mut DbConn,
    user: &UserId,
    active: bool,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let stored: Option<NaiveDateTime> = followed_accounts::table
        .find(user.as_str())
        .select(followed_accounts::activation_at)
        .first(conn)
        .optional()?;
    match stored {
        None => {
            // Its registration has not arrived yet; it sets the role then.
            diesel::insert_into(followed_accounts::table)
                .values((
                    followed_accounts::user_id.eq(user.as_str()),
                    followed_accounts::role.eq(Role::Customer.as_str()),
                    followed_accounts::is_active.eq(active),
                    followed_accounts::activation_at.eq(at),
                ))
                .execute(conn)?;
        }
        Some(stored) if stored <= at => {
            diesel::update(followed_accounts::table.find(user.as_str()))
                .set((
                    followed_accounts::is_active.eq(active),
                    followed_accounts::activation_at.eq(at),
                ))
                .execute(conn)?;
        }
        Some(_) => {}
    }
    Ok(())
}

/// The bookings contract answered from `followed_bookings`.
pub struct FollowedBookings {
    pool: DbPool,
}

impl FollowedBookings {
    /// The directory reading through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl BookingDirectory for FollowedBookings {
    fn facts(&self, id: BookingId) -> BoxFuture<'static, Result<Option<BookingFacts>, ApiError>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let row = db::run(&pool, move |conn| {
                followed_bookings::table
                    .find(id.as_str())
                    .select((
                        followed_bookings::customer_id,
                        followed_bookings::provider_id,
                        followed_bookings::status,
                        followed_bookings::completed_at,
                    ))
                    .first::<(String, String, String, Option<NaiveDateTime>)>(conn)
                    .optional()
                    .map(|row| (id, row))
                    .map_err(DbError::Query)
            })
            .await?;
            let (id, row) = row;
            Ok(row.and_then(|(customer, provider, status, completed_at)| {
                Some(BookingFacts {
                    id,
                    customer_id: UserId::from_db(customer),
                    provider_id: UserId::from_db(provider),
                    status: BookingStatus::parse(&status)?,
                    completed_at: completed_at.map(|t| t.and_utc()),
                })
            }))
        })
    }
}

/// The users contract answered from `followed_accounts` (no names: the
/// ratings crate asks only whether an account is active).
pub struct FollowedAccounts {
    pool: DbPool,
}

impl FollowedAccounts {
    /// The directory reading through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl AccountDirectory for FollowedAccounts {
    fn summaries(
        &self,
        ids: Vec<UserId>,
    ) -> BoxFuture<'static, Result<HashMap<UserId, UserSummary>, ApiError>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
            let rows = db::run(&pool, move |conn| {
                followed_accounts::table
                    .filter(followed_accounts::user_id.eq_any(&keys))
                    .select((
                        followed_accounts::user_id,
                        followed_accounts::role,
                        followed_accounts::is_active,
                    ))
                    .load::<(String, String, bool)>(conn)
                    .map_err(DbError::Query)
            })
            .await?;
            Ok(rows
                .into_iter()
                .map(|(id, role, is_active)| {
                    let id = UserId::from_db(id);
                    let summary = UserSummary {
                        id: id.clone(),
                        role: Role::parse(&role).unwrap_or(Role::Customer),
                        name: String::new(),
                        is_active,
                    };
                    (id, summary)
                })
                .collect())
        })
    }

    /// Blocks matter to messaging and offers, never to ratings: the
    /// ratings service follows none and answers none.
    fn blockers_of(
        &self,
        _user: UserId,
    ) -> BoxFuture<'static, Result<std::collections::HashSet<UserId>, ApiError>> {
        Box::pin(std::future::ready(Ok(std::collections::HashSet::new())))
    }
}

/// Refuses tokens of unknown or suspended accounts and of logins that are
/// unknown or ended, as the users events told; answers the account's role.
pub struct FollowedSessionGate {
    pool: DbPool,
}

impl FollowedSessionGate {
    /// The gate reading through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl AccountGate for FollowedSessionGate {
    fn check(&self, user: &AuthUser) -> GateFuture {
        let pool = self.pool.clone();
        let (id, session) = (user.id.to_string(), user.session.clone());
        Box::pin(async move {
            let live = db::run(&pool, move |conn| {
                followed_accounts::table
                    .inner_join(
                        followed_sessions::table
                            .on(followed_sessions::user_id.eq(followed_accounts::user_id)),
                    )
                    .filter(followed_accounts::user_id.eq(&id))
                    .filter(followed_accounts::is_active.eq(true))
                    .filter(followed_sessions::session_id.eq(&session))
                    .filter(followed_sessions::ended.eq(false))
                    .select(followed_accounts::role)
                    .first::<String>(conn)
                    .optional()
                    .map_err(DbError::Query)
            })
            .await
            .map_err(ApiError::from)?;
            // Nothing the ratings service takes is under the verified-email
            // rule (jobs, offers, messages), so it does not follow emails.
            live.as_deref()
                .and_then(Role::parse)
                .map(|role| Standing {
                    role,
                    email_verified: true,
                })
                .ok_or_else(|| {
                    ApiError::unauthorized("this login has ended or the account is inactive")
                })
        })
    }
}
