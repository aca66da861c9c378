//! The tables this crate owns; written by hand for both backends.

diesel::table! {
    /// Conversations between an unordered pair of users (and an optional job).
    conversations (id) {
        id -> Text,
        user_low -> Text,
        user_high -> Text,
        job_key -> Text,
        job_id -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        last_message_id -> Nullable<Text>,
        last_message_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Each participant's ordering key and read marker.
    conversation_members (conversation_id, user_id) {
        conversation_id -> Text,
        user_id -> Text,
        last_activity_at -> Timestamp,
        last_read_at -> Timestamp,
        last_read_message_id -> Text,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    /// Messages of conversations.
    messages (id) {
        id -> Text,
        conversation_id -> Text,
        sender_id -> Text,
        body -> Text,
        client_msg_id -> Nullable<Text>,
        created_at -> Timestamp,
        hidden -> Bool,
    }
}

diesel::table! {
    /// Files attached to messages; the bytes live in the storage layer.
    attachments (id) {
        id -> Text,
        message_id -> Text,
        conversation_id -> Text,
        storage_key -> Text,
        filename -> Text,
        content_type -> Text,
        size -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Notifications made from domain events, one row per recipient.
    notifications (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        payload -> Text,
        event_id -> Text,
        read_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Messages waiting to be emailed to a recipient who was not on a
    /// socket, per (recipient, conversation).
    message_email_digests (recipient_id, conversation_id) {
        recipient_id -> Text,
        conversation_id -> Text,
        since -> Timestamp,
        due_at -> Timestamp,
    }
}

diesel::joinable!(conversation_members -> conversations (conversation_id));
diesel::joinable!(messages -> conversations (conversation_id));

diesel::allow_tables_to_appear_in_same_query!(
    conversations,
    conversation_members,
    messages,
    attachments,
    notifications,
    message_email_digests
);
