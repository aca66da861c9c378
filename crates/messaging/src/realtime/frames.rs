//! The WebSocket frame protocol (`docs/asyncapi.yaml` documents it): every
//! frame is JSON `{"type": "...", "data": {...}}`; a client may add a
//! top-level `"ref"` string that an `error` frame answering it echoes.

use chrono::{DateTime, Utc};
use quickfix_shared::ApiError;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::dto::{MessageResponse, NotificationResponse, message_text, uuid_form};

/// Client frame types.
pub mod client {
    /// Send a message.
    pub const MESSAGE_SEND: &str = "message.send";
    /// Typing started or stopped.
    pub const TYPING: &str = "typing";
    /// A read marker.
    pub const READ: &str = "read";
    /// A provider's position.
    pub const LOCATION_UPDATE: &str = "location.update";
    /// Are you there?
    pub const PING: &str = "ping";
}

/// Server frame types.
pub mod server {
    /// The sender's message was stored.
    pub const MESSAGE_ACK: &str = "message.ack";
    /// A new message in one of the user's conversations.
    pub const MESSAGE_CREATED: &str = "message.created";
    /// Someone is typing.
    pub const TYPING: &str = "typing";
    /// Someone read up to a message.
    pub const READ: &str = "read";
    /// A provider's position on a booking.
    pub const LOCATION: &str = "location";
    /// The answer to `ping`.
    pub const PONG: &str = "pong";
    /// A new notification.
    pub const NOTIFICATION: &str = "notification";
    /// A booking changed.
    pub const BOOKING_UPDATED: &str = "booking.updated";
    /// A frame could not be handled.
    pub const ERROR: &str = "error";
}

/// A client frame before its data is read.
#[derive(Debug, Deserialize)]
pub struct RawFrame {
    /// The frame type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The frame's data.
    #[serde(default)]
    pub data: serde_json::Value,
    /// The client's reference, echoed by an `error` frame.
    #[serde(default, rename = "ref")]
    pub reference: Option<String>,
}

/// `message.send` data.
#[derive(Debug, Clone, Deserialize, Validate)]
pub struct MessageSend {
    /// The conversation.
    #[validate(custom(function = "uuid_form"))]
    pub conversation_id: String,
    /// The text, 1 to 4000 characters.
    #[validate(length(min = 1, max = 4000), custom(function = "message_text"))]
    pub body: String,
    /// The client's id of the message (1 to 64 characters); a resend with
    /// the same id is acknowledged with the stored message, not stored
    /// twice.
    #[validate(length(min = 1, max = 64), custom(function = "no_nul"))]
    pub client_msg_id: String,
}

/// `typing` data (client to server).
#[derive(Debug, Clone, Deserialize, Validate)]
pub struct Typing {
    /// The conversation.
    #[validate(custom(function = "uuid_form"))]
    pub conversation_id: String,
    /// Whether the user is typing now.
    pub is_typing: bool,
}

/// `read` data (client to server).
#[derive(Debug, Clone, Deserialize, Validate)]
pub struct Read {
    /// The conversation.
    #[validate(custom(function = "uuid_form"))]
    pub conversation_id: String,
    /// The newest message read.
    #[validate(custom(function = "uuid_form"))]
    pub message_id: String,
}

/// `location.update` data.
#[derive(Debug, Clone, Deserialize, Validate)]
pub struct LocationUpdate {
    /// The booking the provider is travelling to.
    #[validate(custom(function = "uuid_form"))]
    pub booking_id: String,
    /// Latitude, -90..90.
    #[validate(range(min = -90.0, max = 90.0))]
    pub lat: f64,
    /// Longitude, -180..180.
    #[validate(range(min = -180.0, max = 180.0))]
    pub lng: f64,
}

fn no_nul(value: &str) -> Result<(), validator::ValidationError> {
    if value.contains('\0') {
        Err(
            validator::ValidationError::new("nul").with_message(std::borrow::Cow::Borrowed(
                "must not contain NUL characters",
            )),
        )
    } else {
        Ok(())
    }
}

#[derive(Serialize)]
struct Frame<'a, T> {
    #[serde(rename = "type")]
    kind: &'a str,
    data: T,
}

/// The JSON text of a frame.
pub fn encode<T: Serialize>(kind: &str, data: T) -> String {
    serde_json::to_string(&Frame { kind, data }).unwrap_or_else(|err| {
        tracing::error!(error = %err, frame.kind = kind, "cannot encode a frame");
        format!(r#"{{"type":"{}","data":{{"code":"internal","message":"an internal error occurred"}}}}"#, server::ERROR)
    })
}

/// `message.ack` data.
#[derive(Debug, Serialize)]
pub struct MessageAck<'a> {
    /// The client's id of the message.
    pub client_msg_id: &'a str,
    /// The stored message.
    pub message: &'a MessageResponse,
}

/// `message.created` data.
#[derive(Debug, Serialize)]
pub struct MessageCreated<'a> {
    /// The message.
    pub message: &'a MessageResponse,
}

/// `typing` data (server to client).
#[derive(Debug, Serialize)]
pub struct TypingRelay<'a> {
    /// The conversation.
    pub conversation_id: &'a str,
    /// Who is typing.
    pub user_id: &'a str,
    /// Whether they are typing now.
    pub is_typing: bool,
}

/// `read` data (server to client).
#[derive(Debug, Serialize)]
pub struct ReadRelay<'a> {
    /// The conversation.
    pub conversation_id: &'a str,
    /// Who read.
    pub user_id: &'a str,
    /// The newest message they read.
    pub message_id: &'a str,
}

/// `location` data.
#[derive(Debug, Serialize)]
pub struct Location<'a> {
    /// The booking.
    pub booking_id: &'a str,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// When the position was taken.
    pub at: DateTime<Utc>,
}

/// `notification` data.
#[derive(Debug, Serialize)]
pub struct NotificationPush<'a> {
    /// The new notification.
    pub notification: &'a NotificationResponse,
}

/// `booking.updated` data.
#[derive(Debug, Serialize)]
pub struct BookingUpdated<'a> {
    /// The booking as the bookings API shows it.
    pub booking: &'a quickfix_bookings_contract::BookingResponse,
}

/// `error` data.
#[derive(Debug, Serialize)]
pub struct ErrorFrame<'a> {
    /// A stable snake_case code (the API's problem codes, plus `bad_frame`,
    /// `unknown_type` and `unsupported`).
    pub code: &'a str,
    /// What went wrong, for people.
    pub message: String,
    /// The `ref` of the frame it answers, if it had one.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
}

/// The `error` frame for an API error.
pub fn error_from(err: &ApiError, reference: Option<&str>) -> String {
    let problem = err.problem();
    let message = if problem.errors.is_empty() {
        problem.detail
    } else {
        problem
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    encode(
        server::ERROR,
        ErrorFrame {
            code: err.code().as_str(),
            message,
            reference,
        },
    )
}

/// An `error` frame with its own code.
pub fn error(code: &str, message: impl Into<String>, reference: Option<&str>) -> String {
    encode(
        server::ERROR,
        ErrorFrame {
            code,
            message: message.into(),
            reference,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_type_and_data() {
        let text = encode(server::PONG, serde_json::json!({}));
        assert_eq!(text, r#"{"type":"pong","data":{}}"#);
        let err = error("bad_frame", "nope", Some("r1"));
        let value: serde_json::Value = serde_json::from_str(&err).expect("json");
        assert_eq!(value["data"]["ref"], "r1");
        assert_eq!(value["data"]["code"], "bad_frame");
    }
}
