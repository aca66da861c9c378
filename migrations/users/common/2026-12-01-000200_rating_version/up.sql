-- The version of the rating aggregate last applied from a ratings event,
-- so a late or repeated event never overwrites a newer aggregate.
ALTER TABLE users ADD COLUMN rating_version BIGINT NOT NULL DEFAULT 0;
