//! One WebSocket's life: frames in, frames out, heartbeat, idle timeout,
//! token expiry, and removal from the hub when it ends.

use std::collections::HashMap;
use std::time::Duration;

use actix_web::web;
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError, Session};
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, SharedAccountGate};
use quickfix_shared::db::{self, DbPool};
use quickfix_shared::extract::validation_error;
use quickfix_shared::ids::{BookingId, ConversationId, MessageId, UserId};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use validator::Validate;

use super::frames::{self, RawFrame, client, server};
use super::location::LocationUpdate;
use super::{CLOSE_SESSION_ENDED, CLOSE_TOO_MANY_SOCKETS, Connection, Kick};
use crate::service::{self, NewMessage};
use crate::{MessagingState, announce_read, send_message};

/// The largest frame a client may send.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// How long one write to a client may take before it counts as gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the account is checked again (a deactivated user's socket
/// closes within this time).
const GATE_EVERY: Duration = Duration::from_secs(60);
/// Conversations whose participants a socket remembers.
const MEMBERSHIP_CACHE: usize = 1024;
/// The close code of an expired token: reconnect with a fresh one.
pub const CLOSE_TOKEN_EXPIRED: u16 = 4001;

/// What a session needs.
pub(crate) struct Context {
    pub pool: web::Data<DbPool>,
    pub state: web::Data<MessagingState>,
    pub gate: Option<web::Data<SharedAccountGate>>,
    pub user: AuthUser,
    /// When the token stops being valid, as an instant of this process.
    pub expires: Instant,
}

struct Socket {
    ctx: Context,
    session: Session,
    id: String,
    /// Participants of conversations this socket used (they never change).
    members: HashMap<String, Vec<UserId>>,
}

fn close(code: CloseCode, description: &str) -> Option<CloseReason> {
    Some(CloseReason {
        code,
        description: Some(description.to_owned()),
    })
}

/// Runs a socket until it closes.
pub(crate) async fn run(
    ctx: Context,
    mut connection: Connection,
    session: Session,
    stream: actix_ws::MessageStream,
) {
    let kick = connection.kick_signal();
    let mut stream = stream
        .max_frame_size(MAX_FRAME_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME_BYTES);
    let heartbeat_every = ctx.state.config.heartbeat;
    let idle_timeout = ctx.state.config.idle_timeout;
    let expiry = tokio::time::sleep_until(ctx.expires);
    tokio::pin!(expiry);
    let mut heartbeat = tokio::time::interval_at(Instant::now() + heartbeat_every, heartbeat_every);
    let mut last_seen = Instant::now();
    let mut last_gate = Instant::now();
    let mut socket = Socket {
        id: connection.id().to_owned(),
        ctx,
        session,
        members: HashMap::new(),
    };
    tracing::debug!(user.id = %socket.ctx.user.id, "socket opened");

    let reason = loop {
        tokio::select! {
            biased;
            why = kick.kicked() => break match why {
                Kick::Slow => close(CloseCode::Policy, "too slow or resynchronising; reconnect"),
                Kick::SessionEnded => close(CloseCode::Other(CLOSE_SESSION_ENDED), "session_ended"),
                Kick::TooManySockets => close(CloseCode::Other(CLOSE_TOO_MANY_SOCKETS), "too_many_sockets"),
            },
            () = &mut expiry => break close(CloseCode::Other(CLOSE_TOKEN_EXPIRED), "the access token expired"),
            frame = connection.next_frame() => match frame {
                Some(text) => {
                    if !socket.write(String::from(&*text)).await {
                        break None;
                    }
                }
                None => break close(CloseCode::Policy, "too slow; reconnect"),
            },
            message = stream.recv() => match message {
                Some(Ok(AggregatedMessage::Text(text))) => {
                    last_seen = Instant::now();
                    if !socket.handle_text(&text).await {
                        break None;
                    }
                }
                Some(Ok(AggregatedMessage::Binary(_))) => {
                    last_seen = Instant::now();
                    let frame = frames::error("bad_frame", "frames are JSON text, not binary", None);
                    if !socket.write(frame).await {
                        break None;
                    }
                }
                Some(Ok(AggregatedMessage::Ping(bytes))) => {
                    last_seen = Instant::now();
                    if socket.session.pong(&bytes).await.is_err() {
                        break None;
                    }
                }
                Some(Ok(AggregatedMessage::Pong(_))) => last_seen = Instant::now(),
                Some(Ok(AggregatedMessage::Close(reason))) => break reason,
                Some(Err(ProtocolError::Overflow)) => {
                    break close(CloseCode::Size, "frames may be at most 64 KiB");
                }
                Some(Err(_)) => break close(CloseCode::Protocol, "WebSocket protocol error"),
                None => break None,
            },
            _ = heartbeat.tick() => {
                if last_seen.elapsed() >= idle_timeout {
                    break close(CloseCode::Away, "idle timeout");
                }
                if last_gate.elapsed() >= GATE_EVERY {
                    last_gate = Instant::now();
                    if let Some(gate) = &socket.ctx.gate
                        && gate.check(&socket.ctx.user).await.is_err()
                    {
                        break close(CloseCode::Policy, "this login has ended");
                    }
                }
                if socket.session.ping(b"").await.is_err() {
                    break None;
                }
            }
        }
    };
    drop(connection);
    tracing::debug!(user.id = %socket.ctx.user.id, "socket closed");
    let _ = socket.session.close(reason).await;
}

