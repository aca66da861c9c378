//! Queries on this crate's tables. Each takes the connection first, so it
//! runs inside or outside the caller's transaction alike.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use quickfix_shared::db::{DbConn, MultiBackend};
use quickfix_shared::pagination::Cursor;

use crate::models::{Attachment, Conversation, Member, Message, Notification};
use crate::schema::{attachments, conversation_members, conversations, messages, notifications};

/// Inserts a conversation.
pub fn insert_conversation(conn: &mut DbConn, conversation: &Conversation) -> QueryResult<usize> {
    diesel::insert_into(conversations::table)
        .values(conversation)
        .execute(conn)
}

/// The conversation of a pair and job key.
pub fn find_conversation_by_key(
    conn: &mut DbConn,
    user_low: &str,
    user_high: &str,
    job_key: &str,
) -> QueryResult<Option<Conversation>> {
    conversations::table
        .filter(conversations::user_low.eq(user_low))
        .filter(conversations::user_high.eq(user_high))
        .filter(conversations::job_key.eq(job_key))
        .select(Conversation::as_select())
        .first(conn)
        .optional()
}

/// A conversation by id, only when `user` takes part in it.
pub fn find_conversation_of(
    conn: &mut DbConn,
    id: &str,
    user: &str,
) -> QueryResult<Option<Conversation>> {
    conversations::table
        .inner_join(conversation_members::table)
        .filter(conversations::id.eq(id))
        .filter(conversation_members::user_id.eq(user))
        .select(Conversation::as_select())
        .first(conn)
        .optional()
}

/// Inserts a participant.
pub fn insert_member(conn: &mut DbConn, member: &Member) -> QueryResult<usize> {
    diesel::insert_into(conversation_members::table)
        .values(member)
        .execute(conn)
}

/// A participant's row.
pub fn find_member(
    conn: &mut DbConn,
    conversation: &str,
    user: &str,
) -> QueryResult<Option<Member>> {
    conversation_members::table
        .find((conversation, user))
        .select(Member::as_select())
        .first(conn)
        .optional()
}

/// The caller's conversations, most recent activity first, after `cursor`,
/// at most `limit` rows; each with the caller's activity key.
pub fn list_conversations(
    conn: &mut DbConn,
    user: &str,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<(Conversation, NaiveDateTime)>> {
    let mut query = conversations::table
        .inner_join(conversation_members::table)
        .filter(conversation_members::user_id.eq(user.to_owned()))
        .select((
            Conversation::as_select(),
            conversation_members::last_activity_at,
        ))
        .into_boxed::<MultiBackend>();
    if let Some(cursor) = cursor {
        query = query.filter(
            conversation_members::last_activity_at.lt(cursor.at).or(
                conversation_members::last_activity_at
                    .eq(cursor.at)
                    .and(conversation_members::conversation_id.lt(cursor.id.clone())),
            ),
        );
    }
    query
        .order((
            conversation_members::last_activity_at.desc(),
            conversation_members::conversation_id.desc(),
        ))
        .limit(limit)
        .load(conn)
}

/// Records a new message as the conversation's newest, unless a newer one
/// got there first, and moves both participants' activity keys forward.
pub fn touch_conversation(
    conn: &mut DbConn,
    conversation: &str,
    message: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        conversations::table
            .filter(conversations::id.eq(conversation))
            .filter(
                conversations::last_message_at
                    .is_null()
                    .or(conversations::last_message_at.lt(at))
                    .or(conversations::last_message_at
                        .eq(at)
                        .and(conversations::last_message_id.lt(message))),
            ),
    )
    .set((
        conversations::last_message_id.eq(message),
        conversations::last_message_at.eq(at),
    ))
    .execute(conn)?;
    diesel::update(
        conversation_members::table
            .filter(conversation_members::conversation_id.eq(conversation))
            .filter(conversation_members::last_activity_at.lt(at)),
    )
    .set(conversation_members::last_activity_at.eq(at))
    .execute(conn)?;
    Ok(())
}

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

