//! Request and response types of the messaging routes and of the events and
//! frames that carry them.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use quickfix_shared::auth::Role;
use quickfix_shared::pagination::PageParams;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::models::{Attachment, Message, Notification};

use quickfix_bookings_contract::{BookingReminder, BookingUpdated};
use quickfix_jobs_contract::{
    JobExpired, OfferCountered, OfferCreated, OfferExpired, OfferRevised,
};
pub use quickfix_messaging_contract::{AttachmentResponse, MessageResponse};
use quickfix_ratings_contract::RatingCreated;

/// The longest message body, in characters.
pub const MAX_BODY_CHARS: u64 = 4000;

/// The URL an attachment's bytes are served from.
pub fn attachment_url(id: &str) -> String {
    format!("/api/v1/attachments/{id}")
}

fn rule(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// Accepts only UUIDs (the form of every id the API issues).
pub fn uuid_form(value: &str) -> Result<(), ValidationError> {
    uuid::Uuid::parse_str(value)
        .map(|_| ())
        .map_err(|_| rule("uuid", "must be a UUID"))
}

/// Refuses text PostgreSQL cannot store (NUL) and text that is only
/// whitespace.
pub fn message_text(value: &str) -> Result<(), ValidationError> {
    if value.contains('\0') {
        return Err(rule("nul", "must not contain NUL characters"));
    }
    if quickfix_shared::text::is_blank(value) {
        return Err(rule("blank", "must not be blank"));
    }
    Ok(())
}

/// `POST /conversations`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct CreateConversationRequest {
    /// The other participant's user id; the user must exist and be active,
    /// and may not be the caller.
    #[validate(custom(function = "uuid_form"))]
    #[schema(value_type = String, format = Uuid)]
    pub participant_id: String,
    /// The job the conversation is about (optional). An opaque id of UUID
    /// form: the messaging service does not check that the job exists.
    #[validate(custom(function = "uuid_form"))]
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub job_id: Option<String>,
}

/// A participant of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ParticipantResponse {
    /// The user's id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// The user's role.
    pub role: Role,
}

/// The view of an attachment row.
pub fn attachment_view(row: &Attachment) -> AttachmentResponse {
    AttachmentResponse {
        id: row.id.clone(),
        filename: row.filename.clone(),
        content_type: row.content_type.clone(),
        size: row.size,
        url: attachment_url(&row.id),
    }
}

/// The view of a message row with its attachment row: a hidden message
/// keeps its place without its text or attachment.
pub fn message_view(row: &Message, attachment: Option<&Attachment>) -> MessageResponse {
    MessageResponse {
        id: row.id.clone(),
        conversation_id: row.conversation_id.clone(),
        sender_id: row.sender_id.clone(),
        body: (!row.hidden).then(|| row.body.clone()),
        hidden: row.hidden,
        attachment: attachment.filter(|_| !row.hidden).map(attachment_view),
        created_at: row.created_at.and_utc(),
    }
}

/// A conversation as one participant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversationResponse {
    /// The conversation's id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The job it is about, if any.
    #[schema(format = Uuid)]
    #[schema(required = true)]
    pub job_id: Option<String>,
    /// Both participants.
    pub participants: Vec<ParticipantResponse>,
    /// The newest message; null before the first.
    #[schema(required = true)]
    pub last_message: Option<MessageResponse>,
    /// Messages from the other participant the caller has not read.
    pub unread_count: i64,
    /// The newest message's time, or the creation time before the first.
    pub last_activity_at: DateTime<Utc>,
    /// When it was started.
    pub created_at: DateTime<Utc>,
}

/// `POST /conversations/{id}/messages`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct SendMessageRequest {
    /// The text, 1 to 4000 characters, not only whitespace.
    #[validate(custom(function = "message_text"))]
    #[schema(min_length = 1, max_length = 4000, pattern = "\\S")]
    #[schema(example = "On my way, 10 minutes.")]
    pub body: String,
}

/// `GET /conversations/{id}/messages` query.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListMessagesQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// A message id of this conversation: answer the messages after it,
    /// oldest first (catching up after a reconnect). An id that is not a
    /// message of this conversation is 404.
    #[validate(custom(function = "uuid_form"))]
    #[param(format = Uuid)]
    pub after: Option<String>,
}

