-- Conversations between an unordered pair of users, optionally about a job.
-- user_low is the smaller of the two ids (the server orders them); job_key
-- is the job id or '' (NULLs are never equal in a unique constraint, so
-- "no job" needs a value that is). The unique index decides races.
CREATE TABLE conversations (
    id TEXT PRIMARY KEY NOT NULL,
    user_low TEXT NOT NULL,
    user_high TEXT NOT NULL,
    job_key TEXT NOT NULL,
    job_id TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_message_id TEXT,
    last_message_at TIMESTAMP
);
CREATE UNIQUE INDEX conversations_pair_job ON conversations (user_low, user_high, job_key);

-- One row per participant: the caller's ordering key and read marker.
CREATE TABLE conversation_members (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    last_activity_at TIMESTAMP NOT NULL,
    last_read_at TIMESTAMP NOT NULL,
    last_read_message_id TEXT NOT NULL,
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user_activity
    ON conversation_members (user_id, last_activity_at, conversation_id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    sender_id TEXT NOT NULL,
    body TEXT NOT NULL,
    client_msg_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX messages_conversation_created ON messages (conversation_id, created_at, id);
CREATE UNIQUE INDEX messages_sender_client_id ON messages (sender_id, client_msg_id);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    message_id TEXT NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    storage_key TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_conversation ON attachments (conversation_id);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    event_id TEXT NOT NULL,
    read_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notifications_user_created ON notifications (user_id, created_at, id);
CREATE INDEX notifications_user_unread ON notifications (user_id, read_at, created_at, id);
CREATE UNIQUE INDEX notifications_user_event ON notifications (user_id, event_id);
