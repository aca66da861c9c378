-- Hidden jobs (6/8): an admin hides a reported job; it leaves every list
-- and is 404 to all but its owner and admins.
ALTER TABLE jobs ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE;
