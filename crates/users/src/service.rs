//! The users crate's rules. Functions are synchronous, take a connection and
//! own their transactions; handlers run them on the blocking pool. Password
//! hashing has its own async door (`crate::passwords`).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime};
use quickfix_shared::auth::Role;
use quickfix_shared::db::{self, DbConn, DbError};
use quickfix_shared::error::is_unique_violation;
use quickfix_shared::extract::is_slug;
use quickfix_shared::geo::{BoundingBox, Point};
use quickfix_shared::ids::UserId;
use quickfix_shared::pagination::{Cursor, Page, collect_filtered};
use quickfix_shared::{FieldError, storage};
use quickfix_users_contract::UserSummary;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::dto::{CatalogServiceRequest, RegisterRequest, UpdateProfileRequest};
use crate::error::UsersError;
use crate::models::{
    Favorite, LoginSession, NewUser, ProfileChangeset, ProviderService, RefreshToken, User,
};
use crate::repository::{self as repo, ProviderFilter, UserFilter};

/// Lower-cases and trims an email for lookups and uniqueness.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn now() -> NaiveDateTime {
    db::now()
}

fn search_text(name: &str, description: Option<&str>) -> String {
    match description {
        Some(d) => format!("{} {}", name.to_lowercase(), d.to_lowercase()),
        None => name.to_lowercase(),
    }
}

/// Where a login came from.
#[derive(Debug, Clone, Default)]
pub struct SessionMeta {
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
    /// The client's IP.
    pub ip: Option<String>,
}

/// A new refresh token: 256 random bits, base64url.
fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a refresh token: SHA-256, hex.
pub fn hash_refresh_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A user with a fresh login.
#[derive(Debug, Clone)]
pub struct IssuedLogin {
    /// The user.
    pub user: User,
    /// The login session.
    pub session_id: String,
    /// The plain refresh token (only ever handed to the client).
    pub refresh_token: String,
}

fn issue_refresh_token(
    conn: &mut DbConn,
    user_id: &str,
    session_id: &str,
    ttl_secs: i64,
    at: NaiveDateTime,
) -> Result<String, UsersError> {
    let token = new_refresh_token();
    repo::insert_refresh_token(
        conn,
        &RefreshToken {
            token_hash: hash_refresh_token(&token),
            session_id: session_id.to_owned(),
            user_id: user_id.to_owned(),
            created_at: at,
            expires_at: at + Duration::seconds(ttl_secs),
            used_at: None,
            revoked_at: None,
        },
    )?;
    Ok(token)
}

fn start_session(
    conn: &mut DbConn,
    user: User,
    meta: &SessionMeta,
    ttl_secs: i64,
) -> Result<IssuedLogin, UsersError> {
    let at = now();
    let session_id = UserId::generate().into_string();
    repo::insert_session(
        conn,
        &LoginSession {
            id: session_id.clone(),
            user_id: user.id.clone(),
            user_agent: meta.user_agent.clone(),
            ip: meta.ip.clone(),
            created_at: at,
            last_used_at: at,
            revoked_at: None,
        },
    )?;
    let refresh_token = issue_refresh_token(conn, &user.id, &session_id, ttl_secs, at)?;
    Ok(IssuedLogin {
        user,
        session_id,
        refresh_token,
    })
}

/// Inserts an account; a taken email (case-insensitive) is `EmailTaken`,
/// also when two registrations race: the unique index decides.
fn insert_account(
    conn: &mut DbConn,
    email: &str,
    password_hash: String,
    role: Role,
    name: &str,
    phone: Option<&str>,
) -> Result<User, UsersError> {
    let at = now();
    let new = NewUser {
        id: UserId::generate().into_string(),
        email: email.trim().to_owned(),
        email_normalized: normalize_email(email),
        password_hash,
        role: role.as_str().to_owned(),
        name: name.trim().to_owned(),
        phone: phone.map(|p| p.trim().to_owned()),
        search_text: search_text(name.trim(), None),
        created_at: at,
        updated_at: at,
    };
    repo::insert_user(conn, &new).map_err(|err| {
        if is_unique_violation(&err) {
            UsersError::EmailTaken
        } else {
            UsersError::from(err)
        }
    })
}

/// Creates an account of any role without starting a login (tools such as
/// `seed`); the password must already be hashed.
pub fn create_user(
    conn: &mut DbConn,
    email: &str,
    password_hash: String,
    role: Role,
    name: &str,
    phone: Option<&str>,
) -> Result<User, UsersError> {
    db::write_transaction(conn, |conn| {
        insert_account(conn, email, password_hash, role, name, phone)
    })
}

