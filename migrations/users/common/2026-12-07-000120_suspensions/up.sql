-- Suspensions (6/8): an admin suspends an account with a reason and an
-- optional end; the account is inactive meanwhile. `suspended_at` is set
-- only while a suspension stands (a plain deactivation leaves it null).
ALTER TABLE users ADD COLUMN suspended_at TIMESTAMP;
ALTER TABLE users ADD COLUMN suspended_until TIMESTAMP;
ALTER TABLE users ADD COLUMN suspension_reason TEXT;
