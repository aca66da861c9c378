//! `quickfix seed`: a realistic demo marketplace made through the crates'
//! services (never raw SQL), so every rule and aggregate holds. It runs in
//! one transaction; a second run finds the data and changes nothing.

use std::sync::Arc;

use chrono::{Duration, Utc};
use quickfix_bookings::dto::LocationUpdateRequest;
use quickfix_bookings::lifecycle::{Action, Outcome};
use quickfix_bookings::{BookingsState, LocationPolicy};
use quickfix_jobs::contract::Acceptor;
use quickfix_jobs::dto::{CreateJobRequest, CreateOfferRequest, LocationInput, OfferRoundRequest};
use quickfix_jobs::settings::JobRules;
use quickfix_ratings::dto::CreateRatingRequest;
use quickfix_shared::ApiError;
use quickfix_shared::auth::{AuthUser, Role};
use quickfix_shared::db::DbPool;
use quickfix_shared::ids::{BookingId, JobId, OfferId, UserId};
use quickfix_shared::moderation::TargetKind;
use quickfix_shared::outbox::{Relay, SharedRelay};
use quickfix_shared::storage::{LocalStorage, SharedStorage};
use quickfix_shared::tasks::TaskHandler;
use quickfix_users::commands::NewAccount;
use quickfix_users::dto::{
    CreateReportRequest, Location, ReportReason, ReportTarget, UpdateProfileRequest,
};

use crate::glue::Crates;

use crate::settings::{AppEnv, Settings};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "quickfix-demo";
/// The demo admin's email; its presence means the data is there.
pub const ADMIN_EMAIL: &str = "admin@demo.quickfix.test";

mod data;

use data::{CATEGORIES, CITIES, FIRST_NAMES};

/// What `seed` made, for printing.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    /// Whether the data was there already.
    pub already_seeded: bool,
    /// Customers made.
    pub customers: usize,
    /// Providers made.
    pub providers: usize,
    /// Jobs made.
    pub jobs: usize,
    /// Bookings made.
    pub bookings: usize,
    /// Ratings made.
    pub ratings: usize,
    /// Logins to try: (role, email).
    pub logins: Vec<(&'static str, String)>,
}

fn actor(id: &str, role: Role) -> AuthUser {
    AuthUser {
        id: UserId::from_db(id.to_owned()),
        role,
        session: String::new(),
        must_verify_email: false,
    }
}

fn logins() -> Vec<(&'static str, String)> {
    vec![
        ("admin", ADMIN_EMAIL.to_owned()),
        ("customer", "customer1@demo.quickfix.test".to_owned()),
        ("provider", "provider1@demo.quickfix.test".to_owned()),
    ]
}

/// Why `seed` refused to run.
pub const REFUSED_IN_PRODUCTION: &str = "`quickfix seed` does not run with app.env = production: its demo accounts share one public password";

/// What `seed` prints before it runs: the demo passwords are no secret.
pub const PUBLIC_PASSWORD_WARNING: &str = "warning: every demo account's password is public (it is in the README and the source); never seed a database others can reach";

