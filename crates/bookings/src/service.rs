//! The bookings crate's rules: accepting an offer into a booking, the
//! lifecycle (see `lifecycle`), the timeline and live location. Functions
//! are synchronous, take a connection and own their transactions.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use quickfix_bookings_contract::{BookingFacts, BookingReminder, SYSTEM_ACTOR};
use quickfix_jobs_contract::AcceptedOffer;
use quickfix_shared::auth::{AuthUser, Role};
use quickfix_shared::db::{self, DbConn, DbError};
use quickfix_shared::ids::{BookingId, UserId};
use quickfix_shared::modlog::{self, ModAction, ModEntry};
use quickfix_shared::pagination::{Cursor, Page};
use quickfix_shared::tasks;

use crate::BookingTimers;
use crate::dto::LocationUpdateRequest;
use crate::error::BookingsError;
use crate::lifecycle::{self, Action, Party, Refusal, Status};
use crate::models::{Booking, BookingEvent, LocationPoint};
use crate::repository::{self as repo, Scope, TransitionChangeset};

fn now() -> NaiveDateTime {
    db::now()
}

/// How live location is bounded.
#[derive(Debug, Clone, Copy)]
pub struct LocationPolicy {
    /// The shortest time between two updates of one booking.
    pub min_interval: Duration,
    /// Positions kept per booking (older ones are dropped).
    pub keep: i64,
    /// Positions shown in the trail.
    pub trail: i64,
}

impl Default for LocationPolicy {
    fn default() -> Self {
        Self {
            min_interval: Duration::seconds(1),
            keep: 200,
            trail: 50,
        }
    }
}

/// The caller's relation to a booking.
pub fn party_of(booking: &Booking, user: &AuthUser) -> Party {
    if booking.customer_id == user.id.as_str() {
        Party::Customer
    } else if booking.provider_id == user.id.as_str() {
        Party::Provider
    } else if user.role == Role::Admin {
        Party::Admin
    } else {
        Party::Outsider
    }
}

fn append_event(
    conn: &mut DbConn,
    booking_id: &str,
    actor: &str,
    from: Option<Status>,
    to: Status,
    reason: Option<String>,
    at: NaiveDateTime,
) -> Result<(), BookingsError> {
    let seq = repo::next_seq(conn, booking_id)?;
    repo::insert_event(
        conn,
        &BookingEvent {
            id: BookingId::generate().into_string(),
            booking_id: booking_id.to_owned(),
            seq,
            actor_id: actor.to_owned(),
            from_status: from.map(|s| s.as_str().to_owned()),
            to_status: to.as_str().to_owned(),
            reason,
            created_at: at,
        },
    )?;
    Ok(())
}

/// Makes the booking an accepted offer becomes, with its first timeline
/// entry, unless it exists: the route that accepted and the consumer of
/// `offer.accepted` both call this, and whichever comes second finds the
/// booking made (the booking id is the jobs command's, and `job_id` is
/// unique). Answers the booking and whether this call made it.
pub fn open_booking(
    conn: &mut DbConn,
    accepted: &AcceptedOffer,
    timers: &BookingTimers,
) -> Result<(Booking, bool), BookingsError> {
    db::write_transaction(conn, |conn| {
        if let Some(existing) = repo::find_booking(conn, accepted.booking_id.as_str())? {
            return Ok((existing, false));
        }
        let at = now();
        let booking = Booking {
            id: accepted.booking_id.to_string(),
            job_id: accepted.job_id.to_string(),
            offer_id: accepted.offer_id.to_string(),
            customer_id: accepted.customer_id.to_string(),
            provider_id: accepted.provider_id.to_string(),
            price_cents: accepted.price_cents,
            status: Status::Confirmed.as_str().to_owned(),
            scheduled_for: accepted.scheduled_for.map(db::stored_time),
            started_at: None,
            completed_at: None,
            cancelled_at: None,
            cancel_reason: None,
            created_at: at,
            updated_at: at,
        };
        repo::insert_booking(conn, &booking)?;
        if let Some(planned) = booking.scheduled_for {
            let remind_at = planned - timers.reminder_before;
            if remind_at > at {
                tasks::schedule_new(conn, REMIND_TASK, &booking.id, remind_at)?;
            }
            tasks::schedule_new(
                conn,
                NO_SHOW_TASK,
                &booking.id,
                planned + timers.no_show_after,
            )?;
        }
        append_event(
            conn,
            &booking.id,
            accepted.customer_id.as_str(),
            None,
            Status::Confirmed,
            None,
            at,
        )?;
        Ok((booking, true))
    })
}

/// The scheduler's kind of a booking's reminder (subject: the booking).
pub const REMIND_TASK: &str = "booking.remind";
/// The scheduler's kind of a booking's no-show check (subject: the booking).
pub const NO_SHOW_TASK: &str = "booking.no_show";