impl Socket {
    /// Writes a frame; `false` when the client is gone or too slow to read.
    async fn write(&mut self, frame: String) -> bool {
        matches!(
            tokio::time::timeout(WRITE_TIMEOUT, self.session.text(frame)).await,
            Ok(Ok(()))
        )
    }

    /// Handles one text frame; `false` when the socket must close.
    async fn handle_text(&mut self, text: &str) -> bool {
        let raw: RawFrame = match serde_json::from_str(text) {
            Ok(raw) => raw,
            Err(_) => {
                return self
                    .write(frames::error(
                        "bad_frame",
                        r#"a frame is a JSON object {"type": "...", "data": {...}}"#,
                        None,
                    ))
                    .await;
            }
        };
        let reference = raw.reference.clone().or_else(|| {
            raw.data
                .get("client_msg_id")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        });
        let outcome = match raw.kind.as_str() {
            client::PING => Ok(Some(frames::encode(server::PONG, serde_json::json!({})))),
            client::MESSAGE_SEND => self.message_send(raw.data).await,
            client::TYPING => self.typing(raw.data).await,
            client::READ => self.read(raw.data).await,
            client::LOCATION_UPDATE => self.location_update(raw.data).await,
            other => Err(FrameError::Own(
                "unknown_type",
                format!(
                    "unknown frame type `{}`",
                    other.chars().take(64).collect::<String>()
                ),
            )),
        };
        let answer = match outcome {
            Ok(Some(frame)) => frame,
            Ok(None) => return true,
            Err(FrameError::Api(err)) => frames::error_from(&err, reference.as_deref()),
            Err(FrameError::Own(code, message)) => {
                frames::error(code, message, reference.as_deref())
            }
        };
        self.write(answer).await
    }

    /// The participants of a conversation the user takes part in.
    async fn participants(
        &mut self,
        conversation: &ConversationId,
    ) -> Result<Vec<UserId>, FrameError> {
        if let Some(known) = self.members.get(conversation.as_str()) {
            return Ok(known.clone());
        }
        let (id, user) = (conversation.clone(), self.ctx.user.id.clone());
        let found = db::run(&self.ctx.pool, move |conn| {
            service::conversation_of(conn, &id, &user)
        })
        .await
        .map_err(|err| FrameError::Api(err.into()))?;
        let participants: Vec<UserId> = found
            .participants()
            .into_iter()
            .map(|id| UserId::from_db(id.to_owned()))
            .collect();
        if self.members.len() >= MEMBERSHIP_CACHE {
            self.members.clear();
        }
        self.members
            .insert(conversation.to_string(), participants.clone());
        Ok(participants)
    }

