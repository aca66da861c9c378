//! Registration, login, refresh rotation, logout, sessions, `me`.

use quickfix_tests::{TestApp, TestUser, assert_problem, json, one_wins};
use reqwest::Method;
use serde_json::json;

fn registration(email: &str) -> serde_json::Value {
    json!({"email": email, "password": "a-good-password", "role": "customer", "name": "Ana"})
}

#[tokio::test]
async fn registering_answers_201_with_tokens_and_the_private_user() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "Ana@Example.com", "password": "a-good-password", "role": "provider", "name": "Ana", "phone": "+351 900 000 000"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body = json(response).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["access_token"].as_str().unwrap().len() > 20);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);
    let user = &body["user"];
    assert_eq!(user["email"], "Ana@Example.com");
    assert_eq!(user["role"], "provider");
    assert_eq!(user["is_active"], true);
    assert_eq!(user["profile"]["name"], "Ana");
    assert_eq!(user["profile"]["verified"], false);
    assert_eq!(user["profile"]["currency"], "USD");
    assert!(user["profile"]["rating_avg"].is_null());
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn a_taken_email_in_any_case_is_409_email_taken() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.post_json("/api/v1/auth/register", &registration("bo@example.com"))
            .await
            .status(),
        201
    );
    let again = app
        .post_json("/api/v1/auth/register", &registration("BO@example.COM"))
        .await;
    assert_problem(again, 409, "email_taken").await;
}

#[tokio::test]
async fn bad_registrations_are_refused_with_field_errors() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"email": "x@example.com", "password": "a-good-password", "role": "admin", "name": "X"}),
            "role",
        ),
        (
            json!({"email": "x@example.com", "password": "short", "role": "customer", "name": "X"}),
            "password",
        ),
        (
            json!({"email": "not-an-email", "password": "a-good-password", "role": "customer", "name": "X"}),
            "email",
        ),
        (
            json!({"email": "x@example.com", "password": "a-good-password", "role": "customer", "name": ""}),
            "name",
        ),
        (
            json!({"email": "x@example.com", "password": "a-good-password", "role": "customer"}),
            "name",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            app.post_json("/api/v1/auth/register", &body).await,
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
}

#[tokio::test]
async fn malformed_bodies_are_400_415_and_413() {
    let app = TestApp::spawn().await;
    let bad_json = app
        .request(Method::POST, "/api/v1/auth/register")
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_problem(bad_json, 400, "bad_request").await;
    let wrong_type = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": 5, "password": "a-good-password", "role": "customer", "name": "X"}),
        )
        .await;
    assert_problem(wrong_type, 400, "bad_request").await;
    let not_json = app
        .request(Method::POST, "/api/v1/auth/register")
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(not_json, 415, "unsupported_media_type").await;
    let huge = json!({"email": "x@example.com", "password": "a-good-password", "role": "customer", "name": "x".repeat(2 * 1024 * 1024)});
    assert_problem(
        app.post_json("/api/v1/auth/register", &huge).await,
        413,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let bodies: Vec<_> = (0..8)
        .map(|i| {
            registration(if i % 2 == 0 {
                "race@example.com"
            } else {
                "RACE@example.com"
            })
        })
        .collect();
    let attempts = bodies
        .iter()
        .map(|body| app.post_json("/api/v1/auth/register", body));
    one_wins(attempts, 201, 409).await;
}

#[tokio::test]
async fn an_idempotent_registration_replays_the_same_user() {
    let app = TestApp::spawn().await;
    let send = |body: serde_json::Value| {
        app.request(Method::POST, "/api/v1/auth/register")
            .header("Idempotency-Key", "signup-1")
            .json(&body)
            .send()
    };
    let first = send(registration("idem@example.com")).await.unwrap();
    assert_eq!(first.status(), 201);
    let first = json(first).await;
    let second = send(registration("idem@example.com")).await.unwrap();
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second = json(second).await;
    assert_eq!(first["user"], second["user"]);
    let me = app
        .get_as(second["access_token"].as_str().unwrap(), "/api/v1/auth/me")
        .await;
    assert_eq!(me.status(), 200);
    let other = send(registration("other@example.com")).await.unwrap();
    assert_problem(other, 422, "idempotency_key_reused").await;
}

#[tokio::test]
async fn login_answers_wrong_email_and_wrong_password_alike() {
    let app = TestApp::spawn().await;
    let user = TestUser::customer().register(&app).await;
    let ok = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": user.email.to_uppercase(), "password": user.password}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let body = json(ok).await;
    assert_eq!(body["user"]["id"], user.id.as_str());
    let wrong_password = assert_problem(
        app.post_json(
            "/api/v1/auth/login",
            &json!({"email": user.email, "password": "not-the-password"}),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
    let wrong_email = assert_problem(
        app.post_json(
            "/api/v1/auth/login",
            &json!({"email": "nobody@example.com", "password": "not-the-password"}),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong_password["detail"], wrong_email["detail"]);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_only_that_login() {
    let app = TestApp::spawn().await;
    let first_login = TestUser::customer().register(&app).await;
    let second_login = app
        .login(&first_login.email, &first_login.password, &first_login.id)
        .await;

    let rotated = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first_login.refresh}),
        )
        .await;
    assert_eq!(rotated.status(), 200);
    let rotated = json(rotated).await;
    let next = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(next, first_login.refresh);

    let reused = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first_login.refresh}),
        )
        .await;
    assert_problem(reused, 401, "refresh_token_reused").await;
    let after_reuse = app
        .post_json("/api/v1/auth/refresh", &json!({"refresh_token": next}))
        .await;
    assert_problem(after_reuse, 401, "unauthorized").await;
    assert_eq!(
        app.get_as(rotated["access_token"].as_str().unwrap(), "/api/v1/auth/me")
            .await
            .status(),
        401
    );

    let other = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": second_login.refresh}),
        )
        .await;
    assert_eq!(other.status(), 200, "the other login lives on");
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let user = TestUser::customer().register(&app).await;
    let body = json!({"refresh_token": user.refresh});
    let attempts = (0..8).map(|_| app.post_json("/api/v1/auth/refresh", &body));
    one_wins(attempts, 200, 401).await;
}

