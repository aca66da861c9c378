-- Accounts being deleted or deleted: the jobs crate takes no new job,
-- offer or acceptance of theirs. Written in the transaction that checks
-- they have no active booking, so an accept racing the deletion either
-- lands first (and the deletion is refused) or is refused.
CREATE TABLE closed_accounts (
    user_id TEXT PRIMARY KEY NOT NULL,
    closed_at TIMESTAMP NOT NULL
);
CREATE INDEX jobs_accepted_provider ON jobs (accepted_provider_id, status);
CREATE INDEX offers_provider_status ON offers (provider_id, status);
