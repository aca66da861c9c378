//! The tables this crate owns; written by hand for both backends.

diesel::table! {
    /// Ratings: one per party per booking, hidden until revealed.
    ratings (id) {
        id -> Text,
        booking_id -> Text,
        rater_id -> Text,
        rated_id -> Text,
        stars -> Integer,
        comment -> Nullable<Text>,
        booking_completed_at -> Timestamp,
        created_at -> Timestamp,
        revealed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// One row per rated booking: the lock both parties' ratings take, so
    /// the second always sees the first and reveals both.
    rating_pairs (booking_id) {
        booking_id -> Text,
        rating_count -> Integer,
    }
}

diesel::allow_tables_to_appear_in_same_query!(ratings, rating_pairs);
