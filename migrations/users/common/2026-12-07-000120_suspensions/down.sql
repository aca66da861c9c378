ALTER TABLE users DROP COLUMN suspension_reason;
ALTER TABLE users DROP COLUMN suspended_until;
ALTER TABLE users DROP COLUMN suspended_at;
