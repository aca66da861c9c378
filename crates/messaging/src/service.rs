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

/// A conversation as the caller sees it, and whether this call created it.
#[derive(Debug, Clone)]
pub struct Started {
    /// The conversation.
    pub conversation: ConversationResponse,
    /// `true` when it was made now (201), `false` when it existed (200).
    pub created: bool,
}

/// Whom a conversation is started with, and whether the users crate says
/// their account may act.
#[derive(Debug, Clone)]
pub struct Participant {
    /// The user.
    pub id: UserId,
    /// Whether the account exists and is active.
    pub active: bool,
}

/// Starts a conversation with `participant` (about `job_id`), or finds the
/// one the pair already has about the same job. The unique index on
/// `(user_low, user_high, job_key)` decides between racing callers.
#[tracing::instrument(skip_all, fields(user.id = %caller))]
pub fn start_conversation(
    conn: &mut DbConn,
    caller: &UserId,
    participant: &Participant,
    job_id: Option<&str>,
    may_create: bool,
) -> Result<Started, MessagingError> {
    let Participant {
        id: participant,
        active,
    } = participant;
    if caller == participant {
        return Err(MessagingError::invalid(
            "participant_id",
            "cannot start a conversation with yourself",
        ));
    }
    if !active {
        return Err(MessagingError::NotFound("participant"));
    }
    let (low, high) = if caller.as_str() < participant.as_str() {
        (caller.as_str(), participant.as_str())
    } else {
        (participant.as_str(), caller.as_str())
    };
    let job_key = job_id.unwrap_or_default();
    let (conversation, created) = db::write_transaction(conn, |conn| {
        if let Some(existing) = repo::find_conversation_by_key(conn, low, high, job_key)? {
            return Ok::<_, MessagingError>((existing, false));
        }
        if !may_create {
            return Err(MessagingError::QuotaExceeded("conversation"));
        }
        let at = now();
        let conversation = Conversation {
            id: ConversationId::generate().into_string(),
            user_low: low.to_owned(),
            user_high: high.to_owned(),
            job_key: job_key.to_owned(),
            job_id: job_id.map(str::to_owned),
            created_by: caller.to_string(),
            created_at: at,
            last_message_id: None,
            last_message_at: None,
        };
        // A savepoint, so a racing insert's unique violation leaves the
        // transaction usable on PostgreSQL.
        let inserted = conn.transaction(|conn| {
            repo::insert_conversation(conn, &conversation)?;
            for user in conversation.participants() {
                repo::insert_member(
                    conn,
                    &Member {
                        conversation_id: conversation.id.clone(),
                        user_id: user.to_owned(),
                        last_activity_at: at,
                        last_read_at: epoch(),
                        last_read_message_id: String::new(),
                        joined_at: at,
                    },
                )?;
            }
            Ok::<_, diesel::result::Error>(())
        });
        match inserted {
            Ok(()) => Ok((conversation, true)),
            Err(err) if is_unique_violation(&err) => {
                let existing = repo::find_conversation_by_key(conn, low, high, job_key)?
                    .ok_or(MessagingError::NotFound("conversation"))?;
                Ok((existing, false))
            }
            Err(err) => Err(err.into()),
        }
    })?;
    let activity = conversation
        .last_message_at
        .unwrap_or(conversation.created_at);
    let view = conversation_views(conn, caller.as_str(), vec![(conversation, activity)])?
        .pop()
        .ok_or(MessagingError::NotFound("conversation"))?;
    Ok(Started {
        conversation: view,
        created,
    })
}

/// The name shown for a participant the users crate does not know.
const UNKNOWN_USER: &str = "Unknown user";

/// Puts the participants' names and roles into conversation views, from
/// the users crate's summaries (one question for every view).
pub fn name_participants(views: &mut [ConversationResponse], users: &HashMap<UserId, UserSummary>) {
    for participant in views.iter_mut().flat_map(|v| v.participants.iter_mut()) {
        if let Some(user) = users.get(&UserId::from_db(participant.id.clone())) {
            participant.name = user.name.clone();
            participant.role = user.role;
        }
    }
}

/// The ids of every participant of these views.
pub fn participant_ids(views: &[ConversationResponse]) -> Vec<UserId> {
    views
        .iter()
        .flat_map(|v| v.participants.iter())
        .map(|p| UserId::from_db(p.id.clone()))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect()
}

/// The caller's conversations, most recent activity first. A page costs a
/// fixed number of queries whatever its size.
pub fn list_conversations(
    conn: &mut DbConn,
    caller: &UserId,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<ConversationResponse>, MessagingError> {
    let mut rows = repo::list_conversations(conn, caller.as_str(), cursor, i64::from(limit) + 1)?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last()
            .map(|(conversation, at)| Cursor::new(*at, conversation.id.clone()).encode())
    } else {
        None
    };
    Ok(Page {
        items: conversation_views(conn, caller.as_str(), rows)?,
        next_cursor,
    })
}

