//! The messaging crate's part of a user's data export: the messages they
//! sent (with their attachments' details) and their notifications.

use std::sync::Arc;

use diesel::prelude::*;
use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::db::{self, DbError, DbPool};
use quickfix_shared::export::{PersonalData, Section};
use quickfix_shared::ids::UserId;

use crate::dto::{NotificationResponse, message_view};
use crate::models::{Attachment, Message, Notification};
use crate::schema::{attachments, messages, notifications};

/// The messaging crate's [`PersonalData`].
pub struct MessagingData {
    pool: DbPool,
}

impl MessagingData {
    /// The source reading through `pool`.
    pub fn new(pool: DbPool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl PersonalData for MessagingData {
    fn sections(&self) -> &'static [&'static str] {
        &["messages_sent", "notifications"]
    }

    fn export(&self, user: UserId) -> BoxFuture<'static, Result<Vec<Section>, ApiError>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let (sent, files, notes) = db::run(&pool, move |conn| {
                let sent: Vec<Message> = messages::table
                    .filter(messages::sender_id.eq(user.as_str()))
                    .order((messages::created_at, messages::id))
                    .select(Message::as_select())
                    .load(conn)?;
                let ids: Vec<&str> = sent.iter().map(|m| m.id.as_str()).collect();
                let files: Vec<Attachment> = attachments::table
                    .filter(attachments::message_id.eq_any(ids))
                    .select(Attachment::as_select())
                    .load(conn)?;
                let notes: Vec<Notification> = notifications::table
                    .filter(notifications::user_id.eq(user.as_str()))
                    .order((notifications::created_at, notifications::id))
                    .select(Notification::as_select())
                    .load(conn)?;
                Ok::<_, DbError>((sent, files, notes))
            })
            .await?;
            let sent: Vec<_> = sent
                .iter()
                .map(|m| message_view(m, files.iter().find(|f| f.message_id == m.id)))
                .collect();
            let notes: Vec<NotificationResponse> =
                notes.iter().map(NotificationResponse::from).collect();
            Ok(vec![
                (
                    "messages_sent",
                    serde_json::to_value(sent).map_err(ApiError::internal)?,
                ),
                (
                    "notifications",
                    serde_json::to_value(notes).map_err(ApiError::internal)?,
                ),
            ])
        })
    }
}
