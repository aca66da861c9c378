-- The booking an accepted offer became: the accept command's idempotency
-- key (the same command again answers the same acceptance).
ALTER TABLE jobs ADD COLUMN booking_id TEXT;
