-- Provider verification documents (6/8): a provider submits 1..5 files,
-- stored privately; an admin approves (the profile becomes verified) or
-- rejects with a reason. One submission pending per provider at a time.
CREATE TABLE verifications (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason TEXT,
    submitted_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    decided_by TEXT
);
CREATE UNIQUE INDEX verifications_one_pending ON verifications (provider_id) WHERE status = 'pending';
CREATE INDEX verifications_of_provider ON verifications (provider_id, submitted_at);
CREATE INDEX verifications_queue ON verifications (status, submitted_at, id);

CREATE TABLE verification_files (
    id TEXT PRIMARY KEY NOT NULL,
    verification_id TEXT NOT NULL REFERENCES verifications (id),
    position INTEGER NOT NULL,
    storage_key TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL
);
CREATE INDEX verification_files_of ON verification_files (verification_id, position);

-- What the profile shows: none, pending, verified or rejected; providers
-- verified by v1's direct route are verified.
ALTER TABLE users ADD COLUMN verification TEXT NOT NULL DEFAULT 'none';
UPDATE users SET verification = 'verified' WHERE verified;
