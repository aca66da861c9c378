//! The tables this crate owns; written by hand for both backends.

diesel::table! {
    /// Bookings: an accepted offer becoming work.
    bookings (id) {
        id -> Text,
        job_id -> Text,
        offer_id -> Text,
        customer_id -> Text,
        provider_id -> Text,
        price_cents -> BigInt,
        status -> Text,
        scheduled_for -> Nullable<Timestamp>,
        started_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        cancel_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// The append-only timeline of each booking.
    booking_events (id) {
        id -> Text,
        booking_id -> Text,
        seq -> Integer,
        actor_id -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The provider's recent positions per booking (bounded).
    booking_locations (id) {
        id -> Text,
        booking_id -> Text,
        lat -> Double,
        lng -> Double,
        heading -> Nullable<Double>,
        speed -> Nullable<Double>,
        recorded_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(bookings, booking_events, booking_locations);
