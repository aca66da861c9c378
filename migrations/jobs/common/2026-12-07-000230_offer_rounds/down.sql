DROP INDEX offers_status_updated;
DROP TABLE offer_rounds;
ALTER TABLE offers DROP COLUMN counters;
ALTER TABLE offers DROP COLUMN counter_price_cents;
