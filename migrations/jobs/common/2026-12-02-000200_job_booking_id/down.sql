ALTER TABLE jobs DROP COLUMN booking_id;
