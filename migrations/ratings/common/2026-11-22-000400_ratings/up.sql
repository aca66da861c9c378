CREATE TABLE ratings (
    id TEXT PRIMARY KEY NOT NULL,
    booking_id TEXT NOT NULL,
    rater_id TEXT NOT NULL,
    rated_id TEXT NOT NULL,
    stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment TEXT,
    booking_completed_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revealed_at TIMESTAMP,
    UNIQUE (booking_id, rater_id)
);
CREATE INDEX ratings_rated_revealed ON ratings (rated_id, revealed_at, created_at, id);
CREATE INDEX ratings_unrevealed_due ON ratings (revealed_at, booking_completed_at);

CREATE TABLE rating_pairs (
    booking_id TEXT PRIMARY KEY NOT NULL,
    rating_count INTEGER NOT NULL DEFAULT 0
);
