//! Login lockouts that spare the owner, the global per-IP limit behind
//! trusted proxies only, and the write quotas.

use quickfix_tests::{TestApp, TestUser, assert_problem, json};
use reqwest::Method;
use serde_json::json;

async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/auth/login")
        .header("X-Forwarded-For", ip)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_guesses_lock_out_the_guesser_not_the_owner_on_another_ip() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.enabled = true;
        s.rate_limit.login_per_account_per_minute = 3;
        s.server.trusted_proxies = "127.0.0.1/32".into();
    })
    .await;
    let victim = TestUser::customer().register(&app).await;
    for _ in 0..3 {
        let guess = login_from(&app, "203.0.113.9", &victim.email, "guess-guess").await;
        assert_eq!(guess.status(), 401);
    }
    let locked = login_from(&app, "203.0.113.9", &victim.email, &victim.password).await;
    assert!(locked.headers().contains_key("retry-after"));
    assert_problem(locked, 429, "rate_limited").await;
    let owner = login_from(&app, "198.51.100.7", &victim.email, &victim.password).await;
    assert_eq!(
        owner.status(),
        200,
        "the owner from elsewhere is never refused"
    );
    for _ in 0..5 {
        let again = login_from(&app, "198.51.100.7", &victim.email, &victim.password).await;
        assert_eq!(again.status(), 200, "correct passwords are not counted");
    }
}

#[tokio::test]
async fn every_request_of_one_client_ip_counts_against_the_global_limit() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.enabled = true;
        s.rate_limit.per_ip_per_minute = 5;
        s.server.trusted_proxies = "127.0.0.1".into();
    })
    .await;
    let from = |ip: &'static str| {
        let app = &app;
        async move {
            app.request(Method::GET, "/api/v1/categories")
                .header("X-Forwarded-For", ip)
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..5 {
        assert_eq!(from("203.0.113.1").await.status(), 200);
    }
    let limited = from("203.0.113.1").await;
    assert!(limited.headers().contains_key("retry-after"));
    assert!(limited.headers().contains_key("x-request-id"));
    assert_problem(limited, 429, "rate_limited").await;
    assert_eq!(from("203.0.113.2").await.status(), 200, "another client");
    // A client cannot escape by claiming to be someone else: only the
    // right-most address, set by the trusted proxy, counts.
    let spoofed = from("6.6.6.6, 203.0.113.1").await;
    assert_eq!(spoofed.status(), 429);
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.enabled = true;
        s.rate_limit.per_ip_per_minute = 3;
    })
    .await;
    for n in 0..3 {
        let response = app
            .request(Method::GET, "/health")
            .header("X-Forwarded-For", format!("198.51.100.{n}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let response = app
        .request(Method::GET, "/health")
        .header("X-Forwarded-For", "198.51.100.99")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429, "the socket peer is the client");
}

#[tokio::test]
async fn message_conversation_and_upload_quotas_answer_quota_exceeded() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.enabled = true;
        s.quota.messages_per_minute = 2;
        s.quota.conversations_per_day = 1;
        s.quota.upload_bytes_per_day = 40;
    })
    .await;
    let ana = TestUser::customer().register(&app).await;
    let bob = TestUser::provider().register(&app).await;
    let carl = TestUser::provider().register(&app).await;
    let open = |with: String| {
        let (app, token) = (&app, ana.token.clone());
        async move {
            app.send_json_as(
                &token,
                Method::POST,
                "/api/v1/conversations",
                &json!({"participant_id": with}),
            )
            .await
        }
    };
    let first = open(bob.id.clone()).await;
    assert_eq!(first.status(), 201);
    let id = json(first).await["id"].as_str().unwrap().to_owned();
    assert_eq!(
        open(bob.id.clone()).await.status(),
        200,
        "the same one is no new one"
    );
    let refused = open(carl.id.clone()).await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_problem(refused, 429, "quota_exceeded").await;

    let path = format!("/api/v1/conversations/{id}/messages");
    for n in 0..2 {
        let sent = app
            .send_json_as(
                &ana.token,
                Method::POST,
                &path,
                &json!({"body": format!("hi {n}")}),
            )
            .await;
        assert_eq!(sent.status(), 201);
    }
    let refused = app
        .send_json_as(
            &ana.token,
            Method::POST,
            &path,
            &json!({"body": "one more"}),
        )
        .await;
    assert_problem(refused, 429, "quota_exceeded").await;
    let listed = json(app.get_as(&ana.token, &path).await).await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        2,
        "nothing stored"
    );
    let mut socket = quickfix_tests::WsClient::connect(&app.ws_url(&ana.token)).await;
    socket
        .send(
            "message.send",
            json!({"conversation_id": id, "body": "by socket", "client_msg_id": "q-1"}),
        )
        .await;
    let error = socket.expect("error").await;
    assert_eq!(error["data"]["code"], "quota_exceeded");
    socket.send("ping", json!({})).await;
    socket.expect("pong").await;

    let upload = |bytes: Vec<u8>| {
        let (app, token, path) = (
            &app,
            bob.token.clone(),
            format!("/api/v1/conversations/{id}/attachments"),
        );
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name("a.png")
                    .mime_str("image/png")
                    .unwrap(),
            );
            app.request(Method::POST, &path)
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    let png = quickfix_tests::tiny_png();
    assert!(png.len() <= 40 && png.len() * 2 > 40);
    assert_eq!(upload(png.clone()).await.status(), 201);
    assert_problem(upload(png).await, 429, "quota_exceeded").await;
}
