-- Bookings may be `disputed` (5/8). SQLite cannot change a CHECK
-- constraint, so the table is rebuilt, with foreign keys off (outside a
-- transaction, hence run_in_transaction = false) so that dropping
-- `bookings` touches no timeline entry or position.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE bookings_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL UNIQUE,
    offer_id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'in_progress', 'completed', 'cancelled', 'disputed')),
    scheduled_for TIMESTAMP,
    started_at TIMESTAMP,
    completed_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    cancel_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO bookings_rebuilt (id, job_id, offer_id, customer_id, provider_id, price_cents,
    status, scheduled_for, started_at, completed_at, cancelled_at, cancel_reason,
    created_at, updated_at)
SELECT id, job_id, offer_id, customer_id, provider_id, price_cents,
    status, scheduled_for, started_at, completed_at, cancelled_at, cancel_reason,
    created_at, updated_at
FROM bookings;
DROP TABLE bookings;
ALTER TABLE bookings_rebuilt RENAME TO bookings;
CREATE INDEX bookings_customer_created ON bookings (customer_id, created_at, id);
CREATE INDEX bookings_provider_created ON bookings (provider_id, created_at, id);
CREATE INDEX bookings_status_created ON bookings (status, created_at, id);

COMMIT;
PRAGMA foreign_keys = ON;
