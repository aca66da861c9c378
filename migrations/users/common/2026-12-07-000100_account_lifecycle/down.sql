DROP TABLE notification_preferences;
DROP TABLE account_tokens;
ALTER TABLE users DROP COLUMN verify_sent_at;
ALTER TABLE users DROP COLUMN email_verified;
