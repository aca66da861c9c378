//! Provider verification documents: the provider's submission and its
//! files (private to the provider and admins), and the admin queue.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, LOCATION};
use actix_web::{HttpResponse, get, post, web};
use futures_util::StreamExt;
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AdminUser, AuthUser, ProviderUser};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::openapi::{
    BadRequest, Conflict, FileBytes, Forbidden, NotFound, PayloadTooLarge, ServiceUnavailable,
    TooManyRequests, Unauthorized, ValidationFailed,
};
use quickfix_shared::pagination::{Page, page_of};
use quickfix_shared::storage;
use quickfix_shared::text;

use crate::UsersState;
use crate::commands::Uploaded;
use crate::dto::{
    ListVerificationsQuery, RejectVerificationRequest, VerificationResponse, VerificationUpload,
};
use crate::error::UsersError;
use crate::service;

/// Files one submission may have.
const MAX_FILES: usize = 5;
/// The longest file name kept.
const MAX_FILENAME_CHARS: usize = 255;

/// Reads the `files` fields: 1..=5 of them, together within `limit` bytes
/// (413 beyond), names without control characters; other fields are
/// refused.
async fn read_files(mut multipart: Multipart, limit: usize) -> Result<Vec<Uploaded>, UsersError> {
    let mut files = Vec::new();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field =
            field.map_err(|_| UsersError::invalid("files", "the multipart body is malformed"))?;
        if field.name() != Some("files") {
            return Err(UsersError::invalid("files", "only `files` fields are read"));
        }
        if files.len() == MAX_FILES {
            return Err(UsersError::invalid("files", "at most 5 files"));
        }
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(|name| name.chars().take(MAX_FILENAME_CHARS).collect::<String>())
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| format!("document-{}", files.len() + 1));
        text::check_line("files", &filename).map_err(|err| UsersError::Validation(vec![err]))?;
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|_| UsersError::invalid("files", "the upload was cut short"))?;
            total += chunk.len();
            if total > limit {
                return Err(UsersError::TooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        files.push(Uploaded { filename, bytes });
    }
    if files.is_empty() {
        return Err(UsersError::invalid(
            "files",
            "at least one file is required",
        ));
    }
    Ok(files)
}

/// Submits verification documents (providers): 1..5 PNG, JPEG or PDF files
/// in the multipart field `files`, together within the upload limit and
/// counted in the daily upload quota; the type is read from the bytes.
/// Stored privately; the profile's `verification` becomes `pending`. While
/// one submission is pending another is 409.
#[utoipa::path(
    tag = "providers",
    operation_id = "submit_verification",
    request_body(content = VerificationUpload, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The submission, pending.", body = VerificationResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/providers/me/verification")]
pub async fn submit_verification(
    provider: ProviderUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    let uploaded = read_files(multipart, state.config.upload_limit_bytes).await?;
    let total: usize = uploaded.iter().map(|f| f.bytes.len()).sum();
    crate::commands::check_documents(&uploaded)?;
    state.quotas.upload(&provider.id, total as u64)?;
    let (verification, rows) =
        crate::commands::submit_verification(&pool, &state.storage, provider.id.clone(), uploaded)
            .await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((LOCATION, "/api/v1/providers/me/verification"))
        .json(VerificationResponse::of(&verification, &rows)))
}

/// The caller's latest verification submission (providers); none yet: 404.
#[utoipa::path(
    tag = "providers",
    operation_id = "get_my_verification",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The latest submission.", body = VerificationResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/providers/me/verification")]
pub async fn get_my_verification(
    provider: ProviderUser,
    pool: web::Data<DbPool>,
) -> Result<web::Json<VerificationResponse>, ApiError> {
    let (verification, files) = db::run(&pool, move |conn| {
        service::latest_verification(conn, &provider.id)
    })
    .await?;
    Ok(web::Json(VerificationResponse::of(&verification, &files)))
}

/// A verification file's bytes: its provider and admins only (anyone else
/// gets 404, as for a file that does not exist).
#[utoipa::path(
    tag = "providers",
    operation_id = "get_verification_file",
    params(
        ("id" = String, Path, description = "The submission's id."),
        ("file_id" = String, Path, description = "The file's id."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, as uploaded.", content(
            (FileBytes = "image/png"),
            (FileBytes = "image/jpeg"),
            (FileBytes = "application/pdf"),
        )),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/verifications/{id}/files/{file_id}")]
pub async fn get_verification_file(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<UsersState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, file_id) = path.into_inner();
    let file = db::run(&pool, move |conn| {
        service::verification_file(conn, &user, &id, &file_id)
    })
    .await?;
    let store = state.storage.clone();
    let key = file.storage_key.clone();
    let bytes = db::blocking(move || store.get(&key))
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, file.content_type.clone()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            storage::content_disposition("application/octet-stream", &file.filename),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// The verification queue (admins), oldest first, with a `status` filter.
#[utoipa::path(
    tag = "admin",
    operation_id = "list_verifications",
    params(ListVerificationsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Submissions.", body = Page<VerificationResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/admin/verifications")]
pub async fn list_verifications(
    _admin: AdminUser,
    pool: web::Data<DbPool>,
    query: Result<ValidQuery<ListVerificationsQuery>, ApiError>,
) -> Result<web::Json<Page<VerificationResponse>>, ApiError> {
    let query = query?;
    let query = query.into_inner();
    let (cursor, limit) = page_of(query.limit, query.cursor.as_deref())?;
    let status = query.status.map(|s| s.as_str());
    let page = db::run(&pool, move |conn| {
        service::admin_list_verifications(conn, status, cursor.as_ref(), limit)
    })
    .await?;
    Ok(web::Json(
        page.map(|(v, files)| VerificationResponse::of(&v, &files)),
    ))
}

/// Approves a pending submission (admins): the provider's profile becomes
/// `verified`; in the modlog. Decided already: 409.
#[utoipa::path(
    tag = "admin",
    operation_id = "approve_verification",
    params(("id" = String, Path, description = "The submission's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission, approved.", body = VerificationResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/admin/verifications/{id}/approve")]
pub async fn approve_verification(
    admin: AdminUser,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<web::Json<VerificationResponse>, ApiError> {
    let id = path.into_inner();
    let (verification, files) = db::run(&pool, move |conn| {
        service::approve_verification(conn, &admin.id, &id)
    })
    .await?;
    Ok(web::Json(VerificationResponse::of(&verification, &files)))
}

/// Rejects a pending submission with a reason shown to the provider
/// (admins); in the modlog. Decided already: 409.
#[utoipa::path(
    tag = "admin",
    operation_id = "reject_verification",
    request_body = RejectVerificationRequest,
    params(("id" = String, Path, description = "The submission's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission, rejected.", body = VerificationResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/admin/verifications/{id}/reject")]
pub async fn reject_verification(
    admin: AdminUser,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
    body: Result<ValidJson<RejectVerificationRequest>, ApiError>,
) -> Result<web::Json<VerificationResponse>, ApiError> {
    let body = body?;
    let id = path.into_inner();
    let reason = body.into_inner().reason.trim().to_owned();
    let (verification, files) = db::run(&pool, move |conn| {
        service::reject_verification(conn, &admin.id, &id, &reason)
    })
    .await?;
    Ok(web::Json(VerificationResponse::of(&verification, &files)))
}
