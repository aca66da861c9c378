DROP INDEX login_sessions_last_used;
DROP INDEX login_sessions_revoked;
