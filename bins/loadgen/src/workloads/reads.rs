//! Read and write loops over HTTP: the job list, `/auth/me`, offers, new
//! jobs.

use super::*;

/// A closed loop of authenticated GETs of `path` with the providers' tokens.
pub(super) async fn get_loop(
    ctx: &Context,
    seed: &Seed,
    path: &str,
    tasks: usize,
    clock: Clock,
) -> PhaseResult {
    let api = ctx.api.clone();
    let url: Arc<str> = api.url(path).into();
    let tokens = tokens(&seed.providers);
    closed_loop(tasks, clock, move |task, _| {
        let request = api
            .http()
            .get(&*url)
            .bearer_auth(&tokens[task % tokens.len()]);
        async move { check(request.send().await, StatusCode::OK).await }
    })
    .await
}

/// `GET /api/v1/jobs?limit=20` as providers (open jobs, newest first).
pub async fn jobs_list(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let before = ctx.rss();
    let meter = ctx.meter();
    let phase = get_loop(ctx, seed, JOBS_PATH, ctx.connections(), ctx.clock()).await;
    let mut row = row_of("jobs-list", &phase, &meter);
    row.rss_before_kib = before;
    row.rss_after_kib = ctx.rss();
    vec![row]
}

pub(super) const JOBS_PATH: &str = "/api/v1/jobs?limit=20";

/// `GET /api/v1/auth/me`.
pub async fn me(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let before = ctx.rss();
    let meter = ctx.meter();
    let phase = get_loop(ctx, seed, "/api/v1/auth/me", ctx.connections(), ctx.clock()).await;
    let mut row = row_of("me", &phase, &meter);
    row.rss_before_kib = before;
    row.rss_after_kib = ctx.rss();
    vec![row]
}

/// `POST /api/v1/jobs/{id}/offers`: connection `i` is provider `i` and walks
/// the seeded jobs from its own offset, so every offer is a new
/// (provider, job) pair and concurrent offers rarely touch the same job.
pub async fn offers(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let tasks = ctx.connections().min(seed.providers.len());
    if seed.jobs.is_empty() {
        return vec![Row::skipped("offers", "no seeded jobs (--jobs 0)")];
    }
    let before = ctx.rss();
    let api = ctx.api.clone();
    let tokens = tokens(&seed.providers);
    let jobs: Arc<Vec<String>> = Arc::new(seed.jobs.clone());
    let stride = jobs.len() / tasks.max(1);
    let meter = ctx.meter();
    let phase = closed_loop(tasks, ctx.clock(), move |task, seq| {
        let index = usize::try_from(seq).unwrap_or(usize::MAX);
        let request = (index < jobs.len()).then(|| {
            let job = &jobs[(task * stride + index) % jobs.len()];
            api.http()
                .post(api.url(&format!("/api/v1/jobs/{job}/offers")))
                .bearer_auth(&tokens[task])
                .json(&json!({"price_cents": 12_000 + seq as i64, "message": "I can do it this week."}))
        });
        async move {
            match request {
                Some(request) => check(request.send().await, StatusCode::CREATED).await,
                None => Outcome::Stop,
            }
        }
    })
    .await;
    let mut row = row_of("offers", &phase, &meter);
    row.rss_before_kib = before;
    row.rss_after_kib = ctx.rss();
    append_note(
        &mut row,
        &format!("{tasks} providers, each on its own jobs"),
    );
    vec![row]
}

/// `POST /api/v1/jobs`: connection `i` posts as customer `i mod customers`.
pub async fn jobs_create(ctx: &Context, seed: &Seed) -> Vec<Row> {
    if seed.customers.is_empty() {
        return vec![Row::skipped("jobs-create", "no seeded customers")];
    }
    let before = ctx.rss();
    let api = ctx.api.clone();
    let tokens = tokens(&seed.customers);
    let url: Arc<str> = api.url("/api/v1/jobs").into();
    let meter = ctx.meter();
    let phase = closed_loop(ctx.connections(), ctx.clock(), move |task, seq| {
        let n = usize::try_from(seq).unwrap_or(0);
        let request = api
            .http()
            .post(&*url)
            .bearer_auth(&tokens[task % tokens.len()])
            .json(&crate::api::job_body(n));
        async move { check(request.send().await, StatusCode::CREATED).await }
    })
    .await;
    let mut row = row_of("jobs-create", &phase, &meter);
    row.rss_before_kib = before;
    row.rss_after_kib = ctx.rss();
    append_note(&mut row, &format!("{} customers", seed.customers.len()));
    vec![row]
}
