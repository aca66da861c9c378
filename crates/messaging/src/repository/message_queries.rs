//! Queries of messages, read markers and attachments.

use super::*;

/// Inserts a message.
pub fn insert_message(conn: &mut DbConn, message: &Message) -> QueryResult<usize> {
    diesel::insert_into(messages::table)
        .values(message)
        .execute(conn)
}

/// A message by id.
pub fn find_message(conn: &mut DbConn, id: &str) -> QueryResult<Option<Message>> {
    messages::table
        .find(id)
        .select(Message::as_select())
        .first(conn)
        .optional()
}

/// The message a sender stored under a client id.
pub fn find_message_by_client_id(
    conn: &mut DbConn,
    sender: &str,
    client_msg_id: &str,
) -> QueryResult<Option<Message>> {
    messages::table
        .filter(messages::sender_id.eq(sender))
        .filter(messages::client_msg_id.eq(client_msg_id))
        .select(Message::as_select())
        .first(conn)
        .optional()
}

/// Messages with these ids (any order).
pub fn find_messages(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<Message>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    messages::table
        .filter(messages::id.eq_any(ids))
        .select(Message::as_select())
        .load(conn)
}

/// A conversation's messages, newest first, before `cursor`.
pub fn messages_before(
    conn: &mut DbConn,
    conversation: &str,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    let mut query = messages::table
        .filter(messages::conversation_id.eq(conversation.to_owned()))
        .select(Message::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(cursor) = cursor {
        query = query.filter(
            messages::created_at.lt(cursor.at).or(messages::created_at
                .eq(cursor.at)
                .and(messages::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((messages::created_at.desc(), messages::id.desc()))
        .limit(limit)
        .load(conn)
}

/// A conversation's messages after the position `(at, id)`, oldest first.
pub fn messages_after(
    conn: &mut DbConn,
    conversation: &str,
    at: NaiveDateTime,
    id: &str,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    messages::table
        .filter(messages::conversation_id.eq(conversation))
        .filter(
            messages::created_at
                .gt(at)
                .or(messages::created_at.eq(at).and(messages::id.gt(id))),
        )
        .select(Message::as_select())
        .order((messages::created_at.asc(), messages::id.asc()))
        .limit(limit)
        .load(conn)
}

/// Moves a participant's read marker to `(at, id)` unless it is already
/// there or beyond; answers whether it moved.
pub fn advance_read_marker(
    conn: &mut DbConn,
    conversation: &str,
    user: &str,
    at: NaiveDateTime,
    id: &str,
) -> QueryResult<bool> {
    let moved = diesel::update(
        conversation_members::table
            .filter(conversation_members::conversation_id.eq(conversation))
            .filter(conversation_members::user_id.eq(user))
            .filter(
                conversation_members::last_read_at
                    .lt(at)
                    .or(conversation_members::last_read_at
                        .eq(at)
                        .and(conversation_members::last_read_message_id.lt(id))),
            ),
    )
    .set((
        conversation_members::last_read_at.eq(at),
        conversation_members::last_read_message_id.eq(id),
    ))
    .execute(conn)?;
    Ok(moved > 0)
}

/// For each of these conversations, how many messages from others `user`
/// has not read (conversations with none are absent).
pub fn unread_counts(
    conn: &mut DbConn,
    user: &str,
    conversation_ids: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    if conversation_ids.is_empty() {
        return Ok(Vec::new());
    }
    messages::table
        .inner_join(
            conversation_members::table.on(conversation_members::conversation_id
                .eq(messages::conversation_id)
                .and(conversation_members::user_id.eq(user))),
        )
        .filter(messages::conversation_id.eq_any(conversation_ids))
        .filter(messages::sender_id.ne(user))
        .filter(
            messages::created_at
                .gt(conversation_members::last_read_at)
                .or(messages::created_at
                    .eq(conversation_members::last_read_at)
                    .and(messages::id.gt(conversation_members::last_read_message_id))),
        )
        .group_by(messages::conversation_id)
        .select((messages::conversation_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Inserts an attachment.
pub fn insert_attachment(conn: &mut DbConn, attachment: &Attachment) -> QueryResult<usize> {
    diesel::insert_into(attachments::table)
        .values(attachment)
        .execute(conn)
}

/// An attachment by id.
pub fn find_attachment(conn: &mut DbConn, id: &str) -> QueryResult<Option<Attachment>> {
    attachments::table
        .find(id)
        .select(Attachment::as_select())
        .first(conn)
        .optional()
}

/// The attachments of these messages.
pub fn attachments_of(conn: &mut DbConn, message_ids: &[String]) -> QueryResult<Vec<Attachment>> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    attachments::table
        .filter(attachments::message_id.eq_any(message_ids))
        .select(Attachment::as_select())
        .load(conn)
}

/// Messages stored.
pub fn count_messages(conn: &mut DbConn) -> QueryResult<i64> {
    messages::table.count().get_result(conn)
}

/// Which of these messages an admin hid.
pub fn hidden_messages(
    conn: &mut DbConn,
    ids: &[String],
) -> QueryResult<std::collections::HashSet<String>> {
    Ok(messages::table
        .filter(messages::id.eq_any(ids))
        .filter(messages::hidden.eq(true))
        .select(messages::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Hides a message; 0 rows when it is hidden already or not there.
pub fn hide_message(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::update(messages::table.find(id).filter(messages::hidden.eq(false)))
        .set(messages::hidden.eq(true))
        .execute(conn)
}
