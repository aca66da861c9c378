//! The account lifecycle over real email: a loopback SMTP server receives
//! what lettre delivers, and each test follows the link in the message
//! through the API.

use std::time::{Duration, Instant};

use quickfix_tests::smtp::SmtpSink;
use quickfix_tests::{TestApp, TestUser, assert_problem, job_body, json};
use reqwest::Method;
use serde_json::json;

/// Posts a link's `token` to `POST /auth/verify-email`.
async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/verify-email", &json!({"token": token}))
        .await
}

/// A gateway that mails through `sink`.
async fn app_mailing_to(sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    TestApp::spawn_with(|s| s.email.smtp_url = Some(url)).await
}

#[tokio::test]
async fn registration_mails_a_link_that_verifies_the_address() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink).await;
    let ana = TestUser::customer().named("Ana Lima").register(&app).await;
    let me = json(app.get_as(&ana.token, "/api/v1/auth/me").await).await;
    assert_eq!(me["email_verified"], false);

    let mail = sink.wait_for(&ana.email, 1).await.remove(0);
    assert!(
        mail.text()
            .contains("http://localhost:3000/verify-email?token=")
    );
    assert_eq!(
        mail.header("Subject").unwrap(),
        "Confirm your email for QuickFix"
    );
    assert!(mail.header("From").unwrap().contains("no-reply@localhost"));
    assert!(mail.data.contains("text/html"), "an HTML part too");
    let verified = verify(&app, &mail.token()).await;
    assert_eq!(verified.status(), 200);
    let verified = json(verified).await;
    assert_eq!(verified["email_verified"], true);
    assert_eq!(verified["email"], ana.email);
    let me = json(app.get_as(&ana.token, "/api/v1/auth/me").await).await;
    assert_eq!(me["email_verified"], true);

    let again = verify(&app, &mail.token()).await;
    assert_problem(again, 400, "invalid_token").await;
    let unknown = verify(&app, "not-a-token").await;
    assert_problem(unknown, 400, "invalid_token").await;
}

#[tokio::test]
async fn without_smtp_each_email_is_an_eml_file_under_the_mail_directory() {
    let app = TestApp::spawn().await;
    let ana = TestUser::customer().register(&app).await;
    let dir = std::path::PathBuf::from(&app.settings.email.dir);
    let deadline = Instant::now() + Duration::from_secs(20);
    let file = loop {
        let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "eml"))
        });
        if let Some(file) = found {
            break file;
        }
        assert!(Instant::now() < deadline, "no .eml under {}", dir.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let eml = std::fs::read_to_string(&file).unwrap();
    assert!(eml.contains(&format!("To: {}", "Test User")) || eml.contains(&ana.email));
    assert!(eml.contains("Subject: Confirm your email for QuickFix"));
    assert!(eml.contains("verify-email?token="));
    assert!(
        file.file_name()
            .unwrap()
            .to_string_lossy()
            .contains("verify_email"),
        "the kind is in the file name"
    );
}

/// Asks for a reset of `email` and answers the status, body and time.
async fn ask_reset(app: &TestApp, email: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let response = app
        .post_json("/api/v1/auth/password-reset", &json!({"email": email}))
        .await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap(), took)
}

#[tokio::test]
async fn known_and_unknown_emails_get_the_same_answer_in_the_same_time() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink).await;
    let ana = TestUser::customer().register(&app).await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..15 {
        let (status, body, took) = ask_reset(&app, &ana.email).await;
        assert_eq!((status, body.as_str()), (202, ""));
        known.push(took);
        let stranger = format!("nobody-{round}@example.com");
        let (status, body, took) = ask_reset(&app, &stranger).await;
        assert_eq!((status, body.as_str()), (202, ""), "the same answer");
        unknown.push(took);
    }
    known.sort();
    unknown.sort();
    let (known, unknown) = (known[7], unknown[7]);
    // The work for a known email happens after the answer, so both medians
    // are an answer's round trip; the margin holds on a busy 2-core box.
    assert!(
        known < unknown * 3 + Duration::from_millis(15),
        "known {known:?} vs unknown {unknown:?}"
    );
    let mails = sink.wait_for(&ana.email, 2).await;
    assert!(
        mails
            .iter()
            .any(|m| m.text().contains("/reset-password?token="))
    );
    assert!(sink.to("nobody-0@example.com").is_empty());
}