/// The reminder of `id` when it is still `confirmed` with a planned time;
/// `None` when it moved on (started, cancelled) since the task was made.
pub fn reminder_of(conn: &mut DbConn, id: &str) -> Result<Option<BookingReminder>, BookingsError> {
    Ok(repo::find_booking(conn, id)?
        .filter(|b| b.status == Status::Confirmed.as_str())
        .and_then(|b| {
            Some(BookingReminder {
                booking_id: BookingId::from_db(b.id.clone()),
                customer_id: UserId::from_db(b.customer_id.clone()),
                provider_id: UserId::from_db(b.provider_id.clone()),
                scheduled_for: b.scheduled_for?.and_utc(),
            })
        }))
}

/// Cancels `id` with reason `no_show` when it is still `confirmed` and its
/// planned time passed `no_show_after` ago; `None` when it started, ended
/// or was moved by hand since the task was made (it is left alone).
pub fn cancel_no_show(
    conn: &mut DbConn,
    id: &str,
    no_show_after: Duration,
) -> Result<Option<Booking>, BookingsError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        let Some(booking) = repo::find_booking(conn, id)? else {
            return Ok(None);
        };
        let due = booking
            .scheduled_for
            .is_some_and(|planned| planned + no_show_after <= at);
        if booking.status != Status::Confirmed.as_str() || !due {
            return Ok(None);
        }
        let change = TransitionChangeset {
            status: Status::Cancelled.as_str().to_owned(),
            started_at: None,
            completed_at: None,
            cancelled_at: Some(at),
            cancel_reason: Some(NO_SHOW.to_owned()),
            updated_at: at,
        };
        if repo::transition(conn, id, Status::Confirmed.as_str(), &change)? == 0 {
            return Ok(None);
        }
        append_event(
            conn,
            id,
            SYSTEM_ACTOR,
            Some(Status::Confirmed),
            Status::Cancelled,
            Some(NO_SHOW.to_owned()),
            at,
        )?;
        Ok(repo::find_booking(conn, id)?)
    })
}

/// The cancel reason of a booking never started.
pub const NO_SHOW: &str = "no_show";

/// A booking the caller may see (a party or an admin); 404 otherwise.
pub fn get_booking(
    conn: &mut DbConn,
    user: &AuthUser,
    id: &BookingId,
) -> Result<Booking, BookingsError> {
    let booking =
        repo::find_booking(conn, id.as_str())?.ok_or(BookingsError::NotFound("booking"))?;
    match party_of(&booking, user) {
        Party::Outsider => Err(BookingsError::NotFound("booking")),
        _ => Ok(booking),
    }
}

/// The caller's bookings (admins: all), newest first.
pub fn list_bookings(
    conn: &mut DbConn,
    user: &AuthUser,
    status: Option<Status>,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<Booking>, BookingsError> {
    let scope = if user.role == Role::Admin {
        Scope::All
    } else {
        Scope::Party(user.id.to_string())
    };
    let rows = repo::list_bookings(
        conn,
        &scope,
        status.map(Status::as_str),
        cursor,
        i64::from(limit) + 1,
    )?;
    Ok(Page::from_rows(
        rows,
        limit,
        |b| Cursor::new(b.created_at, b.id.clone()),
        |b| b,
    ))
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Start => "start",
        Action::Complete => "complete",
        Action::Cancel => "cancel",
        Action::Dispute => "dispute",
        Action::Resolve(_) => "resolve",
    }
}

/// The cancel reason of a booking whose dispute was resolved as cancelled.
pub const DISPUTE_CANCELLED: &str = "dispute";

/// Applies a lifecycle action with its reason (a cancellation's, a
/// dispute's, a resolution's note) and appends it to the timeline, in one
/// transaction. A dispute is refused after `timers.dispute_window` from the
/// completion, and for a booking disputed before.
pub fn apply(
    conn: &mut DbConn,
    user: &AuthUser,
    id: &BookingId,
    action: Action,
    reason: Option<String>,
    timers: &BookingTimers,
) -> Result<Booking, BookingsError> {
    db::write_transaction(conn, |conn| {
        let booking =
            repo::find_booking(conn, id.as_str())?.ok_or(BookingsError::NotFound("booking"))?;
        let from = Status::parse(&booking.status).ok_or(BookingsError::NotFound("booking"))?;
        let to =
            lifecycle::next(from, action, party_of(&booking, user)).map_err(
                |refusal| match refusal {
                    Refusal::NotVisible => BookingsError::NotFound("booking"),
                    Refusal::NotAllowed => {
                        BookingsError::Forbidden("your role on this booking does not allow this")
                    }
                    Refusal::InvalidTransition => BookingsError::InvalidTransition {
                        from: from.as_str(),
                        action: action_name(action),
                    },
                },
            )?;
        let at = now();
        if action == Action::Dispute {
            let open = booking
                .completed_at
                .is_some_and(|done| at <= done + timers.dispute_window);
            if !open || repo::ever_was(conn, id.as_str(), Status::Disputed.as_str())? {
                return Err(BookingsError::DisputeWindowClosed);
            }
        }
        let resolving = matches!(action, Action::Resolve(_));
        let change = TransitionChangeset {
            status: to.as_str().to_owned(),
            started_at: (to == Status::InProgress).then_some(at),
            // A completion upheld keeps the time the work was done.
            completed_at: (to == Status::Completed && !resolving).then_some(at),
            cancelled_at: (to == Status::Cancelled).then_some(at),
            cancel_reason: if resolving {
                (to == Status::Cancelled).then(|| DISPUTE_CANCELLED.to_owned())
            } else {
                reason.clone().filter(|_| to == Status::Cancelled)
            },
            updated_at: at,
        };
        if repo::transition(conn, id.as_str(), from.as_str(), &change)? == 0 {
            return Err(BookingsError::InvalidTransition {
                from: from.as_str(),
                action: action_name(action),
            });
        }
        if resolving {
            modlog::record(
                conn,
                &ModEntry {
                    actor_id: user.id.as_str(),
                    action: ModAction::ResolveDispute,
                    target_kind: "booking",
                    target_id: id.as_str(),
                    reason: reason.as_deref(),
                },
            )?;
        }
        append_event(
            conn,
            id.as_str(),
            user.id.as_str(),
            Some(from),
            to,
            reason,
            at,
        )?;
        // The job mirrors the end from the `booking.updated` event the
        // caller stores with this change (the jobs crate consumes it).
        if !is_live(to) {
            // Where the provider was is nobody's business once it is over.
            repo::delete_locations(conn, id.as_str())?;
        }
        repo::find_booking(conn, id.as_str())?.ok_or(BookingsError::NotFound("booking"))
    })
}

