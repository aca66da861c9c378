//! The messaging crate's HTTP routes, one file per area.

mod attachments;
mod conversations;
mod messages;
mod notifications;
mod ws;

use utoipa_actix_web::service_config::ServiceConfig;

/// The `Location` of a sent message: its conversation's messages (a message
/// has no URL of its own).
fn message_location(message: &serde_json::Value) -> Option<String> {
    Some(format!(
        "/api/v1/conversations/{}/messages",
        message["conversation_id"].as_str()?
    ))
}

/// Registers every route of the crate (paths relative to `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(conversations::create_conversation)
        .service(conversations::list_conversations)
        .service(messages::list_messages)
        .service(messages::send_message)
        .service(messages::mark_read)
        .service(attachments::upload_attachment)
        .service(attachments::get_attachment)
        .service(notifications::list_notifications)
        .service(notifications::read_all_notifications)
        .service(notifications::read_notification)
        .service(ws::connect_ws);
}