/// The reset link last mailed to `email`, waiting for the `count`-th mail.
async fn reset_token(sink: &SmtpSink, email: &str, count: usize) -> String {
    let mails = sink.wait_for(email, count).await;
    mails
        .iter()
        .rev()
        .find(|m| m.text().contains("/reset-password?token="))
        .expect("a reset email")
        .token()
}

#[tokio::test]
async fn a_reset_token_works_once_ends_every_login_and_dies_when_replaced() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink).await;
    let ana = TestUser::customer().register(&app).await;
    sink.wait_for(&ana.email, 1).await;

    ask_reset(&app, &ana.email).await;
    let older = reset_token(&sink, &ana.email, 2).await;
    ask_reset(&app, &ana.email).await;
    let newer = reset_token(&sink, &ana.email, 3).await;
    assert_ne!(older, newer);

    let confirm = |token: &str, password: &str| {
        let body = json!({"token": token, "new_password": password});
        let app = &app;
        async move {
            app.post_json("/api/v1/auth/password-reset/confirm", &body)
                .await
        }
    };
    assert_problem(
        confirm(&older, "a-newer-password").await,
        400,
        "invalid_token",
    )
    .await;
    let done = confirm(&newer, "a-newer-password").await;
    assert_eq!(done.status(), 204);
    assert_problem(
        confirm(&newer, "yet-another-one").await,
        400,
        "invalid_token",
    )
    .await;

    // Every login ended: the access and the refresh token are dead.
    assert_eq!(
        app.get_as(&ana.token, "/api/v1/auth/me").await.status(),
        401
    );
    let refresh = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": ana.refresh}),
        )
        .await;
    assert_eq!(refresh.status(), 401);
    let old = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": ana.email, "password": ana.password}),
        )
        .await;
    assert_problem(old, 401, "invalid_credentials").await;
    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": ana.email, "password": "a-newer-password"}),
        )
        .await;
    assert_eq!(login.status(), 200);
    let user = json(login).await;
    assert_eq!(
        user["user"]["email_verified"], true,
        "the link proved the address"
    );
}

#[tokio::test]
async fn a_reset_token_dies_at_its_expiry_and_with_a_password_change() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|s| {
        s.email.smtp_url = Some(url);
        s.auth.reset_ttl_secs = 1;
    })
    .await;
    let ana = TestUser::customer().register(&app).await;
    ask_reset(&app, &ana.email).await;
    let expiring = reset_token(&sink, &ana.email, 2).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let late = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": expiring, "new_password": "a-newer-password"}),
        )
        .await;
    assert_problem(late, 400, "invalid_token").await;

    let app = {
        drop(app);
        app_mailing_to(&sink).await
    };
    let rui = TestUser::customer().register(&app).await;
    ask_reset(&app, &rui.email).await;
    let token = reset_token(&sink, &rui.email, 2).await;
    let changed = app
        .send_json_as(
            &rui.token,
            Method::PUT,
            "/api/v1/users/me/password",
            &json!({"current_password": rui.password, "new_password": "changed-by-hand"}),
        )
        .await;
    assert_eq!(changed.status(), 204);
    let stale = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "new_password": "a-newer-password"}),
        )
        .await;
    assert_problem(stale, 400, "invalid_token").await;
}

