-- Counter-offers (5/8). An offer keeps the owner's standing counter price
-- while it is `countered` and how many counters it had (`jobs.max_rounds`);
-- every round, the provider's opening offer first, is a row of
-- `offer_rounds`, numbered from 0 per offer.
ALTER TABLE offers ADD COLUMN counter_price_cents BIGINT;
ALTER TABLE offers ADD COLUMN counters INTEGER NOT NULL DEFAULT 0;

CREATE TABLE offer_rounds (
    offer_id TEXT NOT NULL REFERENCES offers (id),
    seq INTEGER NOT NULL,
    by_party TEXT NOT NULL CHECK (by_party IN ('provider', 'customer')),
    price_cents BIGINT NOT NULL,
    message TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (offer_id, seq)
);

INSERT INTO offer_rounds (offer_id, seq, by_party, price_cents, message, created_at)
SELECT id, 0, 'provider', price_cents, message, created_at FROM offers;

-- The expiry tasks' re-check and the start-up catch-up find open offers
-- and jobs by state and age.
CREATE INDEX offers_status_updated ON offers (status, updated_at);
