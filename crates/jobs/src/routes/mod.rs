//! The jobs crate's HTTP routes, one file per area.

mod categories;
mod estimate;
mod jobs;
mod offers;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route of the crate (paths relative to `/api/v1`).
/// `/jobs/estimate` comes before `/jobs/{id}`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(categories::list_categories)
        .service(categories::create_category)
        .service(estimate::estimate_price)
        .service(jobs::create_job)
        .service(jobs::list_jobs)
        .service(jobs::get_job)
        .service(jobs::update_job)
        .service(jobs::cancel_job)
        .service(offers::create_offer)
        .service(offers::list_offers)
        .service(offers::withdraw_offer)
        .service(offers::counter_offer)
        .service(offers::revise_offer)
        .service(offers::offer_rounds);
}
