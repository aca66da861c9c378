//! The conventions every endpoint shares: request ids, problem+json for
//! unknown routes and wrong methods, security headers, CORS.

use quickfix_tests::{TestApp, assert_problem};
use reqwest::Method;

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app.get("/health").await;
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a generated UUID: {id}");
}

#[tokio::test]
async fn a_client_request_id_is_echoed_in_header_and_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/no/such/route")
        .header("X-Request-Id", "client-chosen-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "client-chosen-42");
    let problem = assert_problem(response, 404, "not_found").await;
    assert_eq!(problem["request_id"], "client-chosen-42");
}

#[tokio::test]
async fn an_unsafe_request_id_is_replaced() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/health")
        .header("X-Request-Id", "x".repeat(200))
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "x".repeat(200).as_str());
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    assert_problem(app.get("/api/v1/nothing-here").await, 404, "not_found").await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::DELETE, "/health").send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    assert_problem(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = TestApp::spawn().await;
    let response = app.get("/health").await;
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers.contains_key("content-security-policy"));
}

#[tokio::test]
async fn configured_origins_pass_cors_and_others_do_not() {
    let app = TestApp::spawn().await;
    let allowed = app
        .request(Method::OPTIONS, "/health")
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let refused = app
        .request(Method::OPTIONS, "/health")
        .header("Origin", "http://evil.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn an_integer_out_of_range_is_422_naming_it_an_integral_float_is_an_integer_a_fraction_is_400()
 {
    let app = TestApp::spawn().await;
    let customer = quickfix_tests::TestUser::customer().register(&app).await;
    let provider = quickfix_tests::TestUser::provider().register(&app).await;
    let job = app
        .post_job(
            &customer,
            &quickfix_tests::job_body("Fix the tap", "plumbing", 38.71, -9.14),
        )
        .await;
    let offers = format!("/api/v1/jobs/{}/offers", job["id"].as_str().unwrap());
    let offer = |price: serde_json::Value| {
        let (app, token, path) = (&app, provider.token.clone(), offers.clone());
        async move {
            app.send_json_as(
                &token,
                Method::POST,
                &path,
                &serde_json::json!({"price_cents": price, "message": "Soon"}),
            )
            .await
        }
    };
    for price in [
        serde_json::json!(-1),
        serde_json::json!(100_000_001),
        serde_json::json!(9_223_372_036_854_775_808_u64),
    ] {
        let problem = assert_problem(offer(price.clone()).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "price_cents", "{price}");
    }
    assert_problem(offer(serde_json::json!(12.5)).await, 400, "bad_request").await;
    let accepted = offer(serde_json::json!(9500.0)).await;
    assert_eq!(accepted.status(), 201);
    assert_eq!(quickfix_tests::json(accepted).await["price_cents"], 9500);
    for query in ["limit=-1", "limit=99999999999999999999"] {
        let problem = assert_problem(
            app.get_as(&customer.token, &format!("/api/v1/jobs?{query}"))
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "limit", "{query}");
    }
}

#[tokio::test]
async fn an_empty_cursor_is_the_first_page() {
    let app = TestApp::spawn().await;
    let customer = quickfix_tests::TestUser::customer().register(&app).await;
    let page = app
        .get_as(&customer.token, "/api/v1/notifications?cursor=")
        .await;
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn a_201_says_where_the_resource_is_also_when_replayed() {
    let app = TestApp::spawn().await;
    let customer = quickfix_tests::TestUser::customer().register(&app).await;
    let post = || post_job_with_key(&app, &customer, "job-location");
    let first = post().await;
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let job = quickfix_tests::json(first).await;
    assert_eq!(
        location,
        format!("/api/v1/jobs/{}", job["id"].as_str().unwrap())
    );
    let replayed = post().await;
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    assert_eq!(replayed.headers()["location"].to_str().unwrap(), location);
    assert_eq!(app.get_as(&customer.token, &location).await.status(), 200);

    let registered = app
        .post_json(
            "/api/v1/auth/register",
            &serde_json::json!({
                "email": "rui@example.com", "password": "correct horse",
                "role": "provider", "name": "Rui"
            }),
        )
        .await;
    let location = registered.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let user = quickfix_tests::json(registered).await;
    assert_eq!(
        location,
        format!("/api/v1/users/{}", user["user"]["id"].as_str().unwrap())
    );
}

#[tokio::test]
async fn an_idempotency_key_with_a_space_is_422_naming_the_header() {
    let app = TestApp::spawn().await;
    let customer = quickfix_tests::TestUser::customer().register(&app).await;
    let response = post_job_with_key(&app, &customer, "two words").await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
}

async fn post_job_with_key(
    app: &TestApp,
    customer: &quickfix_tests::Session,
    key: &str,
) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/jobs")
        .bearer_auth(&customer.token)
        .header("Idempotency-Key", key)
        .json(&quickfix_tests::job_body(
            "Fix the tap",
            "plumbing",
            38.71,
            -9.14,
        ))
        .send()
        .await
        .expect("request sent")
}
