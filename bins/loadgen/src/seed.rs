//! Seeding through the public API: customers, providers and open jobs.
//!
//! Every run gets its own email suffix, so seeding again against the same
//! server never collides; jobs accumulate across runs (the list workload
//! reads the newest page, so that does not change what it measures).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{StreamExt, TryStreamExt, stream};

use crate::api::{Api, ApiError, User};

/// How long seeding may take before the run gives up.
pub const SEED_TIMEOUT: Duration = Duration::from_secs(900);

/// Access tokens live 900 s by default; refresh them well before that.
const TOKEN_MAX_AGE: Duration = Duration::from_secs(600);

/// What a run seeded.
#[derive(Debug, Clone)]
pub struct Seed {
    /// This run's suffix in every email.
    pub run_id: String,
    /// Customers; they own the jobs and send messages.
    pub customers: Vec<User>,
    /// Providers, one per connection: they list jobs, make offers and
    /// receive messages.
    pub providers: Vec<User>,
    /// Ids of the open jobs this run posted, in posting order.
    pub jobs: Vec<String>,
    tokens_issued: Instant,
}

/// How much to seed.
#[derive(Debug, Clone, Copy)]
pub struct SeedPlan {
    /// Customers to register.
    pub customers: usize,
    /// Providers to register.
    pub providers: usize,
    /// Open jobs to post.
    pub jobs: usize,
    /// Requests in flight while seeding.
    pub concurrency: usize,
}

/// A run id unique enough for emails: seconds since the epoch and our pid.
pub fn run_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{secs:x}{:x}", std::process::id())
}

/// The email of a seeded account.
pub fn email(run_id: &str, role: &str, n: usize) -> String {
    format!("lg-{run_id}-{role}-{n}@loadgen.example.com")
}

/// Registers the accounts and posts the jobs of `plan`.
pub async fn seed(api: &Api, plan: SeedPlan) -> Result<Seed, ApiError> {
    let run_id = run_id();
    let started = Instant::now();
    // Registration hashes a password (bcrypt): a few at a time saturate the
    // server's cores.
    let register_concurrency = plan.concurrency.clamp(1, 8);
    let register = |role: &'static str, count: usize| {
        let run_id = run_id.clone();
        stream::iter(0..count)
            .map(move |n| {
                let email = email(&run_id, role, n);
                async move {
                    api.register(&email, role, &format!("Loadgen {role} {n}"))
                        .await
                }
            })
            .buffered(register_concurrency)
            .try_collect::<Vec<User>>()
    };
    let customers = register("customer", plan.customers.max(1)).await?;
    let providers = register("provider", plan.providers.max(1)).await?;
    eprintln!(
        "seed: {} customers and {} providers registered in {:.1} s",
        customers.len(),
        providers.len(),
        started.elapsed().as_secs_f64()
    );
    let tokens_issued = Instant::now();
    let history = history(api, &customers, &providers, plan.concurrency).await?;
    let posting = Instant::now();
    let customers_ref = &customers;
    let jobs: Vec<String> = stream::iter(0..plan.jobs)
        .map(|n| async move {
            let owner = &customers_ref[n % customers_ref.len()];
            api.create_job(owner, n).await
        })
        .buffered(plan.concurrency.max(1))
        .try_collect()
        .await?;
    eprintln!(
        "seed: {} open jobs posted in {:.1} s ({:.0}/s)",
        jobs.len(),
        posting.elapsed().as_secs_f64(),
        jobs.len() as f64 / posting.elapsed().as_secs_f64().max(0.001)
    );
    eprintln!("seed: {history} earlier offers on jobs older than those");
    Ok(Seed {
        run_id,
        customers,
        providers,
        jobs,
        tokens_issued,
    })
}

/// Offers each provider made before the run, on jobs of their own (older
/// than the run's, so no page the workloads read shows them).
const HISTORY_OFFERS_PER_PROVIDER: usize = 8;

/// Gives the marketplace a history before the run: jobs with earlier
/// offers. A table the workloads write to is then not empty when
/// PostgreSQL first plans their statements (an empty `offers` made the
/// plan of its foreign-key check a scan, kept for the connection's life
/// and slower with every offer the run added). Answers how many offers.
async fn history(
    api: &Api,
    customers: &[User],
    providers: &[User],
    concurrency: usize,
) -> Result<usize, ApiError> {
    let jobs: Vec<String> = stream::iter(0..HISTORY_OFFERS_PER_PROVIDER)
        .map(|n| api.create_job(&customers[n % customers.len()], n))
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    let offers = stream::iter(
        providers
            .iter()
            .flat_map(|p| jobs.iter().map(move |j| (p, j))),
    )
    .map(|(provider, job)| async move {
        let body = serde_json::json!({"price_cents": 10_000, "message": "Earlier offer."});
        api.post_expect(
            &format!("/api/v1/jobs/{job}/offers"),
            Some(&provider.access_token),
            &body,
            &[reqwest::StatusCode::CREATED],
        )
        .await
    })
    .buffered(concurrency.max(1))
    .try_collect::<Vec<_>>()
    .await?;
    Ok(offers.len())
}

impl Seed {
    /// Refreshes every token if they are getting old, so a long run never
    /// measures 401s.
    pub async fn keep_fresh(&mut self, api: &Api) -> Result<(), ApiError> {
        if self.tokens_issued.elapsed() < TOKEN_MAX_AGE {
            return Ok(());
        }
        let issued = Instant::now();
        for user in self.customers.iter_mut().chain(self.providers.iter_mut()) {
            api.refresh(user).await?;
        }
        self.tokens_issued = issued;
        eprintln!("seed: tokens refreshed");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_differ_by_run_role_and_number() {
        let a = email("r1", "customer", 0);
        assert_eq!(a, "lg-r1-customer-0@loadgen.example.com");
        assert_ne!(a, email("r2", "customer", 0));
        assert_ne!(a, email("r1", "provider", 0));
        assert_ne!(a, email("r1", "customer", 1));
    }
}