/// Builds the views of conversations with two batched queries: last
/// messages (with attachments) and unread counts. Participants carry their
/// ids only; [`name_participants`] adds names and roles.
fn conversation_views(
    conn: &mut DbConn,
    viewer: &str,
    rows: Vec<(Conversation, NaiveDateTime)>,
) -> Result<Vec<ConversationResponse>, MessagingError> {
    let last_ids: Vec<String> = rows
        .iter()
        .filter_map(|(c, _)| c.last_message_id.clone())
        .collect();
    let last_rows = repo::find_messages(conn, &last_ids)?;
    let last_messages = message_views(conn, last_rows)?;
    let last_by_id: HashMap<String, MessageResponse> = last_messages
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect();
    let conversation_ids: Vec<String> = rows.iter().map(|(c, _)| c.id.clone()).collect();
    let unread: HashMap<String, i64> = repo::unread_counts(conn, viewer, &conversation_ids)?
        .into_iter()
        .collect();
    let participant = |id: &str| ParticipantResponse {
        id: id.to_owned(),
        name: UNKNOWN_USER.to_owned(),
        role: Role::Customer,
    };
    Ok(rows
        .into_iter()
        .map(|(conversation, activity)| ConversationResponse {
            participants: conversation
                .participants()
                .into_iter()
                .map(participant)
                .collect(),
            last_message: conversation
                .last_message_id
                .as_ref()
                .and_then(|id| last_by_id.get(id).cloned()),
            unread_count: unread.get(&conversation.id).copied().unwrap_or(0),
            last_activity_at: activity.and_utc(),
            created_at: conversation.created_at.and_utc(),
            job_id: conversation.job_id,
            id: conversation.id,
        })
        .collect())
}

/// Messages with their attachments (one query for all attachments).
fn message_views(
    conn: &mut DbConn,
    messages: Vec<Message>,
) -> Result<Vec<MessageResponse>, MessagingError> {
    let ids: Vec<String> = messages.iter().map(|m| m.id.clone()).collect();
    let attachments: HashMap<String, Attachment> = repo::attachments_of(conn, &ids)?
        .into_iter()
        .map(|a| (a.message_id.clone(), a))
        .collect();
    Ok(messages
        .iter()
        .map(|m| crate::dto::message_view(m, attachments.get(&m.id)))
        .collect())
}

/// The conversation, when `user` takes part in it; 404 otherwise.
pub fn conversation_of(
    conn: &mut DbConn,
    conversation: &ConversationId,
    user: &UserId,
) -> Result<Conversation, MessagingError> {
    repo::find_conversation_of(conn, conversation.as_str(), user.as_str())?
        .ok_or(MessagingError::NotFound("conversation"))
}

/// Where a message list starts.
#[derive(Debug, Clone, Default)]
pub struct MessagesQuery {
    /// Answer what came after this message, oldest first.
    pub after: Option<MessageId>,
    /// The position of the previous page.
    pub cursor: Option<Cursor>,
    /// Items per page.
    pub limit: u32,
}

/// A conversation's messages: newest first, or with `after` what came after
/// that message, oldest first.
pub fn list_messages(
    conn: &mut DbConn,
    viewer: &UserId,
    conversation: &ConversationId,
    query: &MessagesQuery,
) -> Result<Page<MessageResponse>, MessagingError> {
    conversation_of(conn, conversation, viewer)?;
    let fetch = i64::from(query.limit) + 1;
    let rows = match &query.after {
        Some(after) => {
            let anchor = repo::find_message(conn, after.as_str())?
                .filter(|m| m.conversation_id == conversation.as_str())
                .ok_or(MessagingError::NotFound("message"))?;
            let (at, id) = match &query.cursor {
                Some(cursor) => (cursor.at, cursor.id.clone()),
                None => (anchor.created_at, anchor.id),
            };
            repo::messages_after(conn, conversation.as_str(), at, &id, fetch)?
        }
        None => repo::messages_before(conn, conversation.as_str(), query.cursor.as_ref(), fetch)?,
    };
    let page = Page::from_rows(
        rows,
        query.limit,
        |m: &Message| Cursor::new(m.created_at, m.id.clone()),
        |m| m,
    );
    Ok(Page {
        items: message_views(conn, page.items)?,
        next_cursor: page.next_cursor,
    })
}

