//! Login floods and the fairness of the password queue.

use super::*;

/// `loops` closed loops of `POST /auth/login` as the seeded providers.
fn login_loops(
    ctx: &Context,
    seed: &Seed,
    loops: usize,
    clock: Clock,
) -> impl std::future::Future<Output = PhaseResult> + use<> {
    let api = ctx.api.clone();
    let url: Arc<str> = api.url("/api/v1/auth/login").into();
    let emails: Arc<Vec<String>> =
        Arc::new(seed.providers.iter().map(|u| u.email.clone()).collect());
    closed_loop(loops, clock.unpaced(), move |task, seq| {
        let email = &emails[(task + seq as usize) % emails.len()];
        let request = api
            .http()
            .post(&*url)
            .json(&json!({"email": email, "password": PASSWORD}));
        async move { check(request.send().await, StatusCode::OK).await }
    })
}

/// Notes on `with` how its p99 compares with `alone`'s (target < 2x).
fn note_p99_ratio(alone: &Row, with: &mut Row) {
    let ratio = match (alone.p99_ms, with.p99_ms) {
        (Some(a), Some(w)) if a > 0.0 => format!("p99 ratio {:.2}x (target < 2x)", w / a),
        _ => "no ratio".to_owned(),
    };
    append_note(with, &ratio);
}

/// `jobs-list` alone, then the same load beside a flood of logins (bcrypt at
/// the server's cost); the ratio of the two p99s is the figure.
pub async fn login_flood(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let before = ctx.rss();
    let meter = ctx.meter();
    let alone = get_loop(ctx, seed, JOBS_PATH, ctx.connections(), ctx.clock()).await;
    let mut alone_row = row_of("login-flood: list alone", &alone, &meter);
    alone_row.rss_before_kib = before;

    let meter = ctx.meter();

    let clock = ctx.clock();
    let logins = login_loops(ctx, seed, ctx.cli.login_connections as usize, clock);
    let list = get_loop(ctx, seed, JOBS_PATH, ctx.connections(), clock);
    let (logins, with) = tokio::join!(logins, list);

    let mut with_row = row_of("login-flood: list + logins", &with, &meter);
    with_row.rss_after_kib = ctx.rss();
    note_p99_ratio(&alone_row, &mut with_row);
    let mut login_row = row_of("login-flood: logins", &logins, &meter);
    login_row.note = format!("{} login loops", ctx.cli.login_connections);
    vec![alone_row, with_row, login_row]
}

/// Login loops that stand for "other users" in `password-flood`.
const LOGIN_LOOPS: usize = 4;
/// Concurrent password changes of the one flooding account: one that fits
/// in the account's line (the queue's fairness alone), one far beyond it
/// (most are refused with 503 at once, and answering them costs CPU).
const FLOOD_CONNECTIONS: [usize; 2] = [4, 64];

/// Logins of providers alone, then beside a flood of wrong-password
/// changes from one customer account (rate limits off, so the hashing
/// queue's fairness alone decides); the ratio of the logins' p99s is the
/// figure (target < 2x).
pub async fn password_flood(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let meter = ctx.meter();
    let alone = login_loops(ctx, seed, LOGIN_LOOPS, ctx.clock()).await;
    let alone_row = row_of("password-flood: logins alone", &alone, &meter);

    let Some(flooder) = seed.customers.first() else {
        return vec![Row::skipped("password-flood", "no customer was seeded")];
    };
    let mut rows = vec![alone_row.clone()];
    for connections in FLOOD_CONNECTIONS {
        let meter = ctx.meter();
        let clock = ctx.clock();
        let api = ctx.api.clone();
        let url: Arc<str> = api.url("/api/v1/users/me/password").into();
        let token: Arc<str> = flooder.access_token.clone().into();
        let flood = closed_loop(connections, clock.unpaced(), move |_, _| {
            let request = api.http().put(&*url).bearer_auth(&*token).json(
                &json!({"current_password": "not-the-password", "new_password": "whatever-it-is"}),
            );
            async move {
                match check(request.send().await, StatusCode::FORBIDDEN).await {
                    // Refused at once by the full line: the point of the bound.
                    Outcome::Error(kind) if kind == "503" => Outcome::Ok,
                    other => other,
                }
            }
        });
        let (flood, with) = tokio::join!(flood, login_loops(ctx, seed, LOGIN_LOOPS, clock));
        let mut with_row = row_of(
            &format!("password-flood: logins + flood of {connections}"),
            &with,
            &meter,
        );
        note_p99_ratio(&alone_row, &mut with_row);
        let mut flood_row = row_of(
            &format!("password-flood: the flood of {connections}"),
            &flood,
            &meter,
        );
        flood_row.note =
            format!("{connections} connections of one account; 403 and 503 both count");
        rows.extend([with_row, flood_row]);
    }
    rows
}
