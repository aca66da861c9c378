CREATE TABLE bookings (
    id TEXT PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL UNIQUE,
    offer_id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'in_progress', 'completed', 'cancelled')),
    scheduled_for TIMESTAMP,
    started_at TIMESTAMP,
    completed_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    cancel_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX bookings_customer_created ON bookings (customer_id, created_at, id);
CREATE INDEX bookings_provider_created ON bookings (provider_id, created_at, id);
CREATE INDEX bookings_status_created ON bookings (status, created_at, id);

CREATE TABLE booking_events (
    id TEXT PRIMARY KEY NOT NULL,
    booking_id TEXT NOT NULL REFERENCES bookings (id),
    seq INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (booking_id, seq)
);

CREATE TABLE booking_locations (
    id TEXT PRIMARY KEY NOT NULL,
    booking_id TEXT NOT NULL REFERENCES bookings (id),
    lat DOUBLE PRECISION NOT NULL,
    lng DOUBLE PRECISION NOT NULL,
    heading DOUBLE PRECISION,
    speed DOUBLE PRECISION,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX booking_locations_trail ON booking_locations (booking_id, recorded_at, id);
