//! The bookings crate's HTTP routes.

mod accept;
mod bookings;
mod location;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route of the crate (paths relative to `/api/v1`),
/// including the accept route under `/jobs/...`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(accept::accept_offer)
        .service(accept::accept_counter)
        .service(bookings::list_bookings)
        .service(bookings::get_booking)
        .service(bookings::start_booking)
        .service(bookings::complete_booking)
        .service(bookings::cancel_booking)
        .service(bookings::dispute_booking)
        .service(bookings::resolve_dispute)
        .service(bookings::list_booking_events)
        .service(location::update_location)
        .service(location::get_location);
}
