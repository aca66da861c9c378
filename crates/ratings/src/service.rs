//! The ratings crate's rules: who may rate, the double-blind reveal, and
//! the aggregates kept on users' profiles.
//!
//! A rating is revealed (visible to the rated user, in lists and in
//! aggregates) when both parties have rated, or `reveal_after` after the
//! booking's completion, whichever comes first. Revealing and the profile
//! aggregate update happen in one transaction, and aggregates are always
//! recomputed from the revealed rows, so they cannot drift.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDateTime};
use quickfix_bookings_contract::{BookingFacts, BookingStatus};
use quickfix_shared::auth::{AuthUser, Role};
use quickfix_shared::db::{self, DbConn, DbError};
use quickfix_shared::error::is_unique_violation;
use quickfix_shared::ids::{RatingId, UserId};
use quickfix_shared::modlog::{self, ModAction, ModEntry};
use quickfix_shared::pagination::{Cursor, Page};
use quickfix_shared::tasks;

use crate::dto::{CreateRatingRequest, RatingSummary};
use crate::error::RatingsError;
use crate::models::Rating;
use crate::repository as repo;

/// Hidden ratings revealed per pass of the reveal task.
const REVEAL_BATCH: i64 = 500;

/// A star count, 1 to 5: once you hold one, it is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stars(u8);

impl Stars {
    /// Stars from a number, or `None` outside 1..=5.
    pub fn parse(value: u8) -> Option<Self> {
        (1..=5).contains(&value).then_some(Self(value))
    }