/// Registers a customer or provider.
pub fn register(
    conn: &mut DbConn,
    request: &RegisterRequest,
    password_hash: String,
    meta: &SessionMeta,
    refresh_ttl_secs: i64,
) -> Result<IssuedLogin, UsersError> {
    db::write_transaction(conn, |conn| {
        let user = insert_account(
            conn,
            &request.email,
            password_hash,
            request.role.into(),
            &request.name,
            request.phone.as_deref(),
        )?;
        start_session(conn, user, meta, refresh_ttl_secs)
    })
}

/// The user a login attempt names, if any.
pub fn find_login_candidate(conn: &mut DbConn, email: &str) -> Result<Option<User>, UsersError> {
    Ok(repo::find_user_by_email(conn, &normalize_email(email))?)
}

/// Starts a login for a user whose password was verified.
pub fn login(
    conn: &mut DbConn,
    user: User,
    meta: &SessionMeta,
    refresh_ttl_secs: i64,
) -> Result<IssuedLogin, UsersError> {
    db::write_transaction(conn, |conn| {
        start_session(conn, user, meta, refresh_ttl_secs)
    })
}

/// The outcome of presenting a refresh token.
#[derive(Debug, Clone)]
pub enum RefreshOutcome {
    /// The token was live: here is the next one.
    Rotated(Box<IssuedLogin>),
    /// The token was spent before: its whole login is now revoked.
    Reused {
        /// The revoked login's user.
        user_id: String,
        /// The revoked login.
        session_id: String,
    },
}

/// Rotates a refresh token. Spending is one conditional update, so of
/// concurrent refreshes with one token exactly one rotates; the others find
/// it spent and revoke the login, as any reuse does. The revocation commits,
/// so the caller answers 401 after it. A spent token's login is touched too,
/// but the revocation in the same transaction makes that moot.
pub fn refresh(
    conn: &mut DbConn,
    token: &str,
    refresh_ttl_secs: i64,
) -> Result<RefreshOutcome, UsersError> {
    let hash = hash_refresh_token(token);
    db::write_transaction(conn, |conn| {
        let at = now();
        let Some(stored) = repo::find_refresh_token(conn, &hash)? else {
            return Err(UsersError::InvalidRefreshToken);
        };
        // The login's row first, as every revocation takes it first: one
        // lock order for all, so concurrent refreshes and revocations of a
        // login queue instead of deadlocking.
        repo::touch_session(conn, &stored.session_id, at)?;
        if repo::spend_refresh_token(conn, &hash, at)? == 0 {
            let stored =
                repo::find_refresh_token(conn, &hash)?.ok_or(UsersError::InvalidRefreshToken)?;
            if stored.used_at.is_some() {
                repo::revoke_session(conn, &stored.user_id, &stored.session_id, at)?;
                return Ok(RefreshOutcome::Reused {
                    user_id: stored.user_id,
                    session_id: stored.session_id,
                });
            }
            return Err(UsersError::InvalidRefreshToken);
        }
        let session = repo::find_session(conn, &stored.session_id)?;
        let user = repo::find_user(conn, &stored.user_id)?;
        let (Some(session), Some(user)) = (session, user) else {
            return Err(UsersError::InvalidRefreshToken);
        };
        if session.revoked_at.is_some() || !user.is_active {
            return Err(UsersError::InvalidRefreshToken);
        }
        let refresh_token = issue_refresh_token(conn, &user.id, &session.id, refresh_ttl_secs, at)?;
        Ok(RefreshOutcome::Rotated(Box::new(IssuedLogin {
            user,
            session_id: session.id,
            refresh_token,
        })))
    })
}

/// A fresh refresh token in an existing live login (a replayed
/// registration); `InvalidRefreshToken` when the login has ended.
pub fn reissue(
    conn: &mut DbConn,
    user_id: &str,
    session_id: &str,
    refresh_ttl_secs: i64,
) -> Result<IssuedLogin, UsersError> {
    db::write_transaction(conn, |conn| {
        let session = repo::find_session(conn, session_id)?;
        let user = repo::find_user(conn, user_id)?;
        match (session, user) {
            (Some(session), Some(user))
                if session.revoked_at.is_none() && session.user_id == user.id && user.is_active =>
            {
                let refresh_token =
                    issue_refresh_token(conn, &user.id, &session.id, refresh_ttl_secs, now())?;
                Ok(IssuedLogin {
                    user,
                    session_id: session.id,
                    refresh_token,
                })
            }
            _ => Err(UsersError::InvalidRefreshToken),
        }
    })
}

/// Ends the login a refresh token belongs to and returns its user's and its
/// own id. Unknown tokens are ignored, so logout cannot probe tokens.
pub fn logout(conn: &mut DbConn, token: &str) -> Result<Option<(String, String)>, UsersError> {
    let hash = hash_refresh_token(token);
    db::write_transaction(conn, |conn| {
        let Some(stored) = repo::find_refresh_token(conn, &hash)? else {
            return Ok(None);
        };
        repo::revoke_session(conn, &stored.user_id, &stored.session_id, now())?;
        Ok(Some((stored.user_id, stored.session_id)))
    })
}

