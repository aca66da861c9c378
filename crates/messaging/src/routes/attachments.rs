//! Files sent in conversations: upload (a message with an attachment) and
//! download (participants only).

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use std::sync::Arc;

use futures_util::StreamExt;
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::idempotency::{self, IdempotencyKey};
use quickfix_shared::openapi::{
    BadRequest, Blocked, Conflict, FileBytes, NotFound, PayloadTooLarge, ServiceUnavailable,
    TooManyRequests, Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use quickfix_shared::{storage, text};
use tokio::sync::OwnedSemaphorePermit;
use validator::ValidateLength;

use super::messages::conversation_id;
use crate::MessagingState;
use crate::dto::{AttachmentUpload, MAX_BODY_CHARS, MessageResponse, message_text};
use crate::error::MessagingError;
use crate::service::{self, NewAttachment, NewMessage};

/// The content types an attachment may be.
const ALLOWED_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
];
/// Room for the multipart framing and the text field around the file.
const MULTIPART_OVERHEAD: usize = 64 * 1024;
/// The largest `body` field in bytes (4000 characters of up to 4 bytes).
const BODY_FIELD_BYTES: usize = 16 * 1024;

/// What a multipart upload carried.
struct Upload {
    file: Vec<u8>,
    filename: Option<String>,
    body: Option<String>,
}

fn malformed() -> MessagingError {
    MessagingError::BadRequest("the multipart body is malformed".into())
}

/// Reads the fields `file` and `body` whole, refusing more than `limit`
/// bytes of file and any unknown field's bytes beyond the overhead.
async fn read_upload(mut multipart: Multipart, limit: usize) -> Result<Upload, MessagingError> {
    let mut upload = Upload {
        file: Vec::new(),
        filename: None,
        body: None,
    };
    let mut has_file = false;
    let mut other_bytes = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| malformed())?;
        match field.name() {
            Some("file") if !has_file => {
                has_file = true;
                upload.filename = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .map(str::to_owned);
                if let Some(name) = &upload.filename {
                    text::check_line("file", name)
                        .map_err(|field| MessagingError::Validation(vec![field]))?;
                }
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|_| malformed())?;
                    if upload.file.len() + chunk.len() > limit {
                        return Err(MessagingError::TooLarge(limit));
                    }
                    upload.file.extend_from_slice(&chunk);
                }
            }
            Some("body") if upload.body.is_none() => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|_| malformed())?;
                    if bytes.len() + chunk.len() > BODY_FIELD_BYTES {
                        return Err(MessagingError::invalid(
                            "body",
                            "must be at most 4000 characters long",
                        ));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                let body = String::from_utf8(bytes)
                    .map_err(|_| MessagingError::invalid("body", "must be UTF-8 text"))?;
                let checked = text::check("body", &body, true)
                    .map_err(|field| MessagingError::Validation(vec![field]))?;
                upload.body = Some(match checked {
                    Some(normalised) => normalised,
                    None => body,
                });
            }
            _ => {
                while let Some(chunk) = field.next().await {
                    other_bytes += chunk.map_err(|_| malformed())?.len();
                    if other_bytes > MULTIPART_OVERHEAD {
                        return Err(MessagingError::TooLarge(limit));
                    }
                }
            }
        }
    }
    if !has_file {
        return Err(MessagingError::invalid("file", "is required"));
    }
    Ok(upload)
}

/// A file name fit for display: no path, no control or bidirectional
/// formatting characters, no characters that are special in file systems
/// or headers, at most 120 characters; `attachment.<ext>` when nothing is
/// left.
pub fn sanitize_filename(raw: Option<&str>, extension: &str) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        })
        .map(|c| {
            if matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*' | ';' | '%') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let limited: String = trimmed.chars().take(120).collect();
    if limited.is_empty() {
        format!("attachment.{extension}")
    } else {
        limited
    }
}

/// Sends a file (multipart field `file`, at most 10 MiB: a PNG, JPEG, GIF
/// or WebP image or a PDF, judged from the bytes) with optional text
/// (field `body`, at most 4000 characters) as a message. The file name is
/// kept for display only. Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "messaging",
    operation_id = "upload_attachment",
    params(
        ("id" = String, Path, description = "The conversation's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a repeat within 24 hours."),
    ),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The stored message with its `attachment`.", body = MessageResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Blocked),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/conversations/{id}/attachments")]
