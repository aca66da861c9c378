-- The statuses of negotiation and time (5/8): offers may be `countered` or
-- `expired`, jobs `expired`; a countered offer is still the provider's one
-- open offer on the job. SQLite cannot change a CHECK constraint, so both
-- tables are rebuilt, with foreign keys off (outside a transaction, hence
-- run_in_transaction = false) so that dropping `jobs` touches no offer.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE jobs_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    search_text TEXT NOT NULL,
    category TEXT NOT NULL REFERENCES categories (slug),
    status TEXT NOT NULL CHECK (status IN ('open', 'booked', 'completed', 'cancelled', 'expired')),
    budget_cents BIGINT,
    address TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lng DOUBLE PRECISION NOT NULL,
    scheduled_for TIMESTAMP,
    offer_count INTEGER NOT NULL DEFAULT 0,
    accepted_offer_id TEXT,
    accepted_provider_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    booking_id TEXT
);
INSERT INTO jobs_rebuilt (id, customer_id, title, description, search_text, category, status,
    budget_cents, address, lat, lng, scheduled_for, offer_count, accepted_offer_id,
    accepted_provider_id, created_at, updated_at, booking_id)
SELECT id, customer_id, title, description, search_text, category, status,
    budget_cents, address, lat, lng, scheduled_for, offer_count, accepted_offer_id,
    accepted_provider_id, created_at, updated_at, booking_id
FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_rebuilt RENAME TO jobs;
CREATE INDEX jobs_status_created ON jobs (status, created_at, id);
CREATE INDEX jobs_customer_created ON jobs (customer_id, created_at, id);
CREATE INDEX jobs_status_category ON jobs (status, category, created_at);
CREATE INDEX jobs_status_lat ON jobs (status, lat);
CREATE INDEX jobs_status_budget ON jobs (status, budget_cents);
CREATE INDEX jobs_accepted_provider ON jobs (accepted_provider_id, status);

CREATE TABLE offers_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES jobs (id),
    provider_id TEXT NOT NULL,
    category TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    message TEXT NOT NULL,
    eta TIMESTAMP,
    status TEXT NOT NULL CHECK (status IN ('pending', 'countered', 'accepted', 'rejected', 'withdrawn', 'expired')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO offers_rebuilt (id, job_id, provider_id, category, price_cents, message, eta,
    status, created_at, updated_at)
SELECT id, job_id, provider_id, category, price_cents, message, eta,
    status, created_at, updated_at
FROM offers;
DROP TABLE offers;
ALTER TABLE offers_rebuilt RENAME TO offers;
CREATE UNIQUE INDEX offers_one_open_per_provider ON offers (job_id, provider_id) WHERE status IN ('pending', 'countered');
CREATE UNIQUE INDEX offers_one_accepted_per_job ON offers (job_id) WHERE status = 'accepted';
CREATE INDEX offers_job_created ON offers (job_id, created_at, id);
CREATE INDEX offers_provider_created ON offers (provider_id, created_at, id);
CREATE INDEX offers_category_accepted ON offers (category, status, updated_at);
CREATE INDEX offers_provider_status ON offers (provider_id, status);

COMMIT;
PRAGMA foreign_keys = ON;