/// A user's live logins.
pub fn list_sessions(
    conn: &mut DbConn,
    user: &UserId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<LoginSession>, UsersError> {
    let rows = repo::list_sessions(conn, user.as_str(), cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |s| Cursor::new(s.created_at, s.id.clone()),
        |s| s,
    ))
}

/// Revokes one of the user's logins; `NotFound` when it is not theirs.
pub fn revoke_session(
    conn: &mut DbConn,
    user: &UserId,
    session_id: &str,
) -> Result<(), UsersError> {
    db::write_transaction(conn, |conn| {
        match repo::revoke_session(conn, user.as_str(), session_id, now())? {
            0 => Err(UsersError::NotFound("session")),
            _ => Ok(()),
        }
    })
}

/// The account's current role when the user is active and the login live
/// (`None` otherwise); asked on every authenticated request.
pub fn live_session_role(
    conn: &mut DbConn,
    user: &UserId,
    session_id: &str,
) -> Result<Option<Role>, DbError> {
    Ok(
        match repo::session_state(conn, user.as_str(), session_id)? {
            Some((role, true, None)) => Role::parse(&role),
            _ => None,
        },
    )
}

/// A user by id.
pub fn get_user(conn: &mut DbConn, id: &UserId) -> Result<User, UsersError> {
    repo::find_user(conn, id.as_str())?.ok_or(UsersError::NotFound("user"))
}

/// Stores a new password and revokes every login, after the caller checked
/// the current one.
pub fn set_password(conn: &mut DbConn, user: &UserId, new_hash: &str) -> Result<(), UsersError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        repo::set_password(conn, user.as_str(), new_hash, at)?;
        repo::revoke_all_sessions(conn, user.as_str(), at)?;
        Ok(())
    })
}

/// Stores a password's hash in the current scheme after a login verified
/// it against an outdated one; logins live on.
pub fn upgrade_password_hash(
    conn: &mut DbConn,
    user: &str,
    old: &str,
    new: &str,
) -> Result<(), UsersError> {
    repo::upgrade_password_hash(conn, user, old, new)?;
    Ok(())
}

