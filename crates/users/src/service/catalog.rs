//! A provider's catalog of services.

use super::*;

/// A provider's catalog; 404 when the provider is unknown.
pub fn list_catalog(
    conn: &mut DbConn,
    provider: &UserId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<ProviderService>, UsersError> {
    public_provider(conn, provider)?;
    let rows = repo::list_catalog(conn, provider.as_str(), cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |s| Cursor::new(s.created_at, s.id.clone()),
        |s| s,
    ))
}

fn check_catalog(request: &CatalogServiceRequest) -> Result<(), UsersError> {
    if is_slug(&request.category) {
        Ok(())
    } else {
        Err(UsersError::invalid(
            "category",
            "must be a category slug such as `plumbing`",
        ))
    }
}

/// Adds a service to the provider's catalog.
pub fn add_catalog_service(
    conn: &mut DbConn,
    provider: &UserId,
    request: &CatalogServiceRequest,
) -> Result<ProviderService, UsersError> {
    check_catalog(request)?;
    let at = now();
    let row = ProviderService {
        id: ServiceId::generate().into_string(),
        provider_id: provider.to_string(),
        title: request.title.trim().to_owned(),
        description: request.description.clone(),
        category: request.category.clone(),
        price_cents: request.price_cents,
        unit: request.unit.as_str().to_owned(),
        created_at: at,
        updated_at: at,
    };
    db::write_transaction(conn, |conn| {
        repo::insert_catalog_service(conn, &row)?;
        Ok(row.clone())
    })
}

/// Replaces a service of the provider's catalog; 404 when not theirs.
pub fn replace_catalog_service(
    conn: &mut DbConn,
    provider: &UserId,
    service_id: &ServiceId,
    request: &CatalogServiceRequest,
) -> Result<ProviderService, UsersError> {
    check_catalog(request)?;
    let at = now();
    let row = ProviderService {
        id: service_id.to_string(),
        provider_id: provider.to_string(),
        title: request.title.trim().to_owned(),
        description: request.description.clone(),
        category: request.category.clone(),
        price_cents: request.price_cents,
        unit: request.unit.as_str().to_owned(),
        created_at: at,
        updated_at: at,
    };
    db::write_transaction(conn, |conn| {
        repo::update_catalog_service(conn, provider.as_str(), &row)?
            .ok_or(UsersError::NotFound("service"))
    })
}

/// Removes a service of the provider's catalog; 404 when not theirs.
pub fn delete_catalog_service(
    conn: &mut DbConn,
    provider: &UserId,
    service_id: &ServiceId,
) -> Result<(), UsersError> {
    match repo::delete_catalog_service(conn, provider.as_str(), service_id.as_str())? {
        0 => Err(UsersError::NotFound("service")),
        _ => Ok(()),
    }
}
