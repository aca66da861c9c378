-- The statuses of negotiation and time (5/8): offers may be `countered` or
-- `expired`, jobs `expired`; a countered offer is still the provider's one
-- open offer on the job.
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('open', 'booked', 'completed', 'cancelled', 'expired'));
ALTER TABLE offers DROP CONSTRAINT offers_status_check;
ALTER TABLE offers ADD CONSTRAINT offers_status_check
    CHECK (status IN ('pending', 'countered', 'accepted', 'rejected', 'withdrawn', 'expired'));
DROP INDEX offers_one_pending_per_provider;
CREATE UNIQUE INDEX offers_one_open_per_provider ON offers (job_id, provider_id) WHERE status IN ('pending', 'countered');