    async fn message_send(
        &mut self,
        data: serde_json::Value,
    ) -> Result<Option<String>, FrameError> {
        let send: frames::MessageSend = parse(data)?;
        let conversation = conversation_id(&send.conversation_id)?;
        self.ctx
            .user
            .require_verified_email()
            .map_err(FrameError::Api)?;
        self.ctx
            .state
            .quotas
            .message(&self.ctx.user.id)
            .map_err(FrameError::Api)?;
        let user = self.ctx.user.id.clone();
        let new = NewMessage {
            conversation,
            body: send.body,
            client_msg_id: Some(send.client_msg_id.clone()),
            attachment: None,
        };
        let sent = send_message(&self.ctx.state, &user, new, Some(&self.id))
            .await
            .map_err(FrameError::Api)?;
        let ack = frames::encode(
            server::MESSAGE_ACK,
            frames::MessageAck {
                client_msg_id: &send.client_msg_id,
                message: &sent.message,
            },
        );
        if !self.write(ack).await {
            return Err(FrameError::Own(
                "internal",
                "the acknowledgement was not sent".into(),
            ));
        }
        Ok(None)
    }

    async fn typing(&mut self, data: serde_json::Value) -> Result<Option<String>, FrameError> {
        let typing: frames::Typing = parse(data)?;
        let conversation = conversation_id(&typing.conversation_id)?;
        let others: Vec<UserId> = self
            .participants(&conversation)
            .await?
            .into_iter()
            .filter(|id| *id != self.ctx.user.id)
            .collect();
        self.ctx.state.hub.send(
            &others,
            frames::encode(
                server::TYPING,
                frames::TypingRelay {
                    conversation_id: conversation.as_str(),
                    user_id: self.ctx.user.id.as_str(),
                    is_typing: typing.is_typing,
                },
            ),
            None,
        );
        Ok(None)
    }

    async fn read(&mut self, data: serde_json::Value) -> Result<Option<String>, FrameError> {
        let read: frames::Read = parse(data)?;
        let conversation = conversation_id(&read.conversation_id)?;
        let message = MessageId::parse(&read.message_id)
            .ok_or_else(|| FrameError::Api(ApiError::not_found("message")))?;
        let (user, conv, msg) = (
            self.ctx.user.id.clone(),
            conversation.clone(),
            message.clone(),
        );
        let marker = db::run(&self.ctx.pool, move |conn| {
            service::mark_read(conn, &user, &conv, &msg)
        })
        .await
        .map_err(|err| FrameError::Api(err.into()))?;
        if marker.moved {
            announce_read(
                &self.ctx.state,
                &marker.participants,
                &self.ctx.user.id,
                &conversation,
                &message,
                Some(&self.id),
            );
        }
        Ok(None)
    }

    async fn location_update(
        &mut self,
        data: serde_json::Value,
    ) -> Result<Option<String>, FrameError> {
        let Some(sink) = self.ctx.state.location_sink().cloned() else {
            return Err(FrameError::Own(
                "unsupported",
                "live location over the socket is not available here; use POST /api/v1/bookings/{id}/location".into(),
            ));
        };
        let update: frames::LocationUpdate = parse(data)?;
        let booking_id = BookingId::parse(&update.booking_id)
            .ok_or_else(|| FrameError::Api(ApiError::not_found("booking")))?;
        sink.update(
            &self.ctx.user,
            LocationUpdate {
                booking_id,
                lat: update.lat,
                lng: update.lng,
            },
        )
        .await
        .map_err(FrameError::Api)?;
        Ok(None)
    }
}

/// Why a frame failed.
enum FrameError {
    /// An API error (its code and detail go into the `error` frame).
    Api(ApiError),
    /// A socket-only error code with a message.
    Own(&'static str, String),
}

/// Reads and validates a frame's data: a wrong shape is `bad_frame`, a
/// failed rule `validation_failed`.
fn parse<T: DeserializeOwned + Validate>(mut data: serde_json::Value) -> Result<T, FrameError> {
    quickfix_shared::text::check_json(&mut data).map_err(FrameError::Api)?;
    let value: T = serde_json::from_value(data).map_err(|err| {
        let message = err.to_string();
        match message.strip_prefix("missing field `") {
            Some(rest) => FrameError::Api(ApiError::invalid_field(
                rest.split('`').next().unwrap_or_default(),
                "is required",
            )),
            None => FrameError::Own(
                "bad_frame",
                format!("the frame's data is malformed: {message}"),
            ),
        }
    })?;
    value
        .validate()
        .map_err(|errors| FrameError::Api(validation_error(errors)))?;
    Ok(value)
}

fn conversation_id(raw: &str) -> Result<ConversationId, FrameError> {
    ConversationId::parse(raw).ok_or_else(|| FrameError::Api(ApiError::not_found("conversation")))
}
