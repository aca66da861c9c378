//! Database rows of this crate's tables. They are not API types: `dto.rs`
//! converts them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{attachments, conversation_members, conversations, messages, notifications};

/// A `conversations` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = conversations)]
#[diesel(treat_none_as_default_value = false)]
pub struct Conversation {
    /// Id (UUID v7).
    pub id: String,
    /// The smaller participant id.
    pub user_low: String,
    /// The larger participant id.
    pub user_high: String,
    /// The job id, or `""` for a conversation about no job.
    pub job_key: String,
    /// The job the conversation is about.
    pub job_id: Option<String>,
    /// Who started it.
    pub created_by: String,
    /// Created.
    pub created_at: NaiveDateTime,
    /// The newest message.
    pub last_message_id: Option<String>,
    /// When the newest message was sent.
    pub last_message_at: Option<NaiveDateTime>,
}

impl Conversation {
    /// Both participants.
    pub fn participants(&self) -> [&str; 2] {
        [&self.user_low, &self.user_high]
    }

    /// The participant that is not `user`.
    pub fn other(&self, user: &str) -> &str {
        if self.user_low == user {
            &self.user_high
        } else {
            &self.user_low
        }
    }
}

/// A `conversation_members` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = conversation_members)]
#[diesel(treat_none_as_default_value = false)]
pub struct Member {
    /// The conversation.
    pub conversation_id: String,
    /// The participant.
    pub user_id: String,
    /// The conversation's latest activity (creation or newest message).
    pub last_activity_at: NaiveDateTime,
    /// The time of the newest message the participant has read (the epoch
    /// when none).
    pub last_read_at: NaiveDateTime,
    /// The id of the newest message read (`""` when none).
    pub last_read_message_id: String,
    /// When the participant joined.
    pub joined_at: NaiveDateTime,
}

/// A `messages` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = messages)]
#[diesel(treat_none_as_default_value = false)]
pub struct Message {
    /// Id (UUID v7).
    pub id: String,
    /// The conversation.
    pub conversation_id: String,
    /// The author.
    pub sender_id: String,
    /// The text; empty for an attachment sent without one.
    pub body: String,
    /// The sender's id for a WebSocket send, so a resend is not stored twice.
    pub client_msg_id: Option<String>,
    /// Sent.
    pub created_at: NaiveDateTime,
    /// Hidden by an admin: its body is no longer shown.
    pub hidden: bool,
}

/// An `attachments` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = attachments)]
#[diesel(treat_none_as_default_value = false)]
pub struct Attachment {
    /// Id (UUID v7).
    pub id: String,
    /// The message it belongs to.
    pub message_id: String,
    /// The message's conversation (for authorization).
    pub conversation_id: String,
    /// Where the bytes are kept.
    pub storage_key: String,
    /// The sanitised file name, for display only.
    pub filename: String,
    /// The content type sniffed from the bytes.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Uploaded.
    pub created_at: NaiveDateTime,
}

/// A `notifications` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = notifications)]
#[diesel(treat_none_as_default_value = false)]
pub struct Notification {
    /// Id (UUID v7).
    pub id: String,
    /// The recipient.
    pub user_id: String,
    /// The event kind it was made from.
    pub kind: String,
    /// JSON text.
    pub payload: String,
    /// The domain event it was made from (one notification per user and event).
    pub event_id: String,
    /// When the recipient read it.
    pub read_at: Option<NaiveDateTime>,
    /// Created.
    pub created_at: NaiveDateTime,
}
