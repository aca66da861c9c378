-- Messages waiting to be emailed to a recipient who was not on a socket:
-- one row per (recipient, conversation), due `email.message_delay_secs`
-- after the first unread message; the email then batches every message
-- of the conversation since.
CREATE TABLE message_email_digests (
    recipient_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    since TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    PRIMARY KEY (recipient_id, conversation_id)
);
CREATE INDEX message_email_digests_due ON message_email_digests (due_at);

-- The messages a user sent, for the data export.
CREATE INDEX messages_sender_created ON messages (sender_id, created_at, id);
