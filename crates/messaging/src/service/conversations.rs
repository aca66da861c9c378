//! Conversations: started once per pair and job, listed with their last
//! message, unread count and participants.

use super::*;

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
