-- What each consumer has handled (its idempotency: an event id once).
CREATE TABLE outbox_handled (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    handled_at TIMESTAMP NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

-- Events a consumer gave up on after its retries, for admins to see.
CREATE TABLE outbox_parked (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    parked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
