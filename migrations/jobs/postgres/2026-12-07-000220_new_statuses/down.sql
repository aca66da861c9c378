DROP INDEX offers_one_open_per_provider;
CREATE UNIQUE INDEX offers_one_pending_per_provider ON offers (job_id, provider_id) WHERE status = 'pending';
ALTER TABLE offers DROP CONSTRAINT offers_status_check;
ALTER TABLE offers ADD CONSTRAINT offers_status_check
    CHECK (status IN ('pending', 'accepted', 'rejected', 'withdrawn'));
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('open', 'booked', 'completed', 'cancelled'));
