//! Messages: listed around a position, sent (with an attachment), read
//! markers, attachments' access.

use super::*;

/// Messages with their attachments (one query for all attachments).
pub(super) fn message_views(
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
    blockers: &std::collections::HashSet<UserId>,
) -> Result<SentMessage, MessagingError> {
    let outcome = db::write_transaction(conn, |conn| {
        let message_id = MessageId::generate().into_string();
        let started = now();
        // Without a client id there is no resend to look for first: the
        // statement that locks the conversation also makes this message its
        // last (one statement fewer), when the clock is ahead of its last
        // message, as it nearly always is.
        let claimed = match new.client_msg_id {
            None => repo::claim_last_message(
                conn,
                new.conversation.as_str(),
                sender.as_str(),
                &message_id,
                started,
            )?,
            Some(_) => None,
        };
        let claimed_slot = claimed.is_some();
        let conversation = match claimed {
            Some(conversation) => conversation,
            None => repo::lock_conversation_of(conn, new.conversation.as_str(), sender.as_str())?
                .ok_or(MessagingError::NotFound("conversation"))?,
        };
        // A participant who blocked the sender: refused, and a claimed
        // slot goes back with the transaction.
        let other = if conversation.user_low == sender.as_str() {
            &conversation.user_high
        } else {
            &conversation.user_low
        };
        if blockers.contains(&UserId::from_db(other.clone())) {
            return Err(MessagingError::Blocked);
        }
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
        let mut at = started;
        if !claimed_slot
            && let Some(last) = conversation.last_message_at
            && at <= last
        {
            at = last + TimeDelta::microseconds(1);
        }
        let message = Message {
            id: message_id,
            conversation_id: conversation.id.clone(),
            sender_id: sender.to_string(),
            body: new.body.clone(),
            client_msg_id: new.client_msg_id.clone(),
            created_at: at,
            hidden: false,
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
        if claimed_slot {
            repo::touch_members(conn, &conversation.id, at)?;
        } else {
            repo::touch_conversation(conn, &conversation.id, &message.id, at)?;
        }
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
    // A hidden message's file goes with its text.
    if repo::find_message(conn, &found.message_id)?.is_none_or(|m| m.hidden) {
        return Err(MessagingError::NotFound("attachment"));
    }
    Ok(found)
}

/// Hides a message (an admin, on a report), in the modlog; answers whether
/// it exists. Hiding twice is harmless (logged once).
pub fn hide_message(
    conn: &mut DbConn,
    id: &str,
    admin: &str,
    reason: &str,
) -> Result<bool, MessagingError> {
    db::write_transaction(conn, |conn| {
        if repo::find_message(conn, id)?.is_none() {
            return Ok(false);
        }
        if repo::hide_message(conn, id)? > 0 {
            quickfix_shared::modlog::record(
                conn,
                &quickfix_shared::modlog::ModEntry {
                    actor_id: admin,
                    action: quickfix_shared::modlog::ModAction::HideContent,
                    target_kind: "message",
                    target_id: id,
                    reason: Some(reason),
                },
            )?;
        }
        Ok(true)
    })
}

/// Messages stored, for admin statistics.
pub fn count_messages(conn: &mut DbConn) -> Result<i64, quickfix_shared::db::DbError> {
    Ok(repo::count_messages(conn)?)
}