/// Inserts notifications, skipping any whose (user, event) pair is stored
/// already; returns the ids of those inserted. PostgreSQL takes them in one
/// statement; SQLite, where Diesel sends a multi-row insert as one statement
/// per row anyway, one `INSERT ... ON CONFLICT DO NOTHING` each, which costs
/// no round trip in process.
pub fn insert_new_notifications(
    conn: &mut DbConn,
    rows: &[Notification],
) -> QueryResult<Vec<String>> {
    let target = (notifications::user_id, notifications::event_id);
    match conn {
        DbConn::Pg(pg) => diesel::insert_into(notifications::table)
            .values(rows)
            .on_conflict(target)
            .do_nothing()
            .returning(notifications::id)
            .get_results(pg),
        DbConn::Sqlite(sqlite) => {
            let mut inserted = Vec::with_capacity(rows.len());
            for row in rows {
                let count = diesel::insert_into(notifications::table)
                    .values(row)
                    .on_conflict(target)
                    .do_nothing()
                    .execute(sqlite)?;
                if count == 1 {
                    inserted.push(row.id.clone());
                }
            }
            Ok(inserted)
        }
    }
}

/// A user's notifications, newest first, after `cursor`.
pub fn list_notifications(
    conn: &mut DbConn,
    user: &str,
    unread_only: bool,
    cursor: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    let mut query = notifications::table
        .filter(notifications::user_id.eq(user.to_owned()))
        .select(Notification::as_select())
        .into_boxed::<MultiBackend>();
    if unread_only {
        query = query.filter(notifications::read_at.is_null());
    }
    if let Some(cursor) = cursor {
        query = query.filter(
            notifications::created_at
                .lt(cursor.at)
                .or(notifications::created_at
                    .eq(cursor.at)
                    .and(notifications::id.lt(cursor.id.clone()))),
        );
    }
    query
        .order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Whether a notification of `user` exists.
pub fn notification_exists(conn: &mut DbConn, id: &str, user: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::user_id.eq(user)),
    ))
    .get_result(conn)
}

/// Marks one of `user`'s notifications read, if it is not already.
pub fn mark_notification_read(
    conn: &mut DbConn,
    id: &str,
    user: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::user_id.eq(user))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(at))
    .execute(conn)
}

/// Marks every unread notification of `user` read.
pub fn mark_all_notifications_read(
    conn: &mut DbConn,
    user: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(at))
    .execute(conn)
}

/// Takes the row lock of a conversation `user` takes part in and returns
/// the row as it stands under the lock, in one statement; `None` when there
/// is no such conversation for `user`. The lock (PostgreSQL; SQLite's write
/// transaction holds the database lock already) makes messages of one
/// conversation be stored one after another.
pub fn lock_conversation_of(
    conn: &mut DbConn,
    id: &str,
    user: &str,
) -> QueryResult<Option<Conversation>> {
    diesel::update(
        conversations::table.find(id).filter(
            conversations::user_low
                .eq(user)
                .or(conversations::user_high.eq(user)),
        ),
    )
    .set(conversations::last_message_id.eq(conversations::last_message_id))
    .returning(<Conversation as Selectable<MultiBackend>>::construct_selection())
    .get_result(conn)
    .optional()
}

/// Messages stored.
pub fn count_messages(conn: &mut DbConn) -> QueryResult<i64> {
    messages::table.count().get_result(conn)
}

/// Deletes at most about `batch` notifications created before `cutoff`,
/// oldest first (ties at the batch's last time go too).
pub fn purge_notifications(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    let boundary: Option<NaiveDateTime> = notifications::table
        .filter(notifications::created_at.lt(cutoff))
        .order(notifications::created_at.asc())
        .offset(batch.max(1) - 1)
        .select(notifications::created_at)
        .first(conn)
        .optional()?;
    let upto = boundary.map_or(cutoff, |at| at + chrono::Duration::microseconds(1));
    diesel::delete(
        notifications::table
            .filter(notifications::created_at.lt(cutoff))
            .filter(notifications::created_at.lt(upto)),
    )
    .execute(conn)
}
