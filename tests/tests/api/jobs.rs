//! Categories, jobs, offers and estimates.

use quickfix_tests::{Session, TestApp, TestUser, assert_problem, job_body, json, one_wins};
use reqwest::Method;
use serde_json::json;

async fn post(
    app: &TestApp,
    user: &Session,
    path: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    app.send_json_as(&user.token, Method::POST, path, body)
        .await
}

async fn post_empty(app: &TestApp, user: &Session, path: &str) -> reqwest::Response {
    app.request(Method::POST, path)
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn categories_are_seeded_and_admins_add_more() {
    let app = TestApp::spawn().await;
    let list = json(app.get("/api/v1/categories").await).await;
    let slugs: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap().to_owned())
        .collect();
    for slug in [
        "plumbing",
        "electrical",
        "cleaning",
        "carpentry",
        "painting",
        "moving",
        "appliance-repair",
        "gardening",
        "hvac",
        "other",
    ] {
        assert!(slugs.contains(&slug.to_owned()), "{slug} missing");
    }
    assert_eq!(slugs.len(), 10);
    let admin = app.admin().await;
    let customer = TestUser::customer().register(&app).await;
    let new = json!({"slug": "pest-control", "name": "Pest control", "keywords": ["mice", "ants"]});
    assert_problem(
        post(&app, &customer, "/api/v1/categories", &new).await,
        403,
        "forbidden",
    )
    .await;
    let created = post(&app, &admin, "/api/v1/categories", &new).await;
    assert_eq!(created.status(), 201);
    assert_problem(
        post(&app, &admin, "/api/v1/categories", &new).await,
        409,
        "category_exists",
    )
    .await;
    assert_problem(
        post(
            &app,
            &admin,
            "/api/v1/categories",
            &json!({"slug": "Bad Slug", "name": "x"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let list = json(app.get("/api/v1/categories").await).await;
    assert_eq!(list.as_array().unwrap().len(), 11);
    let estimate = json(
        post(
            &app,
            &customer,
            "/api/v1/jobs/estimate",
            &json!({"title": "Mice in the attic", "description": "Scratching at night"}),
        )
        .await,
    )
    .await;
    assert_eq!(estimate["category"], "pest-control");
}

#[tokio::test]
async fn customers_post_jobs_and_see_them_whole() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let job = app
        .post_job(
            &customer,
            &job_body("Leaking sink", "plumbing", 38.712345, -9.139876),
        )
        .await;
    assert_eq!(job["status"], "open");
    assert_eq!(job["customer_id"], customer.id.as_str());
    assert_eq!(job["offer_count"], 0);
    assert_eq!(job["currency"], "USD");
    assert_eq!(job["location"]["address"], "Rua Augusta 100, Lisboa");
    assert_eq!(job["location"]["lat"], 38.712345);
    let provider = TestUser::provider().register(&app).await;
    assert_problem(
        post(
            &app,
            &provider,
            "/api/v1/jobs",
            &job_body("x", "plumbing", 0.0, 0.0),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn bad_jobs_are_422_with_the_field_named() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let base = job_body("Fix", "plumbing", 1.0, 1.0);
    let with = |path: &[&str], value: serde_json::Value| {
        let mut body = base.clone();
        let mut target = &mut body;
        for key in &path[..path.len() - 1] {
            target = &mut target[*key];
        }
        target[path[path.len() - 1]] = value;
        body
    };
    let cases = [
        (with(&["budget_cents"], json!(-1)), "budget_cents"),
        (with(&["budget_cents"], json!(100_000_001)), "budget_cents"),
        (with(&["title"], json!("")), "title"),
        (with(&["category"], json!("teleportation")), "category"),
        (with(&["location", "lat"], json!(91.0)), "location.lat"),
        (with(&["location", "lng"], json!(-181.0)), "location.lng"),
        (
            with(&["description"], json!("x".repeat(5001))),
            "description",
        ),
        (
            with(&["scheduled_for"], json!("2001-01-01T00:00:00Z")),
            "scheduled_for",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            post(&app, &customer, "/api/v1/jobs", &body).await,
            422,
            "validation_failed",
        )
        .await;
        let fields: Vec<_> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            fields.contains(&field.to_owned()),
            "{field} not in {fields:?}"
        );
    }
    let huge = with(&["description"], json!("x".repeat(10 * 1024 * 1024)));
    assert_problem(
        post(&app, &customer, "/api/v1/jobs", &huge).await,
        413,
        "payload_too_large",
    )
    .await;
    let wrong_type = with(&["budget_cents"], json!("lots"));
    assert_problem(
        post(&app, &customer, "/api/v1/jobs", &wrong_type).await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn the_exact_location_is_private_to_owner_and_admin() {
    let app = TestApp::spawn().await;
    let owner = TestUser::customer().register(&app).await;
    let other_customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let admin = app.admin().await;
    let job = app
        .post_job(&owner, &job_body("Paint", "painting", 38.712345, -9.139876))
        .await;
    let path = format!("/api/v1/jobs/{}", job["id"].as_str().unwrap());
    for (who, precise) in [
        (&owner, true),
        (&admin, true),
        (&provider, false),
        (&other_customer, false),
    ] {
        let seen = json(app.get_as(&who.token, &path).await).await;
        if precise {
            assert_eq!(seen["location"]["address"], "Rua Augusta 100, Lisboa");
            assert_eq!(seen["location"]["lat"], 38.712345);
        } else {
            assert!(seen["location"]["address"].is_null());
            assert_eq!(seen["location"]["lat"], 38.71);
            assert_eq!(seen["location"]["lng"], -9.14);
        }
    }
    let listed = json(app.get_as(&provider.token, "/api/v1/jobs").await).await;
    assert!(listed["items"][0]["location"]["address"].is_null());
    assert_eq!(listed["items"][0]["location"]["lat"], 38.71);
}

#[tokio::test]
async fn lists_depend_on_the_role_and_filter() {
    let app = TestApp::spawn().await;
    let ana = TestUser::customer().register(&app).await;
    let bo = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let admin = app.admin().await;
    let leak = app
        .post_job(&ana, &job_body("Leaking pipe", "plumbing", 38.72, -9.14))
        .await;
    let mut cheap = job_body("Dusty flat", "cleaning", 41.15, -8.61);
    cheap["budget_cents"] = json!(2000);
    app.post_job(&ana, &cheap).await;
    let bo_job = app
        .post_job(&bo, &job_body("Fuse box", "electrical", 38.73, -9.15))
        .await;
    post_empty(
        &app,
        &bo,
        &format!("/api/v1/jobs/{}/cancel", bo_job["id"].as_str().unwrap()),
    )
    .await;

    let titles = |v: serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles(json(app.get_as(&provider.token, "/api/v1/jobs").await).await),
        vec!["Dusty flat", "Leaking pipe"]
    );
    assert_eq!(
        titles(
            json(
                app.get_as(&provider.token, "/api/v1/jobs?category=plumbing")
                    .await
            )
            .await
        ),
        vec!["Leaking pipe"]
    );
    assert_eq!(
        titles(json(app.get_as(&provider.token, "/api/v1/jobs?q=DUSTY").await).await),
        vec!["Dusty flat"]
    );
    assert_eq!(
        titles(
            json(
                app.get_as(&provider.token, "/api/v1/jobs?min_budget_cents=10000")
                    .await
            )
            .await
        ),
        vec!["Leaking pipe"]
    );
    assert_eq!(
        titles(
            json(
                app.get_as(&provider.token, "/api/v1/jobs?near=38.7,-9.1&radius_km=20")
                    .await
            )
            .await
        ),
        vec!["Leaking pipe"]
    );
    assert!(
        titles(
            json(
                app.get_as(&provider.token, "/api/v1/jobs?status=booked")
                    .await
            )
            .await
        )
        .is_empty(),
        "a provider lists open jobs only, so another status finds none"
    );
    assert_eq!(
        titles(json(app.get_as(&ana.token, "/api/v1/jobs").await).await).len(),
        2
    );
    assert_eq!(
        titles(json(app.get_as(&bo.token, "/api/v1/jobs?status=cancelled").await).await),
        vec!["Fuse box"]
    );
    assert!(titles(json(app.get_as(&bo.token, "/api/v1/jobs?status=open").await).await).is_empty());
    assert_eq!(
        titles(json(app.get_as(&admin.token, "/api/v1/jobs").await).await).len(),
        3
    );
    assert_problem(
        app.get_as(&ana.token, "/api/v1/jobs?status=lost").await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as(&ana.token, "/api/v1/jobs?limit=500").await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as(&ana.token, "/api/v1/jobs?cursor=bm9wZQ").await,
        400,
        "bad_request",
    )
    .await;
    let cancelled = format!("/api/v1/jobs/{}", bo_job["id"].as_str().unwrap());
    let seen = app.get_as(&provider.token, &cancelled).await;
    assert_eq!(seen.status(), 200, "every signed-in user sees a job");
    let seen = json(seen).await;
    assert_eq!(seen["status"], "cancelled");
    assert!(
        seen["location"]["address"].is_null(),
        "redacted for a stranger"
    );
    let _ = leak;
}

#[tokio::test]
async fn only_the_owner_changes_an_open_job() {
    let app = TestApp::spawn().await;
    let owner = TestUser::customer().register(&app).await;
    let other = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let job = app
        .post_job(&owner, &job_body("Fix door", "carpentry", 1.0, 1.0))
        .await;
    let path = format!("/api/v1/jobs/{}", job["id"].as_str().unwrap());
    let changed = json(
        app.send_json_as(
            &owner.token,
            Method::PATCH,
            &path,
            &json!({"title": "Fix two doors", "budget_cents": null}),
        )
        .await,
    )
    .await;
    assert_eq!(changed["title"], "Fix two doors");
    assert!(changed["budget_cents"].is_null());
    assert_eq!(changed["description"], job["description"]);
    assert_problem(
        app.send_json_as(
            &other.token,
            Method::PATCH,
            &path,
            &json!({"title": "Mine"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.send_json_as(
            &provider.token,
            Method::PATCH,
            &path,
            &json!({"title": "Mine"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.send_json_as(
            &owner.token,
            Method::PATCH,
            &path,
            &json!({"category": "nope"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.send_json_as(
            &owner.token,
            Method::PATCH,
            &path,
            &json!({"location": {"address": "x", "lat": 100, "lng": 0}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    post_empty(&app, &owner, &format!("{path}/cancel")).await;
    assert_problem(
        app.send_json_as(
            &owner.token,
            Method::PATCH,
            &path,
            &json!({"title": "Late"}),
        )
        .await,
        409,
        "job_not_open",
    )
    .await;
}

#[tokio::test]
async fn cancelling_rejects_pending_offers_and_happens_once() {
    let app = TestApp::spawn().await;
    let owner = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let admin = app.admin().await;
    let job = app
        .post_job(&owner, &job_body("Mow lawn", "gardening", 1.0, 1.0))
        .await;
    let id = job["id"].as_str().unwrap();
    let offer = app.offer(&provider, id, 5000).await;
    assert_problem(
        post_empty(&app, &provider, &format!("/api/v1/jobs/{id}/cancel")).await,
        403,
        "forbidden",
    )
    .await;
    let cancelled = post_empty(&app, &owner, &format!("/api/v1/jobs/{id}/cancel")).await;
    assert_eq!(cancelled.status(), 200);
    assert_eq!(json(cancelled).await["status"], "cancelled");
    let offers = json(
        app.get_as(&provider.token, &format!("/api/v1/jobs/{id}/offers"))
            .await,
    )
    .await;
    assert_eq!(offers["items"][0]["id"], offer["id"]);
    assert_eq!(offers["items"][0]["status"], "rejected");
    assert_problem(
        post_empty(&app, &owner, &format!("/api/v1/jobs/{id}/cancel")).await,
        409,
        "job_not_open",
    )
    .await;
    let other = app
        .post_job(&owner, &job_body("Mow again", "gardening", 1.0, 1.0))
        .await;
    let by_admin = post_empty(
        &app,
        &admin,
        &format!("/api/v1/jobs/{}/cancel", other["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(by_admin.status(), 200);
    let offer_on_cancelled = post(
        &app,
        &provider,
        &format!("/api/v1/jobs/{id}/offers"),
        &json!({"price_cents": 100, "message": "hi"}),
    )
    .await;
    assert_problem(offer_on_cancelled, 409, "job_not_open").await;
}

#[tokio::test]
async fn offers_are_one_pending_per_provider_and_seen_by_the_right_people() {
    let app = TestApp::spawn().await;
    let owner = TestUser::customer().register(&app).await;
    let stranger = TestUser::customer().register(&app).await;
    let first = TestUser::provider().register(&app).await;
    let second = TestUser::provider().register(&app).await;
    let job = app
        .post_job(&owner, &job_body("Wire lamp", "electrical", 1.0, 1.0))
        .await;
    let id = job["id"].as_str().unwrap();
    let offers_path = format!("/api/v1/jobs/{id}/offers");

    let offer = app.offer(&first, id, 9000).await;
    assert_eq!(offer["status"], "pending");
    assert_eq!(offer["currency"], "USD");
    let again = post(
        &app,
        &first,
        &offers_path,
        &json!({"price_cents": 8000, "message": "cheaper"}),
    )
    .await;
    assert_problem(again, 409, "offer_exists").await;
    app.offer(&second, id, 9500).await;
    assert_problem(
        post(
            &app,
            &owner,
            &offers_path,
            &json!({"price_cents": 1, "message": "me"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    for bad in [
        json!({"price_cents": 0, "message": "x"}),
        json!({"price_cents": 100_000_001, "message": "x"}),
        json!({"price_cents": 10, "message": ""}),
    ] {
        assert_problem(
            post(&app, &second, &offers_path, &bad).await,
            422,
            "validation_failed",
        )
        .await;
    }

    assert_eq!(
        json(app.get_as(&owner.token, &offers_path).await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let own = json(app.get_as(&first.token, &offers_path).await).await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    assert_eq!(own["items"][0]["provider_id"], first.id.as_str());
    assert_problem(
        app.get_as(&stranger.token, &offers_path).await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        json(
            app.get_as(&owner.token, &format!("/api/v1/jobs/{id}"))
                .await
        )
        .await["offer_count"],
        2
    );

    let withdraw = format!("{offers_path}/{}/withdraw", offer["id"].as_str().unwrap());
    assert_problem(post_empty(&app, &second, &withdraw).await, 404, "not_found").await;
    assert_problem(post_empty(&app, &owner, &withdraw).await, 403, "forbidden").await;
    let withdrawn = post_empty(&app, &first, &withdraw).await;
    assert_eq!(json(withdrawn).await["status"], "withdrawn");
    assert_problem(
        post_empty(&app, &first, &withdraw).await,
        409,
        "offer_not_pending",
    )
    .await;
    assert_eq!(
        json(
            app.get_as(&owner.token, &format!("/api/v1/jobs/{id}"))
                .await
        )
        .await["offer_count"],
        1
    );
    app.offer(&first, id, 8500).await;
    assert_eq!(
        json(
            app.get_as(&owner.token, &format!("/api/v1/jobs/{id}"))
                .await
        )
        .await["offer_count"],
        2
    );
    let unknown = format!("{offers_path}/{}/withdraw", uuid::Uuid::now_v7());
    assert_problem(post_empty(&app, &first, &unknown).await, 404, "not_found").await;
}

#[tokio::test]
async fn one_provider_racing_two_offers_stores_exactly_one() {
    let app = TestApp::spawn().await;
    let owner = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let job = app
        .post_job(&owner, &job_body("Race", "other", 1.0, 1.0))
        .await;
    let path = format!("/api/v1/jobs/{}/offers", job["id"].as_str().unwrap());
    let body = json!({"price_cents": 1000, "message": "me first"});
    let attempts = (0..6).map(|_| post(&app, &provider, &path, &body));
    one_wins(attempts, 201, 409).await;
    let offers = json(app.get_as(&owner.token, &path).await).await;
    assert_eq!(offers["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        json(
            app.get_as(
                &owner.token,
                &format!("/api/v1/jobs/{}", job["id"].as_str().unwrap())
            )
            .await
        )
        .await["offer_count"],
        1
    );
}

#[tokio::test]
async fn an_idempotent_job_post_is_stored_once() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let body = job_body("Once", "other", 1.0, 1.0);
    let send = || {
        app.request(Method::POST, "/api/v1/jobs")
            .bearer_auth(&customer.token)
            .header("Idempotency-Key", "job-1")
            .json(&body)
            .send()
    };
    let first = json(send().await.unwrap()).await;
    let second = send().await.unwrap();
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(json(second).await["id"], first["id"]);
    assert_eq!(
        json(app.get_as(&customer.token, "/api/v1/jobs").await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn estimates_guess_the_category_and_fall_back_without_data() {
    let app = TestApp::spawn().await;
    let user = TestUser::customer().register(&app).await;
    let estimate = json(
        post(
            &app,
            &user,
            "/api/v1/jobs/estimate",
            &json!({"title": "Kitchen sink leaks", "description": "the pipe drips"}),
        )
        .await,
    )
    .await;
    assert_eq!(estimate["category"], "plumbing");
    assert_eq!(estimate["source"], "fallback");
    assert_eq!(estimate["sample_size"], 0);
    let prices = &estimate["price_cents"];
    assert!(prices["low"].as_i64().unwrap() <= prices["median"].as_i64().unwrap());
    assert!(prices["median"].as_i64().unwrap() <= prices["high"].as_i64().unwrap());
    let other = json(
        post(
            &app,
            &user,
            "/api/v1/jobs/estimate",
            &json!({"title": "Walk my dog", "description": "Twice a day"}),
        )
        .await,
    )
    .await;
    assert_eq!(other["category"], "other");
    assert_problem(
        post(&app, &user, "/api/v1/jobs/estimate", &json!({"title": ""})).await,
        422,
        "validation_failed",
    )
    .await;
    let missing = post(
        &app,
        &user,
        "/api/v1/jobs/estimate",
        &json!({"title": "Walk my dog"}),
    )
    .await;
    assert_eq!(missing.status(), 422);
    assert_eq!(json(missing).await["errors"][0]["field"], "description");
    assert_problem(
        app.post_json("/api/v1/jobs/estimate", &json!({"title": "x"}))
            .await,
        401,
        "unauthorized",
    )
    .await;
}