impl ListMessagesQuery {
    /// The pagination part.
    pub fn page(&self) -> PageParams {
        PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// `POST /conversations/{id}/read`
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct MarkReadRequest {
    /// The newest message read; it and every message before it count as
    /// read. A marker never moves backwards.
    #[validate(custom(function = "uuid_form"))]
    #[schema(value_type = String, format = Uuid)]
    pub message_id: String,
}

/// `POST /conversations/{id}/attachments` body, for the document.
#[derive(Debug, ToSchema)]
pub struct AttachmentUpload {
    /// A PNG, JPEG, GIF or WebP image or a PDF of at most 10 MiB; the type is
    /// judged from the bytes, never from the name.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
    /// Optional text sent with the file (at most 4000 characters).
    #[schema(max_length = 4000)]
    pub body: Option<String>,
}

/// `GET /notifications` query.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListNotificationsQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `true`: only notifications not read yet.
    pub unread: Option<bool>,
}

impl ListNotificationsQuery {
    /// The pagination part.
    pub fn page(&self) -> PageParams {
        PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// What a notification says: its kind with its payload. The notifier makes
/// every notification from one of these, so the document's union and what
/// is stored cannot differ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "payload")]
pub enum NotificationBody {
    /// A provider offered on the recipient's job.
    #[serde(rename = "offer.created")]
    OfferCreated(OfferCreated),
    /// The recipient's offer was accepted; a booking was made.
    #[serde(rename = "offer.accepted")]
    OfferAccepted(OfferAcceptedPayload),
    /// The job's owner countered the recipient's offer.
    #[serde(rename = "offer.countered")]
    OfferCountered(OfferCountered),
    /// A provider answered the recipient's counter with a new price.
    #[serde(rename = "offer.revised")]
    OfferRevised(OfferRevised),
    /// An offer of the recipient, or on the recipient's job, expired
    /// unanswered.
    #[serde(rename = "offer.expired")]
    OfferExpired(OfferExpired),
    /// The recipient's job, or a job the recipient offered on, expired.
    #[serde(rename = "job.expired")]
    JobExpired(JobExpired),
    /// A booking of the recipient was made or moved by the other party.
    #[serde(rename = "booking.updated")]
    BookingUpdated(BookingUpdated),
    /// A message came for the recipient.
    #[serde(rename = "message.created")]
    MessageCreated(MessageCreatedPayload),
    /// A rating of the recipient became visible.
    #[serde(rename = "rating.created")]
    RatingCreated(RatingCreated),
    /// A booking of the recipient is near (`bookings.reminder_before_secs`
    /// before its planned time).
    #[serde(rename = "booking.reminder")]
    BookingReminder(BookingReminder),
}

impl NotificationBody {
    /// The kind, as stored and sent.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::OfferCreated(_) => "offer.created",
            Self::OfferAccepted(_) => "offer.accepted",
            Self::OfferCountered(_) => "offer.countered",
            Self::OfferRevised(_) => "offer.revised",
            Self::OfferExpired(_) => "offer.expired",
            Self::JobExpired(_) => "job.expired",
            Self::BookingUpdated(_) => "booking.updated",
            Self::MessageCreated(_) => "message.created",
            Self::RatingCreated(_) => "rating.created",
            Self::BookingReminder(_) => "booking.reminder",
        }
    }

    /// The payload, as stored and sent.
    pub fn payload(&self) -> serde_json::Value {
        serde_json::to_value(self)
            .ok()
            .and_then(|mut body| body.get_mut("payload").map(serde_json::Value::take))
            .unwrap_or_default()
    }
}

/// The payload of `offer.accepted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OfferAcceptedPayload {
    /// The accepted offer.
    #[schema(format = Uuid)]
    pub offer_id: String,
    /// Its job.
    #[schema(format = Uuid)]
    pub job_id: String,
    /// The booking it became.
    #[schema(format = Uuid)]
    pub booking_id: String,
    /// The job's owner.
    #[schema(format = Uuid)]
    pub customer_id: String,
    /// The offer's provider (the recipient).
    #[schema(format = Uuid)]
    pub provider_id: String,
}

/// The payload of `message.created`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MessageCreatedPayload {
    /// The message.
    pub message: MessageResponse,
}

/// A notification: `{id, kind, payload, read_at, created_at}`, a union
/// discriminated by `kind`.
#[derive(ToSchema)]
#[schema(as = NotificationResponse)]
#[expect(
    dead_code,
    reason = "describes NotificationResponse's JSON; never built"
)]
struct NotificationDoc {
    /// The notification's id.
    #[schema(format = Uuid)]
    id: String,
    /// What happened, with its data.
    #[serde(flatten)]
    body: NotificationBody,
    /// When the recipient read it; null while unread.
    #[schema(required = true)]
    read_at: Option<DateTime<Utc>>,
    /// When it was made.
    created_at: DateTime<Utc>,
}

impl utoipa::PartialSchema for NotificationResponse {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        NotificationDoc::schema()
    }
}

impl ToSchema for NotificationResponse {
    fn name() -> Cow<'static, str> {
        NotificationDoc::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        NotificationDoc::schemas(schemas);
    }
}

/// A notification, as stored: its `kind` and `payload` are a
/// [`NotificationBody`]'s (the document shows the union).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationResponse {
    /// The notification's id.
    pub id: String,
    /// What happened: a [`NotificationBody`] kind.
    pub kind: String,
    /// The kind's data.
    pub payload: serde_json::Value,
    /// When the recipient read it; null while unread.
    pub read_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl From<&Notification> for NotificationResponse {
    fn from(row: &Notification) -> Self {
        Self {
            id: row.id.clone(),
            kind: row.kind.clone(),
            payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
            read_at: row.read_at.map(|at| at.and_utc()),
            created_at: row.created_at.and_utc(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_count_characters_and_refuse_blank_and_nul() {
        let read = |body: &str| {
            quickfix_shared::extract::parse_bounded_json::<SendMessageRequest>(
                serde_json::json!({ "body": body }).to_string().as_bytes(),
            )
        };
        assert!(read(&"é".repeat(4000)).is_ok());
        for bad in ["", "   \n", "a\0b"] {
            assert!(read(bad).is_err(), "{bad:?}");
        }
        assert!(read(&"a".repeat(4001)).is_err());
    }

    #[test]
    fn ids_must_have_uuid_form() {
        let bad = CreateConversationRequest {
            participant_id: "x".into(),
            job_id: Some("job-1".into()),
        };
        let errors = bad.validate().expect_err("invalid");
        assert!(errors.field_errors().contains_key("participant_id"));
        assert!(errors.field_errors().contains_key("job_id"));
    }
}
