//! A user's data export (`GET /api/v1/users/me/export`): each crate answers
//! for what it holds of the user through [`PersonalData`], the users crate
//! streams the sections one after the other as one JSON document.

use futures_util::future::BoxFuture;

use crate::error::ApiError;
use crate::ids::UserId;

/// A named part of the export: `("bookings", [...])`.
pub type Section = (&'static str, serde_json::Value);

/// What one crate holds of a user, for the export.
pub trait PersonalData: Send + Sync + 'static {
    /// The names of the sections this crate answers, in order.
    fn sections(&self) -> &'static [&'static str];

    /// The sections of `user`, in [`PersonalData::sections`] order.
    fn export(&self, user: UserId) -> BoxFuture<'static, Result<Vec<Section>, ApiError>>;
}

/// The sources of an export, in the order they are written.
pub type PersonalDataSources = Vec<std::sync::Arc<dyn PersonalData>>;
