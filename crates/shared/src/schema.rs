//! The tables this crate owns.

diesel::table! {
    /// First answers of creating requests, replayed for a repeated
    /// `Idempotency-Key`.
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        state -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The transactional outbox: every domain event, in `seq` order.
    outbox_events (seq) {
        seq -> BigInt,
        id -> Text,
        kind -> Text,
        subject_kind -> Text,
        subject_id -> Text,
        actor_id -> Nullable<Text>,
        occurred_at -> Timestamp,
        data -> Text,
    }
}

diesel::table! {
    /// The events each consumer has handled.
    outbox_handled (consumer, event_id) {
        consumer -> Text,
        event_id -> Text,
        handled_at -> Timestamp,
    }
}

diesel::table! {
    /// Events a consumer gave up on after its retries.
    outbox_parked (consumer, event_id) {
        consumer -> Text,
        event_id -> Text,
        attempts -> Integer,
        last_error -> Text,
        parked_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(outbox_events, outbox_handled, outbox_parked);

diesel::table! {
    /// Emails to send, sent, or parked after their retries (`crate::mail`).
    email_outbox (id) {
        id -> Text,
        kind -> Text,
        user_id -> Nullable<Text>,
        to_name -> Text,
        to_address -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Timed work (`crate::tasks`): one row per task, done or waiting.
    scheduled_tasks (id) {
        id -> Text,
        kind -> Text,
        subject_id -> Text,
        due_at -> Timestamp,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        leased_until -> Nullable<Timestamp>,
        done_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Every admin action (`crate::modlog`), append-only.
    modlog (id) {
        id -> Text,
        actor_id -> Text,
        action -> Text,
        target_kind -> Text,
        target_id -> Text,
        reason -> Nullable<Text>,
        at -> Timestamp,
    }
}
