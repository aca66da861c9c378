//! The bookings crate's HTTP routes.

mod accept;
mod bookings;
mod location;

use quickfix_shared::events::DomainEvent;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::models::Booking;

/// Registers every route of the crate (paths relative to `/api/v1`),
/// including the accept route under `/jobs/...`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(accept::accept_offer)
        .service(bookings::list_bookings)
        .service(bookings::get_booking)
        .service(bookings::start_booking)
        .service(bookings::complete_booking)
        .service(bookings::cancel_booking)
        .service(bookings::list_booking_events)
        .service(location::update_location)
        .service(location::get_location);
}

/// The `booking.updated` event of a change, stored with it.
fn updated_event(booking: &Booking, currency: &str, actor: &str) -> DomainEvent {
    crate::booking_updated(booking, currency, actor)
}