/// A file to attach to a new message; the bytes are stored already.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    /// The storage key the bytes were put under.
    pub storage_key: String,
    /// The sanitised display name.
    pub filename: String,
    /// The sniffed content type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// The conversation.
    pub conversation: ConversationId,
    /// The text (validated by the caller).
    pub body: String,
    /// The WebSocket client's id of the message, for deduplication.
    pub client_msg_id: Option<String>,
    /// The attachment, if any.
    pub attachment: Option<NewAttachment>,
}

/// A stored message and who must hear about it.
#[derive(Debug, Clone)]
pub struct SentMessage {
    /// The message.
    pub message: MessageResponse,
    /// Both participants.
    pub participants: Vec<UserId>,
    /// The participants other than the sender.
    pub recipients: Vec<UserId>,
    /// `false` when a resend with the same `client_msg_id` found the message
    /// stored before (nothing new to announce).
    pub fresh: bool,
}

/// Stores a message from `sender`. Messages of one conversation get strictly
/// increasing `(created_at, id)` positions in commit order (the
/// conversation row is locked first and the time never goes back), so a
/// client catching up with `after=` never misses one that commits late.
#[tracing::instrument(skip_all, fields(user.id = %sender, conversation.id = %new.conversation))]
pub fn send_message(
    conn: &mut DbConn,
    sender: &UserId,
    new: NewMessage,
) -> Result<SentMessage, MessagingError> {
    let outcome = db::write_transaction(conn, |conn| {
        let conversation =
            repo::lock_conversation_of(conn, new.conversation.as_str(), sender.as_str())?
                .ok_or(MessagingError::NotFound("conversation"))?;
        if let Some(client_id) = &new.client_msg_id
            && let Some(existing) =
                repo::find_message_by_client_id(conn, sender.as_str(), client_id)?
        {
            return if existing.conversation_id == conversation.id {
                Ok((conversation, existing, None, false))
            } else {
                Err(MessagingError::invalid(
                    "client_msg_id",
                    "was used for a message in another conversation",
                ))
            };
        }
        let mut at = now();
        if let Some(last) = conversation.last_message_at
            && at <= last
        {
            at = last + TimeDelta::microseconds(1);
        }
        let message = Message {
            id: MessageId::generate().into_string(),
            conversation_id: conversation.id.clone(),
            sender_id: sender.to_string(),
            body: new.body.clone(),
            client_msg_id: new.client_msg_id.clone(),
            created_at: at,
        };
        // A client id may race in from another socket: the savepoint lets
        // the transaction go on after that unique violation. Without a
        // client id no violation is expected, and no savepoint is paid for.
        let inserted = if message.client_msg_id.is_some() {
            conn.transaction(|conn| repo::insert_message(conn, &message))
        } else {
            repo::insert_message(conn, &message)
        };
        match inserted {
            Ok(_) => {}
            Err(err) if is_unique_violation(&err) => {
                // The same client id raced in from another socket.
                let existing = new
                    .client_msg_id
                    .as_deref()
                    .map(|client_id| {
                        repo::find_message_by_client_id(conn, sender.as_str(), client_id)
                    })
                    .transpose()?
                    .flatten()
                    .ok_or(MessagingError::Internal(
                        "a unique violation without a duplicate".into(),
                    ))?;
                return Ok((conversation, existing, None, false));
            }
            Err(err) => return Err(err.into()),
        }
        let attachment = match &new.attachment {
            Some(file) => {
                let row = Attachment {
                    id: uuid::Uuid::now_v7().to_string(),
                    message_id: message.id.clone(),
                    conversation_id: conversation.id.clone(),
                    storage_key: file.storage_key.clone(),
                    filename: file.filename.clone(),
                    content_type: file.content_type.clone(),
                    size: file.size,
                    created_at: at,
                };
                repo::insert_attachment(conn, &row)?;
                Some(row)
            }
            None => None,
        };
        repo::touch_conversation(conn, &conversation.id, &message.id, at)?;
        Ok((conversation, message, attachment, true))
    });
    let (conversation, message, attachment, fresh) = outcome?;
    let message = if fresh {
        crate::dto::message_view(&message, attachment.as_ref())
    } else {
        message_views(conn, vec![message])?
            .pop()
            .ok_or(MessagingError::NotFound("message"))?
    };
    let participants: Vec<UserId> = conversation
        .participants()
        .into_iter()
        .map(|id| UserId::from_db(id.to_owned()))
        .collect();
    let recipients = participants
        .iter()
        .filter(|id| *id != sender)
        .cloned()
        .collect();
    Ok(SentMessage {
        message,
        participants,
        recipients,
        fresh,
    })
}

/// A read marker that moved.
#[derive(Debug, Clone)]
pub struct ReadMarker {
    /// Both participants.
    pub participants: Vec<UserId>,
    /// Whether the marker moved forward (a marker never moves back).
    pub moved: bool,
}