fn check_len(errors: &mut Vec<FieldError>, field: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if n < min || n > max {
        errors.push(FieldError::new(
            field,
            format!("must be {min} to {max} characters long"),
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
        check_len(&mut errors, "name", name.trim(), 1, 100);
    }
    if let Some(Some(phone)) = &request.phone {
        check_len(&mut errors, "phone", phone.trim(), 3, 32);
    }
    let provider_only = [
        ("category", request.category.is_some()),
        ("description", request.description.is_some()),
        ("service_area", request.service_area.is_some()),
        ("hourly_rate_cents", request.hourly_rate_cents.is_some()),
        ("is_available", request.is_available.is_some()),
        ("location", request.location.is_some()),
    ];
    if is_provider {
        if request.address.is_some() {
            errors.push(FieldError::new(
                "address",
                "providers have a service_area, not an address",
            ));
        }
    } else {
        if let Some(Some(address)) = &request.address {
            check_len(&mut errors, "address", address.trim(), 1, 300);
        }
        for (field, present) in provider_only {
            if present {
                errors.push(FieldError::new(field, "only providers have this field"));
            }
        }
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
        id: UserId::generate().into_string(),
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
    service_id: &str,
    request: &CatalogServiceRequest,
) -> Result<ProviderService, UsersError> {
    check_catalog(request)?;
    let at = now();
    let row = ProviderService {
        id: service_id.to_owned(),
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
    service_id: &str,
) -> Result<(), UsersError> {
    match repo::delete_catalog_service(conn, provider.as_str(), service_id)? {
        0 => Err(UsersError::NotFound("service")),
        _ => Ok(()),
    }
}

/// Remembers a favourite provider; adding twice is harmless.
pub fn add_favorite(
    conn: &mut DbConn,
    customer: &UserId,
    provider: &UserId,
) -> Result<(), UsersError> {
    db::write_transaction(conn, |conn| {
        public_provider(conn, provider)?;
        let row = Favorite {
            customer_id: customer.to_string(),
            provider_id: provider.to_string(),
            created_at: now(),
        };
        match diesel::Connection::transaction(conn, |conn| repo::insert_favorite(conn, &row)) {
            Ok(_) => Ok(()),
            Err(err) if is_unique_violation(&err) => Ok(()),
            Err(err) => Err(err.into()),
        }
    })
}

/// Forgets a favourite provider; removing twice is harmless.
pub fn remove_favorite(
    conn: &mut DbConn,
    customer: &UserId,
    provider: &UserId,
) -> Result<(), UsersError> {
    repo::delete_favorite(conn, customer.as_str(), provider.as_str())?;
    Ok(())
}

/// The customer's favourite providers, most recently added first.
pub fn list_favorites(
    conn: &mut DbConn,
    customer: &UserId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<User>, UsersError> {
    let rows = repo::list_favorites(conn, customer.as_str(), cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |(at, u)| Cursor::new(*at, u.id.clone()),
        |(_, u)| u,
    ))
}

/// The admin user list.
pub fn admin_list_users(
    conn: &mut DbConn,
    filter: &UserFilter,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<User>, UsersError> {
    let rows = repo::list_users(conn, filter, cursor, i64::from(limit) + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |u| Cursor::new(u.created_at, u.id.clone()),
        |u| u,
    ))
}

/// Activates or deactivates a user; deactivation also ends every login.
pub fn admin_set_active(conn: &mut DbConn, id: &UserId, active: bool) -> Result<User, UsersError> {
    db::write_transaction(conn, |conn| {
        let at = now();
        if repo::set_active(conn, id.as_str(), active, at)? == 0 {
            return Err(UsersError::NotFound("user"));
        }
        if !active {
            repo::revoke_all_sessions(conn, id.as_str(), at)?;
        }
        get_user(conn, id)
    })
}

/// Marks a provider verified; 404 when the id is not a provider's.
pub fn admin_verify_provider(conn: &mut DbConn, id: &UserId) -> Result<User, UsersError> {
    db::write_transaction(conn, |conn| {
        if repo::set_verified(conn, id.as_str(), now())? == 0 {
            return Err(UsersError::NotFound("provider"));
        }
        get_user(conn, id)
    })
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

/// Users per role, for admin statistics.
pub fn count_by_role(conn: &mut DbConn) -> Result<HashMap<String, i64>, DbError> {
    Ok(repo::count_by_role(conn)?.into_iter().collect())
}

/// The storage key of an avatar URL made by this crate.
pub fn avatar_key(url: &str) -> Option<String> {
    let name = url.rsplit('/').next()?;
    let key = format!("avatars/{name}");
    storage::is_safe_key(&key).then_some(key)
}

/// Deletes the logins that ended (revoked) or expired (unused for the
/// refresh lifetime) more than `retention` ago, with their refresh tokens,
/// in bounded batches. A live login keeps its used tokens: reuse detection
/// needs them.
pub fn purge_sessions(
    conn: &mut DbConn,
    retention: Duration,
    refresh_ttl: Duration,
) -> Result<usize, DbError> {
    let at = now();
    let (revoked_before, idle_before) = (at - retention, at - refresh_ttl - retention);
    db::purge_in_batches(conn, |conn, batch| {
        db::write_transaction(conn, |conn| {
            Ok(repo::purge_sessions(
                conn,
                revoked_before,
                idle_before,
                batch,
            )?)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> User {
        User {
            id: "u".into(),
            email: "a@b.c".into(),
            email_normalized: "a@b.c".into(),
            password_hash: String::new(),
            role: "customer".into(),
            is_active: true,
            name: "Ana".into(),
            phone: None,
            address: None,
            avatar_url: None,
            category: None,
            description: None,
            service_area: None,
            hourly_rate_cents: None,
            verified: false,
            is_available: true,
            lat: None,
            lng: None,
            rating_avg: None,
            rating_count: 0,
            search_text: "ana".into(),
            created_at: now(),
            updated_at: now(),
        }
    }

    #[test]
    fn emails_are_compared_case_insensitively() {
        assert_eq!(normalize_email("  Ana@Example.COM "), "ana@example.com");
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).map(|v| v.len()).ok(), Some(32));
        assert_eq!(hash_refresh_token(&a).len(), 64);
        assert_ne!(hash_refresh_token(&a), a);
    }

    #[test]
    fn customers_cannot_set_provider_fields() {
        let request = UpdateProfileRequest {
            category: Some(Some("plumbing".into())),
            ..Default::default()
        };
        let Err(UsersError::Validation(errors)) = profile_changeset(&customer(), &request) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].field, "category");
    }

    #[test]
    fn profile_changes_validate_ranges() {
        let mut provider = customer();
        provider.role = "provider".into();
        let request = UpdateProfileRequest {
            hourly_rate_cents: Some(Some(0)),
            location: Some(Some(crate::dto::Location {
                lat: 91.0,
                lng: 0.0,
            })),
            name: Some(String::new()),
            ..Default::default()
        };
        let Err(UsersError::Validation(errors)) = profile_changeset(&provider, &request) else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"hourly_rate_cents"));
        assert!(fields.contains(&"location.lat"));
        assert!(fields.contains(&"name"));
    }
}
