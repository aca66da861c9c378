-- Identities at trusted identity providers (7/8): a user signs in with an
-- ID token of a configured issuer instead of (or beside) a password. An
-- account created this way has an empty password_hash: no password
-- matches it until one is set through a password reset.
CREATE TABLE user_identities (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    email TEXT,
    created_at TIMESTAMP NOT NULL
);
-- One account per identity: the sign-in lookup, and the race of two first
-- sign-ins decided by the database.
CREATE UNIQUE INDEX user_identities_subject ON user_identities (provider, subject);
-- A user's identities (the list, unlink, deletion).
CREATE INDEX user_identities_user ON user_identities (user_id, created_at, id);