/// Marks `message` and everything before it read for `user`.
pub fn mark_read(
    conn: &mut DbConn,
    user: &UserId,
    conversation: &ConversationId,
    message: &MessageId,
) -> Result<ReadMarker, MessagingError> {
    let found = conversation_of(conn, conversation, user)?;
    let target = repo::find_message(conn, message.as_str())?
        .filter(|m| m.conversation_id == found.id)
        .ok_or(MessagingError::NotFound("message"))?;
    let moved = repo::advance_read_marker(
        conn,
        &found.id,
        user.as_str(),
        target.created_at,
        &target.id,
    )?;
    Ok(ReadMarker {
        participants: found
            .participants()
            .into_iter()
            .map(|id| UserId::from_db(id.to_owned()))
            .collect(),
        moved,
    })
}

/// An attachment, when `user` takes part in its conversation; 404
/// otherwise.
pub fn attachment_for(
    conn: &mut DbConn,
    user: &UserId,
    attachment: &str,
) -> Result<Attachment, MessagingError> {
    let found =
        repo::find_attachment(conn, attachment)?.ok_or(MessagingError::NotFound("attachment"))?;
    repo::find_member(conn, &found.conversation_id, user.as_str())?
        .ok_or(MessagingError::NotFound("attachment"))?;
    Ok(found)
}

/// A notification to store: for whom, from which event.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// The recipient.
    pub user: UserId,
    /// The event kind.
    pub kind: String,
    /// What the notification says (JSON).
    pub payload: serde_json::Value,
    /// The domain event's id; one notification per user and event.
    pub event_id: String,
}

/// Rows per insert statement, well under SQLite's bound-parameter limit.
const NOTIFICATIONS_PER_INSERT: usize = 500;

/// Stores notifications in as few statements as the batch allows, skipping
/// any already stored for the same user and event (an event handled twice),
/// and returns the ones stored now with their recipients, in batch order.
pub fn create_notifications(
    conn: &mut DbConn,
    batch: &[NewNotification],
) -> Result<Vec<(UserId, NotificationResponse)>, MessagingError> {
    let at = now();
    let rows: Vec<Notification> = batch
        .iter()
        .map(|new| Notification {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: new.user.to_string(),
            kind: new.kind.clone(),
            payload: new.payload.to_string(),
            event_id: new.event_id.clone(),
            read_at: None,
            created_at: at,
        })
        .collect();
    let mut inserted = std::collections::HashSet::new();
    conn.transaction(|conn| {
        for chunk in rows.chunks(NOTIFICATIONS_PER_INSERT) {
            inserted.extend(repo::insert_new_notifications(conn, chunk)?);
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(batch
        .iter()
        .zip(&rows)
        .filter(|(_, row)| inserted.contains(&row.id))
        .map(|(new, row)| (new.user.clone(), NotificationResponse::from(row)))
        .collect())
}

/// The caller's notifications, newest first.
pub fn list_notifications(
    conn: &mut DbConn,
    user: &UserId,
    unread_only: bool,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<NotificationResponse>, MessagingError> {
    let rows = repo::list_notifications(
        conn,
        user.as_str(),
        unread_only,
        cursor,
        i64::from(limit) + 1,
    )?;
    Ok(Page::from_rows(
        rows,
        limit,
        |n| Cursor::new(n.created_at, n.id.clone()),
        |n| NotificationResponse::from(&n),
    ))
}

/// Marks one of the caller's notifications read; 404 when it is not theirs.
/// Reading twice is harmless (the first time is kept).
pub fn mark_notification_read(
    conn: &mut DbConn,
    user: &UserId,
    id: &str,
) -> Result<(), MessagingError> {
    if repo::mark_notification_read(conn, id, user.as_str(), now())? == 0
        && !repo::notification_exists(conn, id, user.as_str())?
    {
        return Err(MessagingError::NotFound("notification"));
    }
    Ok(())
}

/// Marks every notification of the caller read.
pub fn mark_all_notifications_read(
    conn: &mut DbConn,
    user: &UserId,
) -> Result<usize, MessagingError> {
    Ok(repo::mark_all_notifications_read(
        conn,
        user.as_str(),
        now(),
    )?)
}

/// Messages stored, for admin statistics.
pub fn count_messages(conn: &mut DbConn) -> Result<i64, quickfix_shared::db::DbError> {
    Ok(repo::count_messages(conn)?)
}

/// Deletes the notifications older than `retention`, in bounded batches;
/// answers how many went.
pub fn purge_notifications(
    conn: &mut DbConn,
    retention: chrono::Duration,
) -> Result<usize, quickfix_shared::db::DbError> {
    let cutoff = db::now() - retention;
    db::purge_in_batches(conn, |conn, batch| {
        Ok(repo::purge_notifications(conn, cutoff, batch)?)
    })
}
