ALTER TABLE messages DROP COLUMN hidden;
