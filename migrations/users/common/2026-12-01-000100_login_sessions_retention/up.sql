-- What the retention purge filters on: ended and expired logins.
CREATE INDEX login_sessions_revoked ON login_sessions (revoked_at);
CREATE INDEX login_sessions_last_used ON login_sessions (last_used_at);
