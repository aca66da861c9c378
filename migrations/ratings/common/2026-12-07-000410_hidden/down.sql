ALTER TABLE ratings DROP COLUMN hidden;
