-- What the ratings crate follows of the others when it runs as its own
-- service (from their events over the stream): a booking's parties and
-- state, accounts and their logins. Empty in the monolith, where it asks
-- the other crates directly.
CREATE TABLE followed_bookings (
    booking_id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    status TEXT NOT NULL,
    completed_at TIMESTAMP,
    -- The booking's own updated_at: an older event never overwrites a newer.
    version TIMESTAMP NOT NULL
);

CREATE TABLE followed_accounts (
    user_id TEXT PRIMARY KEY NOT NULL,
    role TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    -- When the last suspension or reinstatement happened.
    activation_at TIMESTAMP NOT NULL
);

CREATE TABLE followed_sessions (
    session_id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    ended BOOLEAN NOT NULL
);
CREATE INDEX followed_sessions_user ON followed_sessions (user_id);