/// Makes the demo data, or reports that it exists. Refuses to run in
/// production, where its public demo password would open real accounts.
///
/// It goes through each crate's commands, as the routes do, so every
/// change is stored with its events in that crate's transaction; the
/// in-process consumers (aggregates, the job's mirror, the booking of an
/// accepted offer) run before each command returns, the notifications are
/// delivered by the server's relay when it runs. The admin is made last:
/// a seed that failed half-way is redone on a fresh database.
pub async fn seed(pool: &DbPool, settings: &Settings) -> Result<SeedReport, ApiError> {
    if settings.app.env == AppEnv::Production {
        return Err(ApiError::forbidden(REFUSED_IN_PRODUCTION));
    }
    if quickfix_users::commands::email_taken(pool, ADMIN_EMAIL).await? {
        return Ok(SeedReport {
            already_seeded: true,
            logins: logins(),
            ..SeedReport::default()
        });
    }
    let hash = quickfix_users::passwords::hash_password(
        "cli",
        DEMO_PASSWORD.to_owned(),
        settings.auth.bcrypt_cost,
    )
    .await?;
    let relay = Relay::new(pool.clone());
    let crates = Crates::wire(settings, pool, &relay);
    crates.register_consumers(pool, &relay);
    let mut seeder = Seeder {
        pool,
        relay: &relay,
        crates: &crates,
        hash,
        report: SeedReport {
            logins: logins(),
            ..SeedReport::default()
        },
        disputes: Vec::new(),
        troublemaker: None,
        reporters: Vec::new(),
        applicant: None,
    };
    seeder.build().await?;
    let admin = seeder
        .account(
            ADMIN_EMAIL.to_owned(),
            Role::Admin,
            "Demo Admin".to_owned(),
            None,
            UpdateProfileRequest::default(),
            false,
        )
        .await?;
    let storage: SharedStorage = Arc::new(LocalStorage::new(&settings.storage.path));
    seeder.moderate(&admin, &storage).await?;
    relay.flush_marks().await?;
    Ok(seeder.report)
}

/// The smallest PDF the content sniffer takes, for the demo documents.
const DEMO_PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

struct Seeder<'a> {
    pool: &'a DbPool,
    relay: &'a SharedRelay,
    crates: &'a Crates,
    hash: String,
    report: SeedReport,
    /// Disputed bookings an admin settles once there is one.
    disputes: Vec<(BookingId, Outcome)>,
    /// The customer an admin suspends once there is one.
    troublemaker: Option<String>,
    /// Customers and the providers they report.
    reporters: Vec<(String, String)>,
    /// A provider who sends verification documents.
    applicant: Option<String>,
}

