//! Queries of conversations and their members.

use super::*;

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
/// Makes `message` at `at` the conversation's last one, if `user` is a
/// participant and `at` is later than its last message: one statement that
/// also locks the row until commit (the position is then certain). `None`
/// when not (not a participant, or a clock behind the last message's
/// time): the caller takes the slow path.
pub fn claim_last_message(
    conn: &mut DbConn,
    id: &str,
    user: &str,
    message: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<Conversation>> {
    diesel::update(
        conversations::table
            .find(id)
            .filter(
                conversations::user_low
                    .eq(user)
                    .or(conversations::user_high.eq(user)),
            )
            .filter(
                conversations::last_message_at
                    .is_null()
                    .or(conversations::last_message_at.lt(at)),
            ),
    )
    .set((
        conversations::last_message_id.eq(message),
        conversations::last_message_at.eq(at),
    ))
    .returning(<Conversation as Selectable<MultiBackend>>::construct_selection())
    .get_result(conn)
    .optional()
}

/// Moves the members' last activity to `at`.
pub fn touch_members(conn: &mut DbConn, conversation: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        conversation_members::table
            .filter(conversation_members::conversation_id.eq(conversation))
            .filter(conversation_members::last_activity_at.lt(at)),
    )
    .set(conversation_members::last_activity_at.eq(at))
    .execute(conn)?;
    Ok(())
}

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
    touch_members(conn, conversation, at)
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
