-- Hidden ratings (6/8): an admin hides a reported rating; it leaves every
-- list and aggregate.
ALTER TABLE ratings ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE;