#[tokio::test]
async fn an_unknown_refresh_token_is_401() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json("/api/v1/auth/refresh", &json!({"refresh_token": "made-up"}))
        .await;
    assert_problem(response, 401, "unauthorized").await;
}

#[tokio::test]
async fn an_access_token_or_a_long_string_sent_to_refresh_is_401_whatever_its_length() {
    let app = TestApp::spawn().await;
    let user = TestUser::customer().register(&app).await;
    for token in [user.token.clone(), "x".repeat(300), String::new()] {
        let response = app
            .post_json("/api/v1/auth/refresh", &json!({"refresh_token": token}))
            .await;
        assert_problem(response, 401, "unauthorized").await;
    }
}

#[tokio::test]
async fn logout_kills_the_login_and_its_access_token() {
    let app = TestApp::spawn().await;
    let user = TestUser::customer().register(&app).await;
    let out = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(out.status(), 204);
    let refresh = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(refresh.status(), 401);
    assert_problem(
        app.get_as(&user.token, "/api/v1/auth/me").await,
        401,
        "unauthorized",
    )
    .await;
    let unknown = app
        .post_json("/api/v1/auth/logout", &json!({"refresh_token": "unknown"}))
        .await;
    assert_eq!(unknown.status(), 204);
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_one_by_one() {
    let app = TestApp::spawn().await;
    let first = TestUser::customer().register(&app).await;
    let second = app.login(&first.email, &first.password, &first.id).await;
    let list = json(app.get_as(&second.token, "/api/v1/auth/sessions").await).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let other = items.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let deleted = app
        .request(Method::DELETE, &format!("/api/v1/auth/sessions/{other}"))
        .bearer_auth(&second.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        app.get_as(&first.token, "/api/v1/auth/me").await.status(),
        401
    );
    let again = app
        .request(Method::DELETE, &format!("/api/v1/auth/sessions/{other}"))
        .bearer_auth(&second.token)
        .send()
        .await
        .unwrap();
    assert_problem(again, 404, "not_found").await;

    let stranger = TestUser::customer().register(&app).await;
    let list = json(app.get_as(&stranger.token, "/api/v1/auth/sessions").await).await;
    let theirs = list["items"][0]["id"].as_str().unwrap().to_owned();
    let foreign = app
        .request(Method::DELETE, &format!("/api/v1/auth/sessions/{theirs}"))
        .bearer_auth(&second.token)
        .send()
        .await
        .unwrap();
    assert_problem(foreign, 404, "not_found").await;
}

#[tokio::test]
async fn me_needs_a_valid_token() {
    let app = TestApp::spawn().await;
    let user = TestUser::provider().register(&app).await;
    let me = json(app.get_as(&user.token, "/api/v1/auth/me").await).await;
    assert_eq!(me["id"], user.id.as_str());
    assert_eq!(me["email"], user.email.as_str());
    assert_problem(app.get("/api/v1/auth/me").await, 401, "unauthorized").await;
    let mut tampered = user.token.clone();
    tampered.insert(tampered.len() - 3, 'x');
    assert_problem(
        app.get_as(&tampered, "/api/v1/auth/me").await,
        401,
        "unauthorized",
    )
    .await;
    let basic = app
        .request(Method::GET, "/api/v1/auth/me")
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_problem(basic, 401, "unauthorized").await;
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_every_login() {
    let app = TestApp::spawn().await;
    let user = TestUser::customer().register(&app).await;
    let wrong = app
        .send_json_as(
            &user.token,
            Method::PUT,
            "/api/v1/users/me/password",
            &json!({"current_password": "nope-nope", "new_password": "a-new-password"}),
        )
        .await;
    assert_problem(wrong, 403, "wrong_password").await;
    let short = app
        .send_json_as(
            &user.token,
            Method::PUT,
            "/api/v1/users/me/password",
            &json!({"current_password": user.password, "new_password": "short"}),
        )
        .await;
    assert_problem(short, 422, "validation_failed").await;
    let changed = app
        .send_json_as(
            &user.token,
            Method::PUT,
            "/api/v1/users/me/password",
            &json!({"current_password": user.password, "new_password": "a-new-password"}),
        )
        .await;
    assert_eq!(changed.status(), 204);
    assert_eq!(
        app.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh})
        )
        .await
        .status(),
        401
    );
    let old = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": user.email, "password": user.password}),
        )
        .await;
    assert_eq!(old.status(), 401);
    app.login(&user.email, "a-new-password", &user.id).await;
}

#[tokio::test]
async fn login_is_rate_limited_with_retry_after() {
    let app = TestApp::spawn_with(|s| s.rate_limit.enabled = true).await;
    let mut last = None;
    for _ in 0..11 {
        last = Some(
            app.post_json(
                "/api/v1/auth/login",
                &json!({"email": "who@example.com", "password": "whatever1"}),
            )
            .await,
        );
    }
    let response = last.unwrap();
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 429, "rate_limited").await;
}
