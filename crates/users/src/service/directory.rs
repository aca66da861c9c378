//! The public provider directory, and what other crates are told of users.

use super::*;

/// A directory query, validated.
#[derive(Debug, Clone, Default)]
pub struct DirectoryQuery {
    /// Category slug.
    pub category: Option<String>,
    /// Words in name or description.
    pub q: Option<String>,
    /// Center and radius.
    pub near: Option<(Point, f64)>,
    /// Lowest rating.
    pub min_rating: Option<f64>,
    /// Only available.
    pub available: bool,
    /// Only verified.
    pub verified: bool,
    /// The signed-in viewer: providers who blocked them are left out.
    pub viewer: Option<String>,
}

/// Rows examined per batch when a `near` search filters by exact distance.
const NEAR_BATCH: i64 = 200;

/// The provider directory, newest first, each with its distance from
/// `near` when given. With `near`, the SQL query is narrowed by a bounding
/// box and the exact great-circle distance decides.
pub fn list_providers(
    conn: &mut DbConn,
    query: &DirectoryQuery,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<(User, Option<f64>)>, UsersError> {
    let filter = ProviderFilter {
        category: query.category.clone(),
        q: query.q.as_ref().map(|q| q.trim().to_lowercase()),
        min_rating: query.min_rating,
        available: query.available,
        verified: query.verified,
        hidden_from: query.viewer.clone(),
        bbox: query
            .near
            .map(|(center, radius)| BoundingBox::around(center, radius)),
    };
    let position = |u: &User| Cursor::new(u.created_at, u.id.clone());
    let rows = match query.near {
        None => repo::list_providers(conn, &filter, cursor, i64::from(limit) + 1)?
            .into_iter()
            .map(|u| (u, None))
            .collect(),
        Some((center, radius)) => collect_filtered(
            cursor,
            limit,
            NEAR_BATCH,
            |after, n| repo::list_providers(conn, &filter, after, n),
            position,
            |user| {
                let distance = center.distance_km(&Point {
                    lat: user.lat?,
                    lng: user.lng?,
                });
                (distance <= radius).then_some((user, Some(distance)))
            },
        )?,
    };
    Ok(Page::from_rows(
        rows,
        limit,
        |(u, _)| position(u),
        |row| row,
    ))
}

fn summary_of(user: &User) -> UserSummary {
    UserSummary {
        id: UserId::from_db(user.id.clone()),
        role: Role::parse(&user.role).unwrap_or(Role::Customer),
        name: user.name.clone(),
        is_active: user.is_active,
    }
}

/// Summaries of many users in one query, for other crates' lists.
pub fn user_summaries(
    conn: &mut DbConn,
    ids: &[UserId],
) -> Result<HashMap<UserId, UserSummary>, DbError> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    Ok(repo::find_users(conn, &ids)?
        .iter()
        .map(|u| (UserId::from_db(u.id.clone()), summary_of(u)))
        .collect())
}

/// Where to email those of `ids` who are active and have not turned the
/// notification `kind` off, in two queries.
pub fn email_contacts(
    conn: &mut DbConn,
    ids: &[UserId],
    kind: &str,
) -> Result<Vec<EmailContact>, DbError> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let off: Vec<String> = repo::choices_for_kind(conn, &ids, kind)?
        .into_iter()
        .filter(|(_, on)| !on)
        .map(|(user, _)| user)
        .collect();
    Ok(repo::find_users(conn, &ids)?
        .into_iter()
        .filter(|u| u.is_active && !off.contains(&u.id))
        .map(|u| EmailContact {
            id: UserId::from_db(u.id),
            name: u.name,
            email: u.email,
        })
        .collect())
}

/// The user's email notification choices: every kind, on unless turned off.
pub fn notification_preferences(
    conn: &mut DbConn,
    user: &UserId,
) -> Result<Vec<(&'static str, bool)>, DbError> {
    let chosen = repo::notification_choices(conn, user.as_str())?;
    Ok(EMAIL_NOTIFICATION_KINDS
        .iter()
        .map(|kind| {
            let on = chosen
                .iter()
                .find(|(k, _)| k == kind)
                .is_none_or(|(_, on)| *on);
            (*kind, on)
        })
        .collect())
}

/// Stores the choices given (the others stay) and answers the whole set.
pub fn set_notification_preferences(
    conn: &mut DbConn,
    user: &UserId,
    choices: &[(&'static str, bool)],
) -> Result<Vec<(&'static str, bool)>, DbError> {
    db::write_transaction(conn, |conn| {
        for (kind, on) in choices {
            repo::set_notification_choice(conn, user.as_str(), kind, *on)?;
        }
        notification_preferences(conn, user)
    })
}

/// Applies a user's rating aggregate from the ratings crate's
/// `rating.aggregate_changed` event; a stale one (lower version) changes
/// nothing, so late and repeated events are harmless.
pub fn set_rating_aggregate(
    conn: &mut DbConn,
    id: &UserId,
    avg: Option<f64>,
    count: i32,
    version: i64,
) -> Result<(), DbError> {
    repo::set_rating(conn, id.as_str(), avg, count, version)?;
    Ok(())
}