impl Seeder<'_> {
    async fn account(
        &self,
        email: String,
        role: Role,
        name: String,
        phone: Option<String>,
        profile: UpdateProfileRequest,
        verified: bool,
    ) -> Result<String, ApiError> {
        let id = quickfix_users::commands::create_account(
            self.relay,
            NewAccount {
                email,
                password_hash: self.hash.clone(),
                role,
                name,
                phone,
                profile,
                verified,
            },
        )
        .await?;
        Ok(id.into_string())
    }

    async fn build(&mut self) -> Result<(), ApiError> {
        let mut customers = Vec::new();
        for i in 0..24 {
            let (city, _, _) = CITIES[i % CITIES.len()];
            let name = format!("{} {}", FIRST_NAMES[i % FIRST_NAMES.len()], city);
            let profile = UpdateProfileRequest {
                address: Some(Some(format!(
                    "{} Street {}, {city}",
                    FIRST_NAMES[(i + 5) % FIRST_NAMES.len()],
                    i + 1
                ))),
                ..UpdateProfileRequest::default()
            };
            let id = self
                .account(
                    format!("customer{}@demo.quickfix.test", i + 1),
                    Role::Customer,
                    name,
                    Some(format!("+351 910 000 {:03}", i)),
                    profile,
                    false,
                )
                .await?;
            customers.push((id, i % CITIES.len()));
        }
        self.report.customers = customers.len();
        self.troublemaker = customers.last().map(|(id, _)| id.clone());

        let mut providers: Vec<(String, usize, usize)> = Vec::new();
        for i in 0..30 {
            let category = i % CATEGORIES.len();
            let city = i % CITIES.len();
            let (city_name, lat, lng) = CITIES[city];
            let (slug, _, _) = CATEGORIES[category];
            let name = format!(
                "{} {} Services",
                FIRST_NAMES[(i + 7) % FIRST_NAMES.len()],
                slug.replace('-', " ")
            );
            let jitter = (i as f64 * 0.37).sin() * 0.05;
            let profile = UpdateProfileRequest {
                category: Some(Some(slug.to_owned())),
                description: Some(Some(format!(
                    "Reliable {} in {city_name}, {} years of experience.",
                    slug.replace('-', " "),
                    3 + i % 12
                ))),
                service_area: Some(Some(format!("{city_name} and surroundings"))),
                hourly_rate_cents: Some(Some(2500 + (i as i64 % 7) * 500)),
                is_available: Some(i % 5 != 0),
                location: Some(Some(Location {
                    lat: lat + jitter,
                    lng: lng - jitter,
                })),
                ..UpdateProfileRequest::default()
            };
            let id = self
                .account(
                    format!("provider{}@demo.quickfix.test", i + 1),
                    Role::Provider,
                    name,
                    Some(format!("+351 920 000 {:03}", i)),
                    profile,
                    i % 3 == 0,
                )
                .await?;
            providers.push((id, category, city));
        }
        self.report.providers = providers.len();
        self.reporters = customers
            .iter()
            .zip(providers.iter().skip(1))
            .take(3)
            .map(|((customer, _), (provider, _, _))| (customer.clone(), provider.clone()))
            .collect();
        // Provider 2 (not verified: every third is) applies.
        self.applicant = providers.get(1).map(|(id, _, _)| id.clone());
        for j in 0..48 {
            self.job(j, &customers, &providers).await?;
        }
        Ok(())
    }

    /// The `j`-th demo job, taken as far as its stage: open (negotiating),
    /// cancelled, booked (a third bidder withdrew), cancelled booking,
    /// started, completed and rated (some disputed).
    async fn job(
        &mut self,
        j: usize,
        customers: &[(String, usize)],
        providers: &[(String, usize, usize)],
    ) -> Result<(), ApiError> {
        let (relay, crates) = (self.relay, self.crates);
        let currency = crates.jobs.currency.as_str();
        let (customer_id, city) = customers[j % customers.len()].clone();
        let category = (j * 7) % CATEGORIES.len();
        let (slug, title, description) = CATEGORIES[category];
        let (city_name, lat, lng) = CITIES[city];
        let customer = actor(&customer_id, Role::Customer);
        let job = quickfix_jobs::commands::create_job(
            self.pool,
            &crates.jobs,
            customer.clone(),
            CreateJobRequest {
                title: title.to_owned(),
                description: description.to_owned(),
                category: slug.to_owned(),
                budget_cents: (!j.is_multiple_of(4)).then_some(5_000 + (j as i64 % 9) * 2_500),
                location: LocationInput {
                    address: format!(
                        "{} Avenue {}, {city_name}",
                        FIRST_NAMES[j % FIRST_NAMES.len()],
                        j + 1
                    ),
                    lat: lat + (j as f64 * 0.13).cos() * 0.03,
                    lng: lng + (j as f64 * 0.29).sin() * 0.03,
                },
                scheduled_for: Some(Utc::now() + Duration::days(1 + (j as i64 % 14))),
            },
        )
        .await?;
        self.report.jobs += 1;
        let job_id = JobId::from_db(job.id.clone());
        let bidders: Vec<&(String, usize, usize)> = providers
            .iter()
            .filter(|(_, c, _)| *c == category)
            .chain(providers.iter().filter(|(_, c, _)| *c != category))
            .take(1 + j % 4)
            .collect();
        let mut offers = Vec::new();
        for (k, (provider_id, _, _)) in bidders.iter().enumerate() {
            let offer = quickfix_jobs::commands::create_offer(
                relay,
                &crates.jobs,
                actor(provider_id, Role::Provider),
                job_id.clone(),
                CreateOfferRequest {
                    price_cents: 6_000 + (j as i64 % 5) * 1_500 + k as i64 * 700,
                    message: format!("Happy to help with \"{title}\"; I can come this week."),
                    eta: Some(Utc::now() + Duration::hours(4 + k as i64 * 6)),
                },
            )
            .await?;
            offers.push((offer.id, (*provider_id).clone(), offer.price_cents));
        }
        let stage = j % 6;
        if stage == 0 {
            return self.negotiate(&customer, &job_id, &offers).await;
        }
        if stage == 1 {
            quickfix_jobs::commands::cancel_job(relay, currency, customer, job_id).await?;
            return Ok(());
        }
        if let [_, _, .., (last, bidder, _)] = offers.as_slice() {
            // A bidder who thought better of it before the owner chose.
            quickfix_jobs::commands::withdraw_offer(
                relay,
                currency,
                actor(bidder, Role::Provider),
                job_id.clone(),
                OfferId::from_db(last.clone()),
            )
            .await?;
        }
        let (offer_id, provider_id, price) = offers[0].clone();
        let offer_id = OfferId::from_db(offer_id);
        // Every other booked job was agreed on the owner's counter.
        let by = if j % 12 < 6 {
            Acceptor::Customer(customer.id.clone())
        } else {
            self.counter(&customer, &job_id, &offer_id, price - 500)
                .await?;
            Acceptor::Provider(UserId::from_db(provider_id.clone()))
        };
        let booking = quickfix_bookings::commands::accept_offer(
            &crates.bookings,
            relay,
            by,
            job_id,
            offer_id,
        )
        .await?;
        self.report.bookings += 1;
        let booking_id = BookingId::from_db(booking.id);
        let provider = actor(&provider_id, Role::Provider);
        if stage == 2 {
            return Ok(());
        }
        let trail = BookingsState {
            location: LocationPolicy {
                min_interval: Duration::zero(),
                ..crates.bookings.location
            },
            ..crates.bookings.clone()
        };
        for step in 0..4 {
            let offset = f64::from(step) * 0.002;
            quickfix_bookings::record_location(
                relay,
                &trail,
                provider.clone(),
                booking_id.clone(),
                LocationUpdateRequest {
                    lat: lat + offset,
                    lng: lng - offset,
                    heading: Some(45.0),
                    speed: Some(9.0),
                },
            )
            .await?;
        }
        let act = |by: &AuthUser, action, reason| {
            quickfix_bookings::commands::act(
                &crates.bookings,
                relay,
                by.clone(),
                booking_id.clone(),
                action,
                reason,
            )
        };
        if stage == 3 {
            act(&customer, Action::Cancel, Some("Plans changed".to_owned())).await?;
            return Ok(());
        }
        act(&provider, Action::Start, None).await?;
        if stage == 4 {
            return Ok(());
        }
        act(&provider, Action::Complete, None).await?;
        let stars = 3 + (j % 3) as u8;
        quickfix_ratings::commands::rate(
            &crates.ratings,
            relay,
            customer.clone(),
            booking_id.clone(),
            CreateRatingRequest {
                stars,
                comment: Some("Friendly, on time and tidy.".to_owned()),
            },
        )
        .await?;
        self.report.ratings += 1;
        if j % 2 == 1 {
            quickfix_ratings::commands::rate(
                &crates.ratings,
                relay,
                provider,
                booking_id.clone(),
                CreateRatingRequest {
                    stars: 5,
                    comment: Some("Clear instructions, easy access.".to_owned()),
                },
            )
            .await?;
            self.report.ratings += 1;
        }
        // Of the completed bookings, some are disputed: one dispute stays
        // open, others are upheld or cancelled by the admin.
        let outcome = match (j / 6) % 4 {
            1 => None,
            2 => Some(Outcome::Completed),
            3 => Some(Outcome::Cancelled),
            _ => return Ok(()),
        };
        act(
            &customer,
            Action::Dispute,
            Some("The problem came back the next day.".to_owned()),
        )
        .await?;
        if let Some(outcome) = outcome {
            self.disputes.push((booking_id, outcome));
        }
        Ok(())
    }

    /// What the admin does once there is one: settles the disputes
    /// [`Self::job`] left, suspends a customer for a week, and works the
    /// reports (one stays open, one resolved, one dismissed); a provider's
    /// verification documents wait in the queue.
    async fn moderate(&self, admin: &str, storage: &SharedStorage) -> Result<(), ApiError> {
        if let Some(provider) = &self.applicant {
            quickfix_users::commands::submit_verification(
                self.pool,
                storage,
                UserId::from_db(provider.clone()),
                vec![quickfix_users::commands::Uploaded {
                    filename: "trade-licence.pdf".to_owned(),
                    bytes: DEMO_PDF.to_vec(),
                }],
            )
            .await?;
        }
        let sources: quickfix_shared::moderation::ModerationSources =
            vec![quickfix_users::moderation::AccountsModeration::new(
                self.pool.clone(),
            )];
        for (n, (customer, provider)) in self.reporters.iter().enumerate() {
            let (filed, _) = quickfix_users::commands::file_report(
                self.pool,
                &sources,
                actor(customer, Role::Customer),
                CreateReportRequest {
                    target: ReportTarget {
                        kind: TargetKind::User,
                        id: provider.clone(),
                    },
                    reason: [ReportReason::Spam, ReportReason::Fraud, ReportReason::Abuse][n % 3],
                    note: Some("Kept messaging me about other jobs.".to_owned()),
                },
            )
            .await?;
            if n > 0 {
                quickfix_users::commands::close_report(
                    self.pool,
                    UserId::from_db(admin.to_owned()),
                    filed.id,
                    n == 1,
                    "Talked to the provider; nothing more to do.".to_owned(),
                )
                .await?;
            }
        }
        if let Some(customer) = &self.troublemaker {
            quickfix_users::commands::suspend_account(
                self.relay,
                UserId::from_db(admin.to_owned()),
                UserId::from_db(customer.clone()),
                "Abusive messages to providers.".to_owned(),
                Some(Utc::now() + Duration::days(7)),
            )
            .await?;
        }
        let admin = actor(admin, Role::Admin);
        for (booking, outcome) in &self.disputes {
            let note = match outcome {
                Outcome::Completed => "The photos show the work was done.",
                Outcome::Cancelled => "The work was not done; the booking is void.",
            };
            quickfix_bookings::commands::act(
                &self.crates.bookings,
                self.relay,
                admin.clone(),
                booking.clone(),
                Action::Resolve(*outcome),
                Some(note.to_owned()),
            )
            .await?;
        }
        Ok(())
    }

    /// An open job's negotiation: its first offer countered by the owner,
    /// its second countered and revised (pending again), its third expired
    /// as if nobody answered it for `jobs.offer_ttl_secs`.
    async fn negotiate(
        &mut self,
        customer: &AuthUser,
        job_id: &JobId,
        offers: &[(String, String, i64)],
    ) -> Result<(), ApiError> {
        let (relay, crates) = (self.relay, self.crates);
        let mut offers = offers.iter();
        if let Some((first, _, price)) = offers.next() {
            let first = OfferId::from_db(first.clone());
            self.counter(customer, job_id, &first, price - 1_000)
                .await?;
        }
        if let Some((second, provider, price)) = offers.next() {
            let second = OfferId::from_db(second.clone());
            self.counter(customer, job_id, &second, price - 800).await?;
            quickfix_jobs::commands::revise_offer(
                relay,
                &crates.jobs,
                actor(provider, Role::Provider),
                job_id.clone(),
                second,
                OfferRoundRequest {
                    price_cents: price - 400,
                    message: Some("Meet me halfway? Parts included.".to_owned()),
                },
            )
            .await?;
        }
        if let Some((third, _, _)) = offers.next() {
            let at_once = JobRules {
                offer_ttl: Duration::zero(),
                ..crates.jobs.rules
            };
            quickfix_jobs::timed::OfferExpiryTask::new(Arc::clone(relay), at_once)
                .run(third.clone())
                .await
                .map_err(ApiError::internal)?;
        }
        Ok(())
    }

    /// The owner counters an offer at `price`.
    async fn counter(
        &self,
        customer: &AuthUser,
        job_id: &JobId,
        offer_id: &OfferId,
        price: i64,
    ) -> Result<(), ApiError> {
        quickfix_jobs::commands::counter_offer(
            self.relay,
            &self.crates.jobs,
            customer.clone(),
            job_id.clone(),
            offer_id.clone(),
            OfferRoundRequest {
                price_cents: price.max(1),
                message: Some("Could you do it for a little less?".to_owned()),
            },
        )
        .await?;
        Ok(())
    }
}