pub async fn upload_attachment(
    user: AuthUser,
    req: HttpRequest,
    pool: web::Data<DbPool>,
    state: web::Data<MessagingState>,
    path: web::Path<String>,
    key: IdempotencyKey,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    let conversation = conversation_id(&path)?;
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(MessagingError::UnsupportedMediaType("multipart/form-data").into());
    }
    let limit = state.config.upload_limit_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit + MULTIPART_OVERHEAD) {
        return Err(MessagingError::TooLarge(limit).into());
    }
    // Strangers learn nothing and upload nothing.
    let (member, conv) = (user.id.clone(), conversation.clone());
    db::run(&pool, move |conn| {
        service::conversation_of(conn, &conv, &member)
    })
    .await?;

    let _transfer = transfer_place(&state).await?;
    let upload = read_upload(multipart, limit).await?;
    if upload.file.is_empty() {
        return Err(MessagingError::invalid("file", "is empty").into());
    }
    let Some(sniffed) = storage::sniff(&upload.file).filter(|s| ALLOWED_TYPES.contains(&s.mime))
    else {
        return Err(MessagingError::invalid(
            "file",
            "must be a PNG, JPEG, GIF or WebP image or a PDF",
        )
        .into());
    };
    let body = upload.body.unwrap_or_default();
    if !body.is_empty() {
        if !body.validate_length(None, Some(MAX_BODY_CHARS), None) {
            return Err(
                MessagingError::invalid("body", "must be at most 4000 characters long").into(),
            );
        }
        if let Err(err) = message_text(&body) {
            let message = err.message.map(|m| m.to_string()).unwrap_or_default();
            return Err(MessagingError::invalid("body", &message).into());
        }
    }
    state.quotas.upload(&user.id, upload.file.len() as u64)?;
    let filename = sanitize_filename(upload.filename.as_deref(), sniffed.extension);
    let fingerprint = idempotency::fingerprint(&[
        b"POST /conversations/{id}/attachments",
        conversation.as_str().as_bytes(),
        body.as_bytes(),
        filename.as_bytes(),
        &upload.file,
    ]);
    let scope = user.id.to_string();
    let file = upload.file;
    idempotency::run_once(
        &pool,
        &key,
        &scope,
        fingerprint,
        super::message_location,
        || async move {
            let storage_key = storage::new_key("attachments", sniffed.extension);
            let size = i64::try_from(file.len()).map_err(ApiError::internal)?;
            let store = state.storage.clone();
            let put_key = storage_key.clone();
            db::blocking(move || store.put(&put_key, &file))
                .await
                .map_err(ApiError::from)?
                .map_err(ApiError::internal)?;
            let sender = user.id.clone();
            let new = NewMessage {
                conversation,
                body,
                client_msg_id: None,
                attachment: Some(NewAttachment {
                    storage_key: storage_key.clone(),
                    filename,
                    content_type: sniffed.mime.to_owned(),
                    size,
                }),
            };
            let sent = match crate::send_message(&state, &sender, new, None).await {
                Ok(sent) => sent,
                Err(err) => {
                    let store = state.storage.clone();
                    let _ = db::blocking(move || store.delete(&storage_key)).await;
                    return Err(err);
                }
            };
            Ok((StatusCode::CREATED, sent.message))
        },
    )
    .await
}

