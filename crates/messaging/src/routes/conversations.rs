//! Starting and listing conversations.

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, get, post, web};
use quickfix_shared::ApiError;
use quickfix_shared::auth::AuthUser;
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::{ValidJson, ValidQuery};
use quickfix_shared::ids::UserId;
use quickfix_shared::openapi::{
    BadRequest, Blocked, NotFound, PayloadTooLarge, ServiceUnavailable, TooManyRequests,
    Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use quickfix_shared::pagination::{Page, PageParams};

use crate::MessagingState;
use crate::dto::{ConversationResponse, CreateConversationRequest};
use crate::error::MessagingError;
use crate::service;

/// Starts a conversation with another user, optionally about a job, or
/// answers the one the pair already has about the same job (200). The
/// participant must exist and be active; `job_id` is not checked against
/// the jobs service. A participant who blocked the caller: 403 `blocked`.
#[utoipa::path(
    tag = "messaging",
    operation_id = "create_conversation",
    request_body = CreateConversationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "A new conversation.", body = ConversationResponse),
        (status = 200, description = "The pair's existing conversation about the same job.", body = ConversationResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Blocked),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/conversations")]
pub async fn create_conversation(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<MessagingState>,
    body: ValidJson<CreateConversationRequest>,
) -> Result<HttpResponse, ApiError> {
    // Over the quota the caller may still reopen a conversation they have.
    let quota = state.quotas.may_open_conversation(&user.id);
    let may_create = quota.is_ok();
    let opener = user.id.clone();
    let request = body.into_inner();
    let participant = UserId::parse(&request.participant_id)
        .ok_or_else(|| MessagingError::invalid("participant_id", "must be a UUID"))?;
    let job_id = request
        .job_id
        .as_deref()
        .map(|raw| {
            uuid::Uuid::parse_str(raw)
                .map(|id| id.hyphenated().to_string())
                .map_err(|_| MessagingError::invalid("job_id", "must be a UUID"))
        })
        .transpose()?;
    if state
        .accounts
        .blockers_of(user.id.clone())
        .await?
        .contains(&participant)
    {
        return Err(MessagingError::Blocked.into());
    }
    let participant = service::Participant {
        active: state.accounts.is_active(participant.clone()).await?,
        id: participant,
    };
    let mut started = db::run(&pool, move |conn| {
        service::start_conversation(conn, &user.id, &participant, job_id.as_deref(), may_create)
    })
    .await
    .map_err(|err| match (err, quota) {
        (MessagingError::QuotaExceeded(_), Err(refused)) => refused,
        (err, _) => ApiError::from(err),
    })?;
    crate::name_participants(&state, std::slice::from_mut(&mut started.conversation)).await?;
    let mut response = if started.created {
        state.quotas.opened_conversation(&opener);
        let mut created = HttpResponse::Created();
        created.insert_header((
            LOCATION,
            format!("/api/v1/conversations/{}/messages", started.conversation.id),
        ));
        created
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(started.conversation))
}

/// The caller's conversations, most recent activity first, each with its
/// last message and the caller's unread count. A conversation with a new
/// message moves to the front, so it may reappear on a later page.
#[utoipa::path(
    tag = "messaging",
    operation_id = "list_conversations",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's conversations.", body = Page<ConversationResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/conversations")]
pub async fn list_conversations(
    user: AuthUser,
    pool: web::Data<DbPool>,
    state: web::Data<MessagingState>,
    page: ValidQuery<PageParams>,
) -> Result<web::Json<Page<ConversationResponse>>, ApiError> {
    let cursor = page.cursor()?;
    let limit = page.limit();
    let mut page = db::run(&pool, move |conn| {
        service::list_conversations(conn, &user.id, cursor.as_ref(), limit)
    })
    .await?;
    crate::name_participants(&state, &mut page.items).await?;
    Ok(web::Json(page))
}
