ALTER TABLE jobs DROP COLUMN booking_updated_at;
