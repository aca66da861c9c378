-- Not reversed in place: rows in the new states would break the old CHECK
-- lists. Restore the database from a backup taken before the upgrade.
SELECT 1;
