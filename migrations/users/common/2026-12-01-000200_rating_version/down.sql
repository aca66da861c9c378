ALTER TABLE users DROP COLUMN rating_version;
