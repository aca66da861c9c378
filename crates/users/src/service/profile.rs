//! Profiles: the changes a user may make, avatars, public views.

use super::*;

fn check_len(errors: &mut Vec<FieldError>, field: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if n < min || n > max {
        errors.push(FieldError::new(
            field,
            format!("must be {min} to {max} characters long"),
        ));
    }
}

fn check_unpadded(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    if quickfix_shared::text::is_padded(value) {
        errors.push(FieldError::new(
            field,
            "must not start or end with whitespace",
        ));
    }
}

/// Validates a profile change for a user of `role` and turns it into a
/// changeset.
pub fn profile_changeset(
    current: &User,
    request: &UpdateProfileRequest,
) -> Result<ProfileChangeset, UsersError> {
    let mut errors = Vec::new();
    let is_provider = current.role == Role::Provider.as_str();
    if let Some(name) = &request.name {
        check_len(&mut errors, "name", name, 1, 100);
        if !name.is_empty() && quickfix_shared::text::is_blank(name) {
            errors.push(FieldError::new("name", "must not be blank"));
        }
    }
    if let Some(Some(phone)) = &request.phone {
        check_len(&mut errors, "phone", phone, 3, 32);
        check_unpadded(&mut errors, "phone", phone);
    }
    if let Some(Some(address)) = &request.address {
        check_len(&mut errors, "address", address, 1, 300);
        check_unpadded(&mut errors, "address", address);
    }
    if let Some(Some(category)) = &request.category
        && !is_slug(category)
    {
        errors.push(FieldError::new(
            "category",
            "must be a category slug such as `plumbing`",
        ));
    }
    if let Some(Some(description)) = &request.description {
        check_len(&mut errors, "description", description, 0, 2000);
    }
    if let Some(Some(area)) = &request.service_area {
        check_len(&mut errors, "service_area", area, 0, 200);
    }
    if let Some(Some(rate)) = request.hourly_rate_cents
        && !(1..=100_000_000).contains(&rate)
    {
        errors.push(FieldError::new(
            "hourly_rate_cents",
            "must be between 1 and 100000000",
        ));
    }
    if let Some(Some(location)) = request.location
        && Point::new(location.lat, location.lng).is_none()
    {
        if !(-90.0..=90.0).contains(&location.lat) {
            errors.push(FieldError::new(
                "location.lat",
                "must be between -90 and 90",
            ));
        }
        if !(-180.0..=180.0).contains(&location.lng) {
            errors.push(FieldError::new(
                "location.lng",
                "must be between -180 and 180",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(UsersError::Validation(errors));
    }
    // Every field is checked, then the other role's fields are ignored: one
    // request shape serves both roles, and the role is the token's.
    let request = &request.for_role(is_provider);
    let name = request
        .name
        .as_ref()
        .map(|n| n.trim().to_owned())
        .unwrap_or_else(|| current.name.clone());
    let description = match &request.description {
        Some(d) => d.clone(),
        None => current.description.clone(),
    };
    Ok(ProfileChangeset {
        name: request.name.as_ref().map(|n| n.trim().to_owned()),
        phone: request
            .phone
            .clone()
            .map(|p| p.map(|p| p.trim().to_owned())),
        address: request.address.clone(),
        category: request.category.clone(),
        description: request.description.clone(),
        service_area: request.service_area.clone(),
        hourly_rate_cents: request.hourly_rate_cents,
        is_available: request.is_available,
        lat: request.location.map(|l| l.map(|l| l.lat)),
        lng: request.location.map(|l| l.map(|l| l.lng)),
        search_text: Some(search_text(&name, description.as_deref())),
        updated_at: Some(now()),
    })
}

/// Updates the caller's profile.
pub fn update_profile(
    conn: &mut DbConn,
    user: &UserId,
    request: &UpdateProfileRequest,
) -> Result<User, UsersError> {
    db::write_transaction(conn, |conn| {
        let current = get_user(conn, user)?;
        let change = profile_changeset(&current, request)?;
        Ok(repo::update_profile(conn, user.as_str(), &change)?)
    })
}

/// Points the user's avatar at a stored file; returns the previous URL.
pub fn set_avatar(
    conn: &mut DbConn,
    user: &UserId,
    url: &str,
) -> Result<Option<String>, UsersError> {
    db::write_transaction(conn, |conn| {
        Ok(repo::set_avatar(conn, user.as_str(), url, now())?)
    })
}

/// The public view of a user: 404 for unknown or deactivated users (admins
/// see deactivated ones).
pub fn public_user(
    conn: &mut DbConn,
    id: &UserId,
    viewer_is_admin: bool,
) -> Result<User, UsersError> {
    let user = get_user(conn, id)?;
    if !user.is_active && !viewer_is_admin {
        return Err(UsersError::NotFound("user"));
    }
    Ok(user)
}

/// An active provider by id.
pub fn public_provider(conn: &mut DbConn, id: &UserId) -> Result<User, UsersError> {
    match repo::find_user(conn, id.as_str())? {
        Some(user) if user.role == Role::Provider.as_str() && user.is_active => Ok(user),
        _ => Err(UsersError::NotFound("provider")),
    }
}

/// The storage key of an avatar URL made by this crate.
pub fn avatar_key(url: &str) -> Option<String> {
    let name = url.rsplit('/').next()?;
    let key = format!("avatars/{name}");
    storage::is_safe_key(&key).then_some(key)
}
