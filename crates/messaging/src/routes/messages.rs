//! Messages of a conversation and read markers.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::idempotency::{self, IdempotencyKey};
use quickfix_shared::ids::{ConversationId, MessageId};
use quickfix_shared::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, ServiceUnavailable,
    TooManyRequests, Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use quickfix_shared::pagination::Page;

use crate::dto::{ListMessagesQuery, MarkReadRequest, MessageResponse, SendMessageRequest};
use crate::error::MessagingError;
use crate::service::{self, MessagesQuery, NewMessage};
use crate::{MessagingState, announce_read, send_message as store_and_push};

/// A conversation id from the path; one that is not a UUID names nothing.
pub(super) fn conversation_id(raw: &str) -> Result<ConversationId, MessagingError> {
    ConversationId::parse(raw).ok_or(MessagingError::NotFound("conversation"))
}

/// A conversation's messages, newest first. With `after=<message_id>` the
/// messages after that one instead, oldest first: what a client missed
/// while disconnected (follow `next_cursor`, passing `after` again, until
/// it is null). Non-participants get 404.
#[utoipa::path(
    tag = "messaging",
    operation_id = "list_messages",
    params(
        ("id" = String, Path, description = "The conversation's id."),
        ListMessagesQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of messages.", body = Page<MessageResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/conversations/{id}/messages")]
pub async fn list_messages(
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
    query: ValidQuery<ListMessagesQuery>,
) -> Result<web::Json<Page<MessageResponse>>, ApiError> {
    let conversation = conversation_id(&path)?;
    let page = query.page();
    let query = MessagesQuery {
        after: query.after.as_deref().and_then(MessageId::parse),
        cursor: page.cursor()?,
        limit: page.limit(),
    };
    let page = db::run(&pool, move |conn| {
        service::list_messages(conn, &user.id, &conversation, &query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Sends a message (1 to 4000 characters). Every socket of both
/// participants gets `message.created`; the other participant gets a
/// notification. Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "messaging",
    operation_id = "send_message",
    params(
        ("id" = String, Path, description = "The conversation's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a repeat within 24 hours."),
    ),
    request_body = SendMessageRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The stored message.", body = MessageResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/conversations/{id}/messages")]
pub async fn send_message(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<MessagingState>,
    path: web::Path<String>,
    key: IdempotencyKey,
    body: ValidJson<SendMessageRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require_verified_email()?;
    let conversation = conversation_id(&path)?;
    let request = body.into_inner();
    state.quotas.message(&user.id)?;
    let fingerprint = idempotency::fingerprint(&[
        b"POST /conversations/{id}/messages",
        conversation.as_str().as_bytes(),
        request.body.as_bytes(),
    ]);
    let scope = user.id.to_string();
    idempotency::run_once(
        &pool,
        &key,
        &scope,
        fingerprint,
        super::message_location,
        || async {
            let sender = user.id.clone();
            let new = NewMessage {
                conversation,
                body: request.body,
                client_msg_id: None,
                attachment: None,
            };
            let sent = store_and_push(&state, &sender, new, None).await?;
            Ok((StatusCode::CREATED, sent.message))
        },
    )
    .await
}

/// Marks a message and every message before it read for the caller (a
/// marker never moves backwards); the participants' sockets get `read`.
/// A message that is not in this conversation is 404.
#[utoipa::path(
    tag = "messaging",
    operation_id = "mark_conversation_read",
    params(("id" = String, Path, description = "The conversation's id.")),
    request_body = MarkReadRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Marked; unread counts drop."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/conversations/{id}/read")]
pub async fn mark_read(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<MessagingState>,
    path: web::Path<String>,
    body: ValidJson<MarkReadRequest>,
) -> Result<HttpResponse, ApiError> {
    let conversation = conversation_id(&path)?;
    let message = MessageId::parse(&body.message_id)
        .ok_or_else(|| MessagingError::invalid("message_id", "must be a UUID"))?;
    let (reader, conv, msg) = (user.id.clone(), conversation.clone(), message.clone());
    let marker = db::run(&pool, move |conn| {
        service::mark_read(conn, &reader, &conv, &msg)
    })
    .await?;
    if marker.moved {
        announce_read(
            &state,
            &marker.participants,
            &user.id,
            &conversation,
            &message,
            None,
        );
    }
    Ok(HttpResponse::NoContent().finish())
}
