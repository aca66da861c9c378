-- When the user deleted the account (its row stays, anonymised, so the
-- messages and ratings that name it keep a name to show).
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