#[tokio::test]
async fn an_email_queued_while_the_smtp_server_is_down_arrives_once_it_is_up() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let app = TestApp::spawn_with(|s| {
        s.email.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    let ana = TestUser::customer().register(&app).await;
    let admin = app.admin().await;
    // The first try fails: nothing listens.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = json(
            app.get_as(&admin.token, "/api/v1/admin/emails?status=pending")
                .await,
        )
        .await;
        let failed = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["to"] == ana.email.as_str() && e["attempts"].as_i64() >= Some(1));
        if let Some(failed) = failed {
            assert!(failed["last_error"].is_string());
            assert_eq!(failed["kind"], "verify_email");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first try never failed: {page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sink = SmtpSink::start_on(port).await;
    let mail = sink.wait_for(&ana.email, 1).await.remove(0);
    let verified = verify(&app, &mail.token()).await;
    assert_eq!(verified.status(), 200);
    let sent = json(
        app.get_as(&admin.token, "/api/v1/admin/emails?status=sent")
            .await,
    )
    .await;
    let sent = sent["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["to"] == ana.email.as_str())
        .cloned()
        .expect("listed as sent");
    assert!(sent["attempts"].as_i64().unwrap() >= 2);
    assert!(sent["sent_at"].is_string());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.to(&ana.email).len(), 1, "sent once");
}

#[tokio::test]
async fn a_resend_waits_for_its_interval_whatever_the_rate_limit_setting() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|s| {
        s.email.smtp_url = Some(url);
        s.auth.verify_resend_secs = 2;
    })
    .await;
    assert!(!app.settings.rate_limit.enabled);
    let ana = TestUser::customer().register(&app).await;
    let resend = || {
        app.request(Method::POST, "/api/v1/auth/verify-email/resend")
            .bearer_auth(&ana.token)
            .send()
    };
    let soon = resend().await.unwrap();
    assert!(soon.headers().contains_key("retry-after"));
    assert_problem(soon, 429, "rate_limited").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // Two at once: one is sent, the other refused.
    let (a, b) = tokio::join!(resend(), resend());
    let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [202, 429]);
    let mails = sink.wait_for(&ana.email, 2).await;
    // Only the newest link works.
    let first = verify(&app, &mails[0].token()).await;
    assert_problem(first, 400, "invalid_token").await;
    let newest = verify(&app, &mails[1].token()).await;
    assert_eq!(newest.status(), 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let verified = resend().await.unwrap();
    assert_eq!(
        verified.status(),
        202,
        "a verified address: nothing to send"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.to(&ana.email).len(), 2);
}

#[tokio::test]
async fn an_email_change_applies_only_when_the_new_address_confirms_it() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink).await;
    let ana = TestUser::customer().register(&app).await;
    let taken = TestUser::customer().register(&app).await;
    let new_email = format!("new-{}", ana.email);
    let change = |body: serde_json::Value| {
        let token = ana.token.clone();
        let app = &app;
        async move {
            app.send_json_as(&token, Method::PUT, "/api/v1/users/me/email", &body)
                .await
        }
    };
    let wrong = change(json!({"new_email": new_email, "current_password": "not-it-at-all"})).await;
    assert_problem(wrong, 403, "wrong_password").await;
    let clash =
        change(json!({"new_email": taken.email.to_uppercase(), "current_password": ana.password}))
            .await;
    assert_problem(clash, 409, "email_taken").await;
    let bad = change(json!({"new_email": "not an email", "current_password": ana.password})).await;
    let bad = assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(bad["errors"][0]["field"], "new_email");

    let asked = change(json!({"new_email": new_email, "current_password": ana.password})).await;
    assert_eq!(asked.status(), 202);
    let confirm = sink.wait_for(&new_email, 1).await.remove(0);
    assert!(confirm.text().contains("/verify-email?token="));
    let notices = sink.wait_for(&ana.email, 2).await;
    assert!(
        notices
            .iter()
            .any(|m| m.text().contains(&new_email) && !m.text().contains("token=")),
        "the old address is told, without a link"
    );
    // Until the link is followed, the old address is the account's.
    app.login(&ana.email, &ana.password, &ana.id).await;
    let applied = verify(&app, &confirm.token()).await;
    assert_eq!(applied.status(), 200);
    let applied = json(applied).await;
    assert_eq!(applied["email"], new_email);
    assert_eq!(applied["email_verified"], true);
    let old = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": ana.email, "password": ana.password}),
        )
        .await;
    assert_problem(old, 401, "invalid_credentials").await;
    app.login(&new_email, &ana.password, &ana.id).await;
    // The old address is free again.
    let again = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": ana.email, "password": "a-good-password", "role": "customer", "name": "Other"}),
        )
        .await;
    assert_eq!(again.status(), 201);
}

