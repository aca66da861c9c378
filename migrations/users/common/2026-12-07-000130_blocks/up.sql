-- Blocks between users (6/8): the blocked user may not open a conversation
-- with, message, or send an offer to the blocker, nor see them in the
-- provider directory.
CREATE TABLE blocks (
    blocker_id TEXT NOT NULL REFERENCES users (id),
    blocked_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
-- Who blocked a user (the checks of messaging, offers and the directory).
CREATE INDEX blocks_blocked ON blocks (blocked_id, blocker_id);
