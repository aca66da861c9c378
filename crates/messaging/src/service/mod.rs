//! The messaging crate's rules. Functions are synchronous, take a
//! connection and own their transactions; handlers run them on the blocking
//! pool through `quickfix_shared::db::run`.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, TimeDelta};
use diesel::Connection;
use quickfix_shared::db::{self, DbConn};
use quickfix_shared::error::is_unique_violation;
use quickfix_shared::ids::{ConversationId, MessageId, UserId};
use quickfix_shared::pagination::{Cursor, Page};
use quickfix_users_contract::{Role, UserSummary};

use crate::dto::{
    ConversationResponse, MessageResponse, NotificationResponse, ParticipantResponse,
};
use crate::error::MessagingError;
use crate::models::{Attachment, Conversation, Member, Message, Notification};
use crate::repository as repo;

/// Now, at the microsecond precision both backends store, so keyset
/// positions read back exactly as they were written.
pub fn now() -> NaiveDateTime {
    db::now()
}

/// The read marker of a participant who has read nothing.
fn epoch() -> NaiveDateTime {
    chrono::DateTime::UNIX_EPOCH.naive_utc()
}

mod conversations;
mod messages;
mod notifications;

pub use conversations::*;
pub use messages::*;
pub use notifications::*;
