-- The transactional outbox: every domain event, written in the transaction
-- of the change that causes it, in commit order per writer (seq).
CREATE TABLE outbox_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    actor_id TEXT,
    occurred_at TIMESTAMP NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX outbox_events_occurred ON outbox_events (occurred_at);
CREATE INDEX outbox_events_kind ON outbox_events (kind, seq);
CREATE INDEX outbox_events_subject ON outbox_events (subject_id, seq);
