//! The jobs crate's rules: who may see and change jobs and offers, the
//! job and offer state machines, and the estimate. Functions are
//! synchronous, take a connection and own their transactions.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use quickfix_jobs_contract::{AcceptOffer, AcceptedOffer, Acceptor};
use quickfix_shared::FieldError;
use quickfix_shared::auth::{AuthUser, Role};
use quickfix_shared::db::{self, DbConn, DbError};
use quickfix_shared::error::{is_foreign_key_violation, is_unique_violation};
use quickfix_shared::extract::is_slug;
use quickfix_shared::geo::{BoundingBox, Point, coarse};
use quickfix_shared::ids::{JobId, OfferId, UserId};
use quickfix_shared::pagination::{Cursor, Page, collect_filtered};
use quickfix_shared::tasks;

use crate::dto::{
    CreateCategoryRequest, CreateJobRequest, CreateOfferRequest, EstimateRequest, EstimateSource,
    JobStatus, OfferRoundRequest, OfferStatus, PriceRange, RoundParty, UpdateJobRequest,
};
use crate::error::JobsError;
use crate::models::{Category, Job, Offer, OfferRound};
use crate::repository::{self as repo, JobChangeset, JobFilter};
use crate::settings::JobRules;

/// How far in the past `scheduled_for` may be (clock skew).
const SCHEDULE_GRACE: Duration = Duration::minutes(5);
/// Accepted offers an estimate looks at.
const ESTIMATE_SAMPLE: i64 = 500;
/// Fewer accepted offers than this and the estimate uses the fallback.
pub const ESTIMATE_MIN_SAMPLE: usize = 5;
/// Rows examined per batch when a `near` search filters by exact distance.
const NEAR_BATCH: i64 = 200;

fn now() -> NaiveDateTime {
    db::now()
}

fn search_text(title: &str, description: &str) -> String {
    format!("{} {}", title.to_lowercase(), description.to_lowercase())
}

mod categories;
mod closures;
mod estimate;
mod jobs;
mod offers;

pub use categories::*;
pub use closures::*;
pub use estimate::*;
pub use jobs::*;
pub use offers::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn category(slug: &str, keywords: &str) -> Category {
        Category {
            slug: slug.into(),
            name: slug.into(),
            keywords: keywords.into(),
            fallback_low_cents: 1,
            fallback_median_cents: 2,
            fallback_high_cents: 3,
            created_at: now(),
        }
    }

    #[test]
    fn the_category_with_most_keyword_hits_wins() {
        let categories = [
            category("plumbing", "leak,pipe,sink,faucet"),
            category("electrical", "outlet,wire,light"),
            category("other", ""),
        ];
        assert_eq!(
            guess_category(&categories, "My kitchen SINK has a leak"),
            "plumbing"
        );
        assert_eq!(
            guess_category(&categories, "Light by the sink flickers, wire loose"),
            "electrical"
        );
        assert_eq!(guess_category(&categories, "Walk my dog"), "other");
    }

    #[test]
    fn price_ranges_need_enough_samples() {
        assert_eq!(price_range(&[100, 200, 300, 400]), None);
        let range = price_range(&[500, 100, 400, 200, 300, 600, 700, 800]).expect("enough");
        assert_eq!(
            range,
            PriceRange {
                low: 200,
                median: 400,
                high: 600
            }
        );
    }

    #[test]
    fn precise_locations_are_for_owner_admin_and_the_accepted_provider() {
        use quickfix_shared::ids::UserId;
        let owner = AuthUser {
            id: UserId::generate(),
            role: Role::Customer,
            session: String::new(),
            must_verify_email: false,
        };
        let winner = AuthUser {
            id: UserId::generate(),
            role: Role::Provider,
            session: String::new(),
            must_verify_email: false,
        };
        let other = AuthUser {
            id: UserId::generate(),
            role: Role::Provider,
            session: String::new(),
            must_verify_email: false,
        };
        let admin = AuthUser {
            id: UserId::generate(),
            role: Role::Admin,
            session: String::new(),
            must_verify_email: false,
        };
        let stranger = AuthUser {
            id: UserId::generate(),
            role: Role::Customer,
            session: String::new(),
            must_verify_email: false,
        };
        let job = Job {
            id: "j".into(),
            customer_id: owner.id.to_string(),
            title: String::new(),
            description: String::new(),
            search_text: String::new(),
            category: "other".into(),
            status: JobStatus::Booked.as_str().into(),
            budget_cents: None,
            address: "x".into(),
            lat: 1.23456,
            lng: 2.34567,
            scheduled_for: None,
            offer_count: 1,
            accepted_offer_id: Some("o".into()),
            accepted_provider_id: Some(winner.id.to_string()),
            created_at: now(),
            updated_at: now(),
            booking_id: None,
            hidden: false,
        };
        assert!(sees_precise_location(&job, &owner));
        assert!(sees_precise_location(&job, &winner));
        assert!(sees_precise_location(&job, &admin));
        assert!(!sees_precise_location(&job, &other));
        assert!(!sees_precise_location(&job, &stranger));
    }
}
