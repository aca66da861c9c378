-- The job mirrors its booking's state (5/8: a disputed booking's job is
-- `booked` again until the dispute is resolved). Events may arrive out of
-- order, so the job keeps the `updated_at` of the booking state it last
-- mirrored and ignores anything older.
ALTER TABLE jobs ADD COLUMN booking_updated_at TIMESTAMP;
