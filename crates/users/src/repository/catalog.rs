//! Queries of a provider's catalog.

use super::*;

/// Stores a catalog service.
pub fn insert_catalog_service(conn: &mut DbConn, row: &ProviderService) -> QueryResult<usize> {
    diesel::insert_into(provider_services::table)
        .values(row)
        .execute(conn)
}

/// A provider's catalog, newest first after `cursor`.
pub fn list_catalog(
    conn: &mut DbConn,
    provider_id: &str,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<ProviderService>> {
    let mut query = provider_services::table
        .select(ProviderService::as_select())
        .filter(provider_services::provider_id.eq(provider_id.to_owned()))
        .into_boxed::<MultiBackend>();
    if let Some(cursor) = cursor {
        query = query.filter(
            provider_services::created_at
                .lt(cursor.at)
                .or(provider_services::created_at
                    .eq(cursor.at)
                    .and(provider_services::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((
            provider_services::created_at.desc(),
            provider_services::id.desc(),
        ))
        .limit(limit)
        .load(conn)
}

/// Replaces a catalog service of a provider; `None` when it is not theirs.
pub fn update_catalog_service(
    conn: &mut DbConn,
    provider_id: &str,
    row: &ProviderService,
) -> QueryResult<Option<ProviderService>> {
    diesel::update(
        provider_services::table
            .filter(provider_services::id.eq(&row.id))
            .filter(provider_services::provider_id.eq(provider_id)),
    )
    .set((
        provider_services::title.eq(&row.title),
        provider_services::description.eq(&row.description),
        provider_services::category.eq(&row.category),
        provider_services::price_cents.eq(row.price_cents),
        provider_services::unit.eq(&row.unit),
        provider_services::updated_at.eq(row.updated_at),
    ))
    .returning(<ProviderService as Selectable<MultiBackend>>::construct_selection())
    .get_result(conn)
    .optional()
}

/// Deletes a catalog service of a provider; 0 when it is not theirs.
pub fn delete_catalog_service(
    conn: &mut DbConn,
    provider_id: &str,
    id: &str,
) -> QueryResult<usize> {
    diesel::delete(
        provider_services::table
            .filter(provider_services::id.eq(id))
            .filter(provider_services::provider_id.eq(provider_id)),
    )
    .execute(conn)
}
