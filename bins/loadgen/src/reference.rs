//! The ceiling: a bare actix-web server answering the benchmark's simplest
//! shapes with only the SQL each needs, on the gateway's pool settings and
//! the same database. QuickFix's throughput as a share of it says how much
//! the framework of rules (auth, validation, events, problem bodies) costs.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /api/v1/auth/me` | one `SELECT` of the user named by the token's `sub` (read, not verified) |
//! | `GET /api/v1/jobs?limit=20` | one `SELECT` of the 20 newest open jobs (21 read, as the gateway reads one more to know if a page follows) |
//! | `POST /api/v1/jobs` | one `INSERT` of the job in a transaction |
//!
//! Nothing else: no signature check, no session lookup, no validation
//! beyond JSON parsing, no event, no task. It serves `/ready` so `loadgen`
//! can wait for it.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text, Timestamp};
use quickfix_shared::db::{self, DbPool, PoolOptions};
use serde::{Deserialize, Serialize};

/// Serves the ceiling on `listen` over `database_url` until stopped.
pub fn serve(listen: &str, database_url: &str) -> Result<(), String> {
    let pool = db::build_pool(database_url, &PoolOptions::default())
        .map_err(|err| format!("--database-url: {err}"))?;
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(pool.clone()))
                .route("/ready", web::get().to(HttpResponse::Ok))
                .route("/api/v1/auth/me", web::get().to(me))
                .route("/api/v1/jobs", web::get().to(jobs))
                .route("/api/v1/jobs", web::post().to(create_job))
        })
        .bind(listen)
        .map_err(|err| format!("cannot listen on {listen}: {err}"))?;
        for address in server.addrs() {
            eprintln!("loadgen: reference server on http://{address}");
        }
        server.run().await.map_err(|err| err.to_string())
    })
}

#[derive(Debug, QueryableByName, Serialize)]
struct Me {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    is_active: bool,
    #[diesel(sql_type = Bool)]
    email_verified: bool,
    #[diesel(sql_type = Nullable<Text>)]
    phone: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    rating_avg: Option<f64>,
    #[diesel(sql_type = Integer)]
    rating_count: i32,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
}

/// The `sub` of a bearer token, read without verifying it.
fn subject(req: &HttpRequest) -> Option<String> {
    #[derive(Deserialize)]
    struct Claims {
        sub: String,
    }
    let token = req
        .headers()
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    serde_json::from_slice::<Claims>(&payload)
        .ok()
        .map(|c| c.sub)
}

async fn me(req: HttpRequest, pool: web::Data<DbPool>) -> HttpResponse {
    let Some(id) = subject(&req) else {
        return HttpResponse::Unauthorized().finish();
    };
    let found = db::run(&pool, move |conn| {
        diesel::sql_query(
            "SELECT id, email, role, name, is_active, email_verified, phone, rating_avg, \
             rating_count, created_at FROM users WHERE id = $1",
        )
        .bind::<Text, _>(id)
        .get_result::<Me>(conn)
        .optional()
        .map_err(db::DbError::Query)
    })
    .await;
    match found {
        Ok(Some(me)) => HttpResponse::Ok().json(me),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

#[derive(Debug, QueryableByName, Serialize)]
struct JobRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    customer_id: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    budget_cents: Option<i64>,
    #[diesel(sql_type = Double)]
    lat: f64,
    #[diesel(sql_type = Double)]
    lng: f64,
    #[diesel(sql_type = Integer)]
    offer_count: i32,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
}

#[derive(Serialize)]
struct Page {
    items: Vec<JobRow>,
}

async fn jobs(pool: web::Data<DbPool>) -> HttpResponse {
    let rows = db::run(&pool, |conn| {
        // The gateway's own filter and order, with bound values as it
        // binds them (a literal would get another plan).
        diesel::sql_query(
            "SELECT id, customer_id, title, description, category, status, budget_cents, lat, \
             lng, offer_count, created_at FROM jobs WHERE hidden = $1 AND status = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind::<Bool, _>(false)
        .bind::<Text, _>("open")
        .bind::<BigInt, _>(21_i64)
        .load::<JobRow>(conn)
        .map_err(db::DbError::Query)
    })
    .await;
    match rows {
        Ok(items) => HttpResponse::Ok().json(Page { items }),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

#[derive(Debug, Deserialize)]
struct NewJob {
    title: String,
    description: String,
    category: String,
    budget_cents: Option<i64>,
    location: Location,
}

#[derive(Debug, Deserialize)]
struct Location {
    lat: f64,
    lng: f64,
    address: String,
}

async fn create_job(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    body: web::Json<NewJob>,
) -> HttpResponse {
    let Some(customer) = subject(&req) else {
        return HttpResponse::Unauthorized().finish();
    };
    let job = body.into_inner();
    let stored = db::run(&pool, move |conn| {
        let at = db::now();
        let id = uuid::Uuid::now_v7().to_string();
        db::write_transaction(conn, |conn| {
            diesel::sql_query(
                "INSERT INTO jobs (id, customer_id, title, description, search_text, category, \
                 status, budget_cents, address, lat, lng, offer_count, created_at, updated_at, \
                 hidden) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, 0, $11, $12, \
                 FALSE)",
            )
            .bind::<Text, _>(&id)
            .bind::<Text, _>(&customer)
            .bind::<Text, _>(&job.title)
            .bind::<Text, _>(&job.description)
            .bind::<Text, _>(format!("{} {}", job.title, job.description).to_lowercase())
            .bind::<Text, _>(&job.category)
            .bind::<Nullable<BigInt>, _>(job.budget_cents)
            .bind::<Text, _>(&job.location.address)
            .bind::<Double, _>(job.location.lat)
            .bind::<Double, _>(job.location.lng)
            .bind::<Timestamp, _>(at)
            .bind::<Timestamp, _>(at)
            .execute(conn)
            .map_err(db::DbError::Query)
        })?;
        Ok::<_, db::DbError>(serde_json::json!({
            "id": id, "customer_id": customer, "title": job.title,
            "description": job.description, "category": job.category, "status": "open",
            "budget_cents": job.budget_cents, "offer_count": 0, "created_at": at,
        }))
    })
    .await;
    match stored {
        Ok(job) => HttpResponse::Created().json(job),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}
