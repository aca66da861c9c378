//! The tables this crate owns; written by hand for both backends.

diesel::table! {
    /// Service categories, with estimate keywords and fallback prices.
    categories (slug) {
        slug -> Text,
        name -> Text,
        keywords -> Text,
        fallback_low_cents -> BigInt,
        fallback_median_cents -> BigInt,
        fallback_high_cents -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Jobs posted by customers.
    jobs (id) {
        id -> Text,
        customer_id -> Text,
        title -> Text,
        description -> Text,
        search_text -> Text,
        category -> Text,
        status -> Text,
        budget_cents -> Nullable<BigInt>,
        address -> Text,
        lat -> Double,
        lng -> Double,
        scheduled_for -> Nullable<Timestamp>,
        offer_count -> Integer,
        accepted_offer_id -> Nullable<Text>,
        accepted_provider_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        booking_id -> Nullable<Text>,
        booking_updated_at -> Nullable<Timestamp>,
        hidden -> Bool,
    }
}

diesel::table! {
    /// Providers' offers on jobs.
    offers (id) {
        id -> Text,
        job_id -> Text,
        provider_id -> Text,
        category -> Text,
        price_cents -> BigInt,
        message -> Text,
        eta -> Nullable<Timestamp>,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        counter_price_cents -> Nullable<BigInt>,
        counters -> Integer,
    }
}

diesel::table! {
    /// Every round of an offer's negotiation, numbered from 0 (the
    /// provider's opening offer).
    offer_rounds (offer_id, seq) {
        offer_id -> Text,
        seq -> Integer,
        by_party -> Text,
        price_cents -> BigInt,
        message -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Accounts being deleted or deleted: no new job, offer or acceptance.
    closed_accounts (user_id) {
        user_id -> Text,
        closed_at -> Timestamp,
    }
}

diesel::joinable!(offers -> jobs (job_id));
diesel::joinable!(offer_rounds -> offers (offer_id));
diesel::allow_tables_to_appear_in_same_query!(
    categories,
    jobs,
    offers,
    offer_rounds,
    closed_accounts
);
