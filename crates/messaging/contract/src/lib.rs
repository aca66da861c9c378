//! What other crates may know of the messaging crate: its ids, a message as
//! the API shows it, and its event. Nothing here touches a database.

use chrono::{DateTime, Utc};
use quickfix_shared::events::{EventSet, Subject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use quickfix_shared::ids::{ConversationId, MessageId, UserId};

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentResponse {
    /// The attachment's id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The uploaded file's name, sanitised; for display only.
    #[schema(example = "invoice.pdf")]
    pub filename: String,
    /// The content type, judged from the bytes.
    #[schema(example = "application/pdf")]
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Where participants fetch the bytes (with their bearer token).
    #[schema(example = "/api/v1/attachments/0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10")]
    pub url: String,
}

/// A message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageResponse {
    /// The message's id (UUID v7, so ids sort by time).
    #[schema(format = Uuid)]
    pub id: String,
    /// The conversation.
    #[schema(format = Uuid)]
    pub conversation_id: String,
    /// The author.
    #[schema(format = Uuid)]
    pub sender_id: String,
    /// The text; empty for an attachment sent without text; null once an
    /// admin hid the message.
    #[schema(required = true)]
    pub body: Option<String>,
    /// Hidden by an admin (the message keeps its place, without its text
    /// or attachment).
    pub hidden: bool,
    /// The attached file, if any.
    #[schema(required = true)]
    pub attachment: Option<AttachmentResponse>,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
}

/// `message.created`: a message was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageCreated {
    /// The message.
    pub message: MessageResponse,
    /// The conversation's other participants.
    pub recipient_ids: Vec<UserId>,
}

/// The messaging crate's events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum MessageEvent {
    /// A message was sent.
    #[serde(rename = "message.created")]
    Created(MessageCreated),
}

impl EventSet for MessageEvent {
    const KINDS: &'static [&'static str] = &["message.created"];

    fn subject(&self) -> Subject {
        match self {
            MessageEvent::Created(e) => Subject::of("message", &e.message.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        quickfix_shared::events::assert_kinds_match(vec![MessageEvent::Created(MessageCreated {
            message: MessageResponse {
                id: MessageId::generate().into_string(),
                conversation_id: ConversationId::generate().into_string(),
                sender_id: UserId::generate().into_string(),
                body: Some("On my way".to_owned()),
                hidden: false,
                attachment: None,
                created_at: Utc::now(),
            },
            recipient_ids: vec![UserId::generate()],
        })]);
    }
}