#[tokio::test]
async fn with_the_rule_on_an_unverified_email_cannot_post_a_job_until_verified() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|s| {
        s.email.smtp_url = Some(url);
        s.auth.require_verified_email = true;
    })
    .await;
    let ana = TestUser::customer().register(&app).await;
    let job = job_body("Fix the sink", "plumbing", 38.7, -9.1);
    let refused = app
        .send_json_as(&ana.token, Method::POST, "/api/v1/jobs", &job)
        .await;
    assert_problem(refused, 403, "email_not_verified").await;
    let mail = sink.wait_for(&ana.email, 1).await.remove(0);
    let verified = verify(&app, &mail.token()).await;
    assert_eq!(verified.status(), 200);
    let posted = app
        .send_json_as(&ana.token, Method::POST, "/api/v1/jobs", &job)
        .await;
    assert_eq!(posted.status(), 201);
}

#[tokio::test]
async fn lifecycle_bodies_are_validated_and_headers_cannot_be_injected() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink).await;
    for (path, body, field) in [
        (
            "/api/v1/auth/password-reset",
            json!({"email": "nope"}),
            "email",
        ),
        (
            "/api/v1/auth/password-reset",
            json!({"email": format!("{}@x.io", "a".repeat(300))}),
            "email",
        ),
        (
            "/api/v1/auth/password-reset/confirm",
            json!({"token": "t", "new_password": "short"}),
            "new_password",
        ),
        (
            "/api/v1/auth/password-reset/confirm",
            json!({"token": "", "new_password": "long-enough"}),
            "token",
        ),
        (
            "/api/v1/auth/verify-email",
            json!({"token": "x".repeat(513)}),
            "token",
        ),
    ] {
        let refused = app.post_json(path, &body).await;
        let problem = assert_problem(refused, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{path} {body}");
    }
    let huge = json!({"email": format!("{}@example.com", "a".repeat(2 * 1024 * 1024))});
    let too_large = app.post_json("/api/v1/auth/password-reset", &huge).await;
    assert_problem(too_large, 413, "payload_too_large").await;
    let injected = app
        .post_json(
            "/api/v1/auth/register",
            &json!({
                "email": "eve@example.com",
                "password": "a-good-password",
                "role": "customer",
                "name": "Eve\r\nBcc: victim@example.com"
            }),
        )
        .await;
    assert_problem(injected, 422, "validation_failed").await;
    let crafted = app
        .post_json(
            "/api/v1/auth/password-reset",
            &json!({"email": "eve@example.com\r\nBcc: victim@example.com"}),
        )
        .await;
    assert_problem(crafted, 422, "validation_failed").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.to("victim@example.com").is_empty());
}

#[tokio::test]
async fn the_per_address_limit_holds_back_emails_but_not_the_answer() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|s| {
        s.email.smtp_url = Some(url);
        s.rate_limit.enabled = true;
        s.rate_limit.per_ip_per_minute = 1000;
        s.rate_limit.emails_per_address_per_hour = 3;
    })
    .await;
    let ana = TestUser::customer().register(&app).await;
    // At once: the limit holds under concurrent requests too.
    let asked = futures_util::future::join_all((0..8).map(|_| ask_reset(&app, &ana.email))).await;
    for (status, body, _) in asked {
        assert_eq!((status, body.as_str()), (202, ""));
    }
    sink.wait_for(&ana.email, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sink.to(&ana.email).len(),
        3,
        "the verification and two resets; the rest held back"
    );
}

#[tokio::test]
async fn a_change_link_to_an_address_taken_meanwhile_is_409_and_changes_nothing() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(&sink).await;
    let ana = TestUser::customer().register(&app).await;
    let wanted = format!("wanted-{}", ana.email);
    let asked = app
        .send_json_as(
            &ana.token,
            Method::PUT,
            "/api/v1/users/me/email",
            &json!({"new_email": wanted, "current_password": ana.password}),
        )
        .await;
    assert_eq!(asked.status(), 202);
    let link = sink.wait_for(&wanted, 1).await.remove(0);
    let taker = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": wanted, "password": "a-good-password", "role": "customer", "name": "Taker"}),
        )
        .await;
    assert_eq!(taker.status(), 201);
    assert_problem(verify(&app, &link.token()).await, 409, "email_taken").await;
    let me = json(app.get_as(&ana.token, "/api/v1/auth/me").await).await;
    assert_eq!(me["email"], ana.email.as_str(), "the old address stays");
    // The queue is admins' only: others get 403.
    assert_eq!(
        app.get_as(&ana.token, "/api/v1/admin/emails")
            .await
            .status(),
        403
    );
}