/// An attachment's bytes with their content type; participants of its
/// conversation only (404 for anyone else).
#[utoipa::path(
    tag = "messaging",
    operation_id = "get_attachment",
    params(("id" = String, Path, description = "The attachment's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, with the content type sniffed at upload.", content(
            (FileBytes = "image/png"), (FileBytes = "image/jpeg"), (FileBytes = "image/gif"),
            (FileBytes = "image/webp"), (FileBytes = "application/pdf"),
        )),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/attachments/{id}")]
pub async fn get_attachment(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<MessagingState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = uuid::Uuid::parse_str(&path)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| MessagingError::NotFound("attachment"))?;
    let attachment = db::run(&pool, move |conn| {
        service::attachment_for(conn, &user.id, &id)
    })
    .await?;
    let transfer = transfer_place(&state).await?;
    let store = state.storage.clone();
    let key = attachment.storage_key.clone();
    let bytes = db::blocking(move || store.get(&key))
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            tracing::warn!(attachment.id = %attachment.id, "an attachment's bytes are missing");
            ApiError::not_found("attachment")
        })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, attachment.content_type.clone()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            storage::content_disposition(&attachment.content_type, &attachment.filename),
        ))
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400"))
        .no_chunking(bytes.len() as u64)
        .streaming(holding_place(bytes, transfer)))
}

/// How long a transfer waits for a place before it is answered 503.
const TRANSFER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A place among the [`CONCURRENT_TRANSFERS`](crate::CONCURRENT_TRANSFERS)
/// transfers that may hold a file in memory; 503 with `Retry-After` when
/// none frees up in time.
async fn transfer_place(state: &MessagingState) -> Result<OwnedSemaphorePermit, ApiError> {
    match tokio::time::timeout(TRANSFER_WAIT, Arc::clone(&state.transfers).acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_)) | Err(_) => Err(ApiError::busy(5)),
    }
}

/// The file as a one-chunk body that keeps its transfer place until the
/// chunk has been written out.
fn holding_place(
    bytes: Vec<u8>,
    place: OwnedSemaphorePermit,
) -> impl futures_util::Stream<Item = Result<web::Bytes, std::convert::Infallible>> {
    futures_util::stream::unfold(
        (Some(web::Bytes::from(bytes)), Some(place)),
        |(bytes, place)| async move {
            let chunk = bytes?;
            Some((Ok(chunk), (None, place)))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_download_keeps_its_transfer_place_until_its_bytes_are_written() {
        use futures_util::StreamExt;
        let places = Arc::new(tokio::sync::Semaphore::new(1));
        let place = Arc::clone(&places).acquire_owned().await.expect("a place");
        let mut body = Box::pin(holding_place(vec![1, 2, 3], place));
        assert_eq!(places.available_permits(), 0);
        let chunk = body.next().await.expect("one chunk").expect("bytes");
        assert_eq!(&chunk[..], &[1, 2, 3]);
        assert_eq!(
            places.available_permits(),
            0,
            "held while the chunk is written"
        );
        assert!(body.next().await.is_none());
        assert_eq!(places.available_permits(), 1, "given back at the end");
    }

    #[test]
    fn filenames_lose_paths_and_dangerous_characters() {
        assert_eq!(sanitize_filename(Some("../../etc/passwd"), "pdf"), "passwd");
        assert_eq!(sanitize_filename(Some("C:\\x\\a\"b.pdf"), "pdf"), "a_b.pdf");
        assert_eq!(
            sanitize_filename(Some("ab\u{202E}fdp.exe"), "pdf"),
            "abfdp.exe"
        );
        assert_eq!(sanitize_filename(Some("..."), "png"), "attachment.png");
        assert_eq!(sanitize_filename(None, "png"), "attachment.png");
        assert_eq!(
            sanitize_filename(Some(&"é".repeat(300)), "png")
                .chars()
                .count(),
            120
        );
    }

    #[test]
    fn downloads_name_the_file_safely() {
        assert_eq!(
            storage::content_disposition("application/pdf", "relatório \"final\".pdf"),
            "attachment; filename=\"relat_rio _final_.pdf\"; filename*=UTF-8''relat%C3%B3rio%20%22final%22.pdf"
        );
    }
}
