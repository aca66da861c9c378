//! Queries on this crate's tables. Each takes the connection first, so it
//! runs inside or outside the caller's transaction alike.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use quickfix_shared::db::{DbConn, MultiBackend};
use quickfix_shared::pagination::Cursor;

use crate::models::{Attachment, Conversation, Member, Message, Notification};
use crate::schema::{attachments, conversation_members, conversations, messages, notifications};

mod conversation_queries;
mod message_queries;
mod notification_queries;

pub use conversation_queries::*;
pub use message_queries::*;
pub use notification_queries::*;