/// A booking's timeline, oldest first; parties and admins only.
pub fn list_events(
    conn: &mut DbConn,
    user: &AuthUser,
    id: &BookingId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<BookingEvent>, BookingsError> {
    get_booking(conn, user, id)?;
    let after = cursor.and_then(|c| c.id.parse::<i32>().ok()).unwrap_or(0);
    let rows = repo::list_events(conn, id.as_str(), after, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |e| Cursor::new(e.created_at, e.seq.to_string()),
        |e| e,
    ))
}

/// Records the provider's position on an active booking, refusing updates
/// faster than the policy allows and keeping only the newest positions.
pub fn record_location(
    conn: &mut DbConn,
    user: &AuthUser,
    id: &BookingId,
    update: &LocationUpdateRequest,
    policy: LocationPolicy,
) -> Result<(Booking, LocationPoint), BookingsError> {
    db::write_transaction(conn, |conn| {
        let booking = get_booking(conn, user, id)?;
        if party_of(&booking, user) != Party::Provider {
            return Err(BookingsError::Forbidden(
                "only the booking's provider shares location",
            ));
        }
        let status = Status::parse(&booking.status).unwrap_or(Status::Cancelled);
        if !status.is_active() {
            return Err(BookingsError::NotActive);
        }
        let at = now();
        if let Some(last) = repo::recent_locations(conn, id.as_str(), 1)?.first() {
            let next_allowed = last.recorded_at + policy.min_interval;
            if at < next_allowed {
                let wait = (next_allowed - at).num_milliseconds().max(1) as u64;
                return Err(BookingsError::TooFrequent {
                    retry_after_secs: wait.div_ceil(1000),
                });
            }
        }
        let point = LocationPoint {
            id: BookingId::generate().into_string(),
            booking_id: booking.id.clone(),
            lat: update.lat,
            lng: update.lng,
            heading: update.heading,
            speed: update.speed,
            recorded_at: at,
        };
        repo::insert_location(conn, &point)?;
        repo::prune_locations(conn, id.as_str(), policy.keep)?;
        Ok((booking, point))
    })
}

/// Whether a booking in this state shares live location.
fn is_live(status: Status) -> bool {
    matches!(status, Status::Confirmed | Status::InProgress)
}

/// The latest position and recent trail (oldest first); parties only, and
/// only while the booking is live: an ended booking's trail is deleted.
pub fn track(
    conn: &mut DbConn,
    user: &AuthUser,
    id: &BookingId,
    policy: LocationPolicy,
) -> Result<Vec<LocationPoint>, BookingsError> {
    let booking = get_booking(conn, user, id)?;
    if !matches!(party_of(&booking, user), Party::Customer | Party::Provider) {
        return Err(BookingsError::NotFound("booking"));
    }
    if !Status::parse(&booking.status).is_some_and(is_live) {
        return Ok(Vec::new());
    }
    let mut points = repo::recent_locations(conn, id.as_str(), policy.trail)?;
    points.reverse();
    Ok(points)
}

/// A booking's facts, for other crates (ratings).
pub fn booking_facts(conn: &mut DbConn, id: &BookingId) -> Result<Option<BookingFacts>, DbError> {
    Ok(
        repo::find_booking(conn, id.as_str())?.map(|b| BookingFacts {
            id: BookingId::from_db(b.id),
            customer_id: UserId::from_db(b.customer_id),
            provider_id: UserId::from_db(b.provider_id),
            status: Status::parse(&b.status).unwrap_or(Status::Confirmed),
            completed_at: b.completed_at.map(|t| t.and_utc()),
        }),
    )
}

/// Bookings per state, for admin statistics.
pub fn count_by_status(conn: &mut DbConn) -> Result<HashMap<String, i64>, DbError> {
    Ok(repo::count_by_status(conn)?.into_iter().collect())
}
