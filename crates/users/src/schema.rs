//! The tables this crate owns; written by hand for both backends.

diesel::table! {
    /// Accounts with their profile fields.
    users (id) {
        id -> Text,
        email -> Text,
        email_normalized -> Text,
        password_hash -> Text,
        role -> Text,
        is_active -> Bool,
        name -> Text,
        phone -> Nullable<Text>,
        address -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        category -> Nullable<Text>,
        description -> Nullable<Text>,
        service_area -> Nullable<Text>,
        hourly_rate_cents -> Nullable<BigInt>,
        verified -> Bool,
        is_available -> Bool,
        lat -> Nullable<Double>,
        lng -> Nullable<Double>,
        rating_avg -> Nullable<Double>,
        rating_count -> Integer,
        rating_version -> BigInt,
        email_verified -> Bool,
        verify_sent_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        suspended_at -> Nullable<Timestamp>,
        suspended_until -> Nullable<Timestamp>,
        suspension_reason -> Nullable<Text>,
        verification -> Text,
    }
}

diesel::table! {
    /// Logins: one per successful login or registration, holding a family of
    /// refresh tokens.
    login_sessions (id) {
        id -> Text,
        user_id -> Text,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Refresh tokens, stored only as SHA-256 hashes.
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The services a provider offers (its catalog).
    provider_services (id) {
        id -> Text,
        provider_id -> Text,
        title -> Text,
        description -> Text,
        category -> Text,
        price_cents -> BigInt,
        unit -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Customers' favourite providers.
    favorites (customer_id, provider_id) {
        customer_id -> Text,
        provider_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Single-use tokens mailed to a user (reset, verify, change), hashed.
    account_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Email notification choices; a kind without a row is on.
    notification_preferences (user_id, kind) {
        user_id -> Text,
        kind -> Text,
        email -> Bool,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    account_tokens,
    notification_preferences,
    users,
    login_sessions,
    refresh_tokens,
    provider_services,
    favorites,
    blocks,
    verifications,
    verification_files,
    reports,
    user_identities
);

diesel::table! {
    /// Who blocked whom.
    blocks (blocker_id, blocked_id) {
        blocker_id -> Text,
        blocked_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Providers' verification submissions.
    verifications (id) {
        id -> Text,
        provider_id -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        submitted_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
    }
}

diesel::table! {
    /// The files of a verification submission, stored privately.
    verification_files (id) {
        id -> Text,
        verification_id -> Text,
        position -> Integer,
        storage_key -> Text,
        filename -> Text,
        content_type -> Text,
        size -> BigInt,
    }
}

diesel::table! {
    /// Reports of users, jobs, offers, messages and ratings.
    reports (id) {
        id -> Text,
        reporter_id -> Nullable<Text>,
        target_kind -> Text,
        target_id -> Text,
        target_author_id -> Text,
        reason -> Text,
        note -> Nullable<Text>,
        status -> Text,
        snapshot -> Text,
        resolution_action -> Nullable<Text>,
        resolution_note -> Nullable<Text>,
        resolved_by -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Identities at configured identity providers, one account each.
    user_identities (id) {
        id -> Text,
        user_id -> Text,
        provider -> Text,
        subject -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