    /// The number.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// A user's rating aggregate after a change, for the profile that shows it
/// (the users crate applies it from the `rating.aggregate_changed` event).
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateChange {
    /// The rated user.
    pub user_id: String,
    /// The average of their revealed ratings; `None` without any.
    pub avg: Option<f64>,
    /// How many revealed ratings they have.
    pub count: i32,
    /// Orders changes of one user: later changes carry higher versions.
    pub version: i64,
}

/// Recomputes a user's aggregate from their revealed ratings.
fn refresh_aggregate(conn: &mut DbConn, rated_id: &str) -> Result<AggregateChange, RatingsError> {
    let (sum, count) = repo::revealed_totals(conn, rated_id)?;
    let avg = (count > 0).then(|| round2(sum as f64 / count as f64));
    Ok(AggregateChange {
        user_id: rated_id.to_owned(),
        avg,
        count: i32::try_from(count).unwrap_or(i32::MAX),
        version: db::now().and_utc().timestamp_micros(),
    })
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Reveals the given hidden ratings and refreshes the rated users'
/// aggregates; returns the ratings this call revealed.
fn reveal_all(
    conn: &mut DbConn,
    hidden: Vec<Rating>,
    at: NaiveDateTime,
) -> Result<Revealed, RatingsError> {
    let mut revealed = Vec::new();
    for rating in hidden {
        if repo::reveal(conn, &rating.id, at)? == 1 {
            revealed.push(Rating {
                revealed_at: Some(at),
                ..rating
            });
        }
    }
    let rated: BTreeSet<String> = revealed.iter().map(|r| r.rated_id.clone()).collect();
    let aggregates = rated
        .iter()
        .map(|user| refresh_aggregate(conn, user))
        .collect::<Result<_, _>>()?;
    Ok(Revealed {
        ratings: revealed,
        aggregates,
    })
}

/// Ratings a change revealed and the aggregates that moved with them.
#[derive(Debug, Clone, Default)]
pub struct Revealed {
    /// The ratings revealed.
    pub ratings: Vec<Rating>,
    /// The rated users' new aggregates.
    pub aggregates: Vec<AggregateChange>,
}

/// A new rating and the ratings it caused to be revealed.
#[derive(Debug, Clone)]
pub struct Rated {
    /// The caller's rating as stored.
    pub rating: Rating,
    /// Ratings revealed by this one (both, when it was the second), with
    /// the aggregates they moved.
    pub revealed: Revealed,
}

/// The other party of a booking the caller is a party of: the one they
/// rate; an outsider gets 404.
pub fn other_party(booking: &BookingFacts, user: &AuthUser) -> Result<UserId, RatingsError> {
    if booking.customer_id == user.id {
        Ok(booking.provider_id.clone())
    } else if booking.provider_id == user.id {
        Ok(booking.customer_id.clone())
    } else {
        Err(RatingsError::NotFound("booking"))
    }
}

/// Rates the other party of a completed booking (its facts as the bookings
/// crate answers them; a completed booking never changes), once. When the
/// other party rated already, or the reveal period has passed, the ratings
/// are revealed at once.
pub fn rate(
    conn: &mut DbConn,
    user: &AuthUser,
    booking: &BookingFacts,
    request: &CreateRatingRequest,
    reveal_after: Duration,
    now: NaiveDateTime,
) -> Result<Rated, RatingsError> {
    let stars = Stars::parse(request.stars).ok_or(RatingsError::InvalidStars)?;
    let rated_id = other_party(booking, user)?.into_string();
    let completed_at = match (booking.status, booking.completed_at) {
        (BookingStatus::Completed, Some(at)) => db::stored_time(at),
        _ => return Err(RatingsError::NotCompleted),
    };
    let booking_id = &booking.id;
    db::write_transaction(conn, |conn| {
        repo::lock_pair(conn, booking_id.as_str())?;
        let rating = Rating {
            id: RatingId::generate().into_string(),
            booking_id: booking_id.to_string(),
            rater_id: user.id.to_string(),
            rated_id: rated_id.clone(),
            stars: i32::from(stars.get()),
            comment: request
                .comment
                .as_ref()
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
            booking_completed_at: completed_at,
            created_at: now,
            revealed_at: None,
            hidden: false,
        };
        match repo::insert_rating(conn, &rating) {
            Ok(_) => {}
            Err(err) if is_unique_violation(&err) => return Err(RatingsError::AlreadyRated),
            Err(err) => return Err(err.into()),
        }
        let all = repo::ratings_of_booking(conn, booking_id.as_str())?;
        let time_is_up = completed_at + reveal_after <= now;
        let revealed = if all.len() >= 2 || time_is_up {
            reveal_all(
                conn,
                all.into_iter()
                    .filter(|r| r.revealed_at.is_none())
                    .collect(),
                now,
            )?
        } else {
            Revealed::default()
        };
        // A lone rating waits for the other party or for its time; the
        // scheduler reveals it then, unless the other rating comes first.
        if revealed.ratings.is_empty() {
            tasks::schedule(
                conn,
                REVEAL_TASK,
                booking_id.as_str(),
                completed_at + reveal_after,
            )?;
        } else {
            tasks::cancel(conn, REVEAL_TASK, booking_id.as_str())?;
        }
        let rating = revealed
            .ratings
            .iter()
            .find(|r| r.id == rating.id)
            .cloned()
            .unwrap_or(rating);
        Ok(Rated { rating, revealed })
    })
}

/// Reveals every hidden rating whose booking was completed at least
/// `reveal_after` before `now` (the reveal task; `now` is a parameter so
/// tests control the clock). Returns what it revealed.
pub fn reveal_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    reveal_after: Duration,
) -> Result<Revealed, RatingsError> {
    db::write_transaction(conn, |conn| {
        let due = repo::due_for_reveal(conn, now - reveal_after, REVEAL_BATCH)?;
        reveal_all(conn, due, now)
    })
}

/// The scheduler's kind of the task that reveals a booking's lone rating
/// when its period has passed (subject: the booking).
pub const REVEAL_TASK: &str = "rating.reveal";

/// Reveals the hidden ratings of `booking` whose period has passed by
/// `now`; none when the other party's rating revealed them already (the
/// task re-checks in its transaction).
pub fn reveal_booking(
    conn: &mut DbConn,
    booking: &str,
    now: NaiveDateTime,
    reveal_after: Duration,
) -> Result<Revealed, RatingsError> {
    db::write_transaction(conn, |conn| {
        repo::lock_pair(conn, booking)?;
        let due = repo::ratings_of_booking(conn, booking)?
            .into_iter()
            .filter(|r| r.revealed_at.is_none() && r.booking_completed_at + reveal_after <= now)
            .collect();
        reveal_all(conn, due, now)
    })
}

/// Schedules the reveal of every booking with a hidden rating (at start:
/// ratings made before the scheduler, or whose task a restore lost);
/// scheduling again only moves a waiting task to the same time.
pub fn schedule_hidden_reveals(
    conn: &mut DbConn,
    reveal_after: Duration,
) -> Result<usize, RatingsError> {
    db::write_transaction(conn, |conn| {
        let hidden = repo::hidden_bookings(conn)?;
        for (booking, completed_at) in &hidden {
            tasks::schedule(conn, REVEAL_TASK, booking, *completed_at + reveal_after)?;
        }
        Ok(hidden.len())
    })
}

/// A booking's ratings as a party sees them: its own, and the other
/// party's once revealed.
pub fn booking_ratings(
    conn: &mut DbConn,
    user: &AuthUser,
    booking: &BookingFacts,
) -> Result<Vec<Rating>, RatingsError> {
    other_party(booking, user)?;
    Ok(repo::ratings_of_booking(conn, booking.id.as_str())?
        .into_iter()
        .filter(|r| !r.hidden && (r.rater_id == user.id.as_str() || r.revealed_at.is_some()))
        .collect())
}

/// A user's revealed ratings, newest first, with the summary (the caller
/// checked that the user exists and is active).
pub fn user_ratings(
    conn: &mut DbConn,
    user: &UserId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<(Page<Rating>, RatingSummary), RatingsError> {
    let rows = repo::list_revealed(conn, user.as_str(), cursor, i64::from(limit) + 1)?;
    let page = Page::from_rows(
        rows,
        limit,
        |r| Cursor::new(r.created_at, r.id.clone()),
        |r| r,
    );
    Ok((page, summary(conn, user.as_str())?))
}

/// The figures of a user's revealed ratings.
pub fn summary(conn: &mut DbConn, rated_id: &str) -> Result<RatingSummary, RatingsError> {
    let (sum, count) = repo::revealed_totals(conn, rated_id)?;
    let mut histogram: BTreeMap<String, i64> = (1..=5).map(|s| (s.to_string(), 0)).collect();
    for (stars, n) in repo::revealed_histogram(conn, rated_id)? {
        histogram.insert(stars.to_string(), n);
    }
    Ok(RatingSummary {
        avg: (count > 0).then(|| round2(sum as f64 / count as f64)),
        count,
        histogram,
    })
}

/// Deletes a rating (admins) and recomputes the rated user's aggregate.
pub fn delete_rating(
    conn: &mut DbConn,
    admin: &str,
    id: &RatingId,
) -> Result<AggregateChange, RatingsError> {
    db::write_transaction(conn, |conn| {
        let rating =
            repo::find_rating(conn, id.as_str())?.ok_or(RatingsError::NotFound("rating"))?;
        repo::delete_rating(conn, id.as_str())?;
        modlog::record(
            conn,
            &ModEntry {
                actor_id: admin,
                action: ModAction::DeleteRating,
                target_kind: "rating",
                target_id: id.as_str(),
                reason: None,
            },
        )?;
        refresh_aggregate(conn, &rating.rated_id)
    })
}

/// Hides a rating (an admin, on a report): it leaves every list and the
/// rated user's aggregate, in the modlog. Answers the new aggregate, or
/// `None` when it was hidden already; 404 when there is no such rating.
pub fn hide_rating(
    conn: &mut DbConn,
    admin: &str,
    id: &str,
    reason: &str,
) -> Result<Option<AggregateChange>, RatingsError> {
    db::write_transaction(conn, |conn| {
        let rating = repo::find_rating(conn, id)?.ok_or(RatingsError::NotFound("rating"))?;
        if repo::hide_rating(conn, id)? == 0 {
            return Ok(None);
        }
        modlog::record(
            conn,
            &ModEntry {
                actor_id: admin,
                action: ModAction::HideContent,
                target_kind: "rating",
                target_id: id,
                reason: Some(reason),
            },
        )?;
        Ok(Some(refresh_aggregate(conn, &rating.rated_id)?))
    })
}

/// Whether `viewer` may see a rating: a revealed one anyone, a hidden
/// (not yet revealed) one its rater; admins every one. Hidden by an admin:
/// admins only.
pub fn visible_rating(
    conn: &mut DbConn,
    viewer: &AuthUser,
    id: &str,
) -> Result<Option<Rating>, RatingsError> {
    Ok(repo::find_rating(conn, id)?.filter(|r| {
        viewer.role == Role::Admin
            || (!r.hidden && (r.revealed_at.is_some() || r.rater_id == viewer.id.as_str()))
    }))
}

/// Ratings a booking lost and the aggregates that moved with them.
#[derive(Debug, Clone, Default)]
pub struct Voided {
    /// The ratings deleted.
    pub ratings: Vec<Rating>,
    /// The rated users' new aggregates.
    pub aggregates: Vec<AggregateChange>,
}

/// Deletes every rating of a booking that was cancelled after its
/// completion (a dispute resolved as cancelled), with its pending reveal,
/// and recomputes the rated users' aggregates. A repeat finds nothing.
pub fn void_booking_ratings(conn: &mut DbConn, booking_id: &str) -> Result<Voided, RatingsError> {
    db::write_transaction(conn, |conn| {
        let ratings = repo::ratings_of_booking(conn, booking_id)?;
        if ratings.is_empty() {
            return Ok(Voided::default());
        }
        for rating in &ratings {
            repo::delete_rating(conn, &rating.id)?;
        }
        tasks::cancel(conn, REVEAL_TASK, booking_id)?;
        let rated: BTreeSet<String> = ratings.iter().map(|r| r.rated_id.clone()).collect();
        let aggregates = rated
            .iter()
            .map(|user| refresh_aggregate(conn, user))
            .collect::<Result<_, _>>()?;
        Ok(Voided {
            ratings,
            aggregates,
        })
    })
}

/// The average of every revealed rating, for admin statistics.
pub fn overall_average(conn: &mut DbConn) -> Result<Option<f64>, DbError> {
    let (sum, count) = repo::overall_totals(conn)?;
    Ok((count > 0).then(|| round2(sum as f64 / count as f64)))
}

/// The current time for rating rules.
pub fn now() -> NaiveDateTime {
    db::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_are_one_to_five() {
        assert_eq!(Stars::parse(0), None);
        assert_eq!(Stars::parse(6), None);
        assert_eq!(Stars::parse(3).map(Stars::get), Some(3));
    }

    #[test]
    fn averages_are_rounded_to_two_decimals() {
        assert_eq!(round2(14.0 / 3.0), 4.67);
    }
}
