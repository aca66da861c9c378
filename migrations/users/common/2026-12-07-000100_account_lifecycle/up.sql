-- Whether the account's email is known to be its owner's, and when the
-- last verification email went out (the resend limit counts from it).
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN verify_sent_at TIMESTAMP;

-- Single-use tokens mailed to a user, stored only as SHA-256 hashes:
-- `reset` (a password reset), `verify` (the current address) and `change`
-- (an email change to `email`).
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('reset', 'verify', 'change')),
    email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);

-- Per-user email notification choices; a kind without a row is on.
CREATE TABLE notification_preferences (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    email BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, kind)
);
