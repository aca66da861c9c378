-- The ratings a user gave, for the data export.
CREATE INDEX ratings_rater_created ON ratings (rater_id, created_at, id);
