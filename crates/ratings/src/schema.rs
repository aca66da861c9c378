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
        hidden -> Bool,
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

diesel::table! {
    /// A booking's parties and state, as `booking.updated` told (the crate
    /// on its own).
    followed_bookings (booking_id) {
        booking_id -> Text,
        customer_id -> Text,
        provider_id -> Text,
        status -> Text,
        completed_at -> Nullable<Timestamp>,
        version -> Timestamp,
    }
}

diesel::table! {
    /// Accounts as the users events told (the crate on its own).
    followed_accounts (user_id) {
        user_id -> Text,
        role -> Text,
        is_active -> Bool,
        activation_at -> Timestamp,
    }
}

diesel::table! {
    /// Logins as the users events told (the crate on its own).
    followed_sessions (session_id) {
        session_id -> Text,
        user_id -> Text,
        ended -> Bool,
    }
}

diesel::allow_tables_to_appear_in_same_query!(ratings, rating_pairs);
diesel::joinable!(followed_sessions -> followed_accounts (user_id));
diesel::allow_tables_to_appear_in_same_query!(followed_accounts, followed_sessions);
