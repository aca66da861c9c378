//! Service categories: listed by anyone, made by admins.

use super::*;
use quickfix_shared::modlog::{self, ModAction, ModEntry};

/// Every category.
pub fn list_categories(conn: &mut DbConn) -> Result<Vec<Category>, JobsError> {
    Ok(repo::list_categories(conn)?)
}

/// Adds a category (admins).
pub fn create_category(
    conn: &mut DbConn,
    admin: &str,
    request: &CreateCategoryRequest,
) -> Result<Category, JobsError> {
    if !is_slug(&request.slug) {
        return Err(JobsError::invalid(
            "slug",
            "must be lower-case letters, digits and dashes",
        ));
    }
    let other = repo::find_category(conn, "other")?;
    let (low, median, high) = other.map_or((5000, 12000, 30000), |o| {
        (
            o.fallback_low_cents,
            o.fallback_median_cents,
            o.fallback_high_cents,
        )
    });
    let category = Category {
        slug: request.slug.clone(),
        name: request.name.trim().to_owned(),
        keywords: request
            .keywords
            .iter()
            .map(|k| k.trim().to_lowercase())
            .filter(|k| !k.is_empty() && !k.contains(','))
            .collect::<Vec<_>>()
            .join(","),
        fallback_low_cents: low,
        fallback_median_cents: median,
        fallback_high_cents: high,
        created_at: now(),
    };
    db::write_transaction(conn, |conn| {
        match diesel::Connection::transaction(conn, |conn| repo::insert_category(conn, &category)) {
            Ok(_) => {
                modlog::record(
                    conn,
                    &ModEntry {
                        actor_id: admin,
                        action: ModAction::AddCategory,
                        target_kind: "category",
                        target_id: &category.slug,
                        reason: None,
                    },
                )?;
                Ok(category.clone())
            }
            Err(err) if is_unique_violation(&err) => Err(JobsError::CategoryExists),
            Err(err) => Err(err.into()),
        }
    })
}

pub(super) fn check_category(
    conn: &mut DbConn,
    slug: &str,
    errors: &mut Vec<FieldError>,
) -> Result<(), JobsError> {
    if !is_slug(slug) || repo::find_category(conn, slug)?.is_none() {
        errors.push(unknown_category());
    }
    Ok(())
}

/// The field error of a category that does not exist.
pub(super) fn unknown_category() -> FieldError {
    FieldError::new("category", "is not a known category (see GET /categories)")
}
