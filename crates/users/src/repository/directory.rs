//! Queries of the public provider directory.

use super::*;

/// Filters of the provider directory.
#[derive(Debug, Clone, Default)]
pub struct ProviderFilter {
    /// Category slug.
    pub category: Option<String>,
    /// Lower-cased words in name or description.
    pub q: Option<String>,
    /// Lowest average rating.
    pub min_rating: Option<f64>,
    /// Only available providers.
    pub available: bool,
    /// Only verified providers.
    pub verified: bool,
    /// The prefilter box of a `near` search.
    pub bbox: Option<BoundingBox>,
    /// Leave out providers who blocked this user.
    pub hidden_from: Option<String>,
}

/// Active providers newest first after `cursor`, at most `limit` rows.
pub fn list_providers(
    conn: &mut DbConn,
    filter: &ProviderFilter,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .select(User::as_select())
        .filter(users::role.eq(Role::Provider.as_str()))
        .filter(users::is_active.eq(true))
        .into_boxed::<MultiBackend>();
    if let Some(category) = &filter.category {
        query = query.filter(users::category.eq(category.clone()));
    }
    if let Some(q) = &filter.q {
        query = query.filter(users::search_text.like(contains_pattern(q)).escape('\\'));
    }
    if let Some(min) = filter.min_rating {
        query = query.filter(users::rating_avg.ge(min));
    }
    if filter.available {
        query = query.filter(users::is_available.eq(true));
    }
    if filter.verified {
        query = query.filter(users::verified.eq(true));
    }
    if let Some(viewer) = &filter.hidden_from {
        query = query.filter(diesel::dsl::not(diesel::dsl::exists(
            crate::schema::blocks::table
                .filter(crate::schema::blocks::blocker_id.eq(users::id))
                .filter(crate::schema::blocks::blocked_id.eq(viewer.clone())),
        )));
    }
    if let Some(bbox) = &filter.bbox {
        query = query.filter(users::lat.between(bbox.min_lat, bbox.max_lat));
        match bbox.lng_ranges.as_slice() {
            [] => {}
            [(west, east)] => query = query.filter(users::lng.between(*west, *east)),
            [(w1, e1), (w2, e2), ..] => {
                query = query.filter(
                    users::lng
                        .between(*w1, *e1)
                        .or(users::lng.between(*w2, *e2)),
                );
            }
        }
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            users::created_at.lt(cursor.at).or(users::created_at
                .eq(cursor.at)
                .and(users::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((users::created_at.desc(), users::id.desc()))
        .limit(limit)
        .load(conn)
}
