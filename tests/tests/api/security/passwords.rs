//! Passwords: every character counts, old hashes keep working and are
//! upgraded, and checks of a signed-in user's password are limited.

use quickfix_tests::{TestApp, TestUser, assert_problem, json, stored};
use reqwest::Method;
use serde_json::json;

async fn login_status(app: &TestApp, email: &str, password: &str) -> u16 {
    app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": password}),
    )
    .await
    .status()
    .as_u16()
}

#[tokio::test]
async fn passwords_that_differ_after_the_72nd_byte_are_different_passwords() {
    let app = TestApp::spawn().await;
    let base = "A".repeat(72);
    let email = "long@example.com";
    let registered = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": email, "password": format!("{base}x"), "role": "customer", "name": "Long"}),
        )
        .await;
    assert_eq!(registered.status(), 201);
    assert_eq!(login_status(&app, email, &format!("{base}y")).await, 401);
    assert_eq!(login_status(&app, email, &base).await, 401);
    assert_eq!(login_status(&app, email, &format!("{base}x")).await, 200);
    let too_long = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "longer@example.com", "password": "p".repeat(129), "role": "customer", "name": "L"}),
        )
        .await;
    assert_problem(too_long, 422, "validation_failed").await;
}

#[tokio::test]
async fn a_hash_of_the_old_scheme_logs_in_and_is_upgraded_on_the_way() {
    let app = TestApp::spawn().await;
    let user = TestUser::customer().register(&app).await;
    let legacy = bcrypt::hash(&user.password, 4).unwrap();
    let changed = stored::execute(
        app.pool(),
        "UPDATE users SET password_hash = $1 WHERE id = $2",
        &legacy,
        &user.id,
    )
    .await;
    assert_eq!(changed, 1);
    assert_eq!(
        login_status(&app, &user.email, "not-the-password").await,
        401
    );
    assert_eq!(login_status(&app, &user.email, &user.password).await, 200);
    let mut upgraded = String::new();
    for _ in 0..100 {
        upgraded = stored::text(
            app.pool(),
            "SELECT password_hash AS value FROM users WHERE id = $1",
            &user.id,
        )
        .await
        .expect("the user is stored");
        if upgraded != legacy {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(upgraded.starts_with("$qf1$"), "upgraded to {upgraded}");
    assert_eq!(login_status(&app, &user.email, &user.password).await, 200);
}

#[tokio::test]
async fn current_password_checks_of_one_account_are_limited_per_minute() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit.enabled = true;
        s.rate_limit.password_checks_per_account_per_minute = 3;
    })
    .await;
    let user = TestUser::customer().register(&app).await;
    let other = TestUser::customer().register(&app).await;
    let change = |token: String, current: String| {
        let app = &app;
        async move {
            app.send_json_as(
                &token,
                Method::PUT,
                "/api/v1/users/me/password",
                &json!({"current_password": current, "new_password": "a-brand-new-password"}),
            )
            .await
        }
    };
    for _ in 0..3 {
        assert_problem(
            change(user.token.clone(), "a-wrong-guess".into()).await,
            403,
            "wrong_password",
        )
        .await;
    }
    let limited = change(user.token.clone(), user.password.clone()).await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, 429, "rate_limited").await;
    let fine = change(other.token.clone(), other.password.clone()).await;
    assert_eq!(fine.status(), 204, "another account has its own budget");
    let me = app.get_as(&user.token, "/api/v1/auth/me").await;
    assert_eq!(
        json(me).await["id"],
        user.id,
        "the limited account's login lives on"
    );
}
