//! The bookings crate's part of a user's data export: their bookings, as
//! customer or provider.

use std::sync::Arc;

use diesel::prelude::*;
use futures_util::future::BoxFuture;
use quickfix_shared::ApiError;
use quickfix_shared::db::{self, DbError, DbPool};
use quickfix_shared::export::{PersonalData, Section};
use quickfix_shared::ids::UserId;

use crate::dto::booking_view;
use crate::models::Booking;
use crate::schema::bookings;

/// The bookings crate's [`PersonalData`].
pub struct BookingsData {
    pool: DbPool,
    currency: String,
}

impl BookingsData {
    /// The source reading through `pool`.
    pub fn new(pool: DbPool, currency: &str) -> Arc<Self> {
        Arc::new(Self {
            pool,
            currency: currency.to_owned(),
        })
    }
}

impl PersonalData for BookingsData {
    fn sections(&self) -> &'static [&'static str] {
        &["bookings"]
    }

    fn export(&self, user: UserId) -> BoxFuture<'static, Result<Vec<Section>, ApiError>> {
        let (pool, currency) = (self.pool.clone(), self.currency.clone());
        Box::pin(async move {
            let rows = db::run(&pool, move |conn| {
                bookings::table
                    .filter(
                        bookings::customer_id
                            .eq(user.as_str())
                            .or(bookings::provider_id.eq(user.as_str())),
                    )
                    .order((bookings::created_at, bookings::id))
                    .select(Booking::as_select())
                    .load::<Booking>(conn)
                    .map_err(DbError::from)
            })
            .await?;
            let views: Vec<_> = rows.iter().map(|b| booking_view(b, &currency)).collect();
            Ok(vec![(
                "bookings",
                serde_json::to_value(views).map_err(ApiError::internal)?,
            )])
        })
    }
}
