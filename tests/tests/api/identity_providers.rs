//! Sign-in with an identity provider's ID token (the contract's "Identity
//! providers"): a local JWKS endpoint with RS256 and ES256 keys made here,
//! tokens valid and forged, the key cache (one refetch for an unknown
//! `kid`, rotation, stale keys while the issuer is down), the linking
//! rules, unlinking, and a fresh ID token standing in for a password.

use std::time::Duration;

use quickfix_tests::oidc::{FakeIdp, SigningKey, hmac_with_public_key, unsigned_token};
use quickfix_tests::{Session, TestApp, TestUser, assert_problem, json, one_wins, stored};
use reqwest::Method;
use serde_json::{Value, json};

const PATH: &str = "/api/v1/auth/oidc/test";

async fn app_trusting(idps: &[(&str, &FakeIdp)]) -> TestApp {
    let providers: Vec<_> = idps.iter().map(|(name, idp)| idp.provider(name)).collect();
    TestApp::spawn_with(move |s| s.oidc = providers).await
}

async fn sign_in(app: &TestApp, path: &str, token: &str, role: Option<&str>) -> reqwest::Response {
    let mut body = json!({ "id_token": token });
    if let Some(role) = role {
        body["role"] = json!(role);
    }
    app.post_json(path, &body).await
}

fn email() -> String {
    format!("idp-{}@example.com", uuid::Uuid::now_v7().simple())
}

/// A new account made by signing in with `token` as a customer (201).
async fn signed_up(app: &TestApp, path: &str, token: &str) -> Session {
    let response = sign_in(app, path, token, Some("customer")).await;
    assert_eq!(response.status(), 201, "a new account");
    session_of(&json(response).await)
}

/// Unlinks identity `id` as the holder of `token`.
async fn unlink(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.request(Method::DELETE, &format!("/api/v1/auth/identities/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn session_of(body: &Value) -> Session {
    Session {
        id: body["user"]["id"].as_str().unwrap().to_owned(),
        email: body["user"]["email"].as_str().unwrap().to_owned(),
        password: String::new(),
        token: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn a_new_identity_registers_then_signs_in_with_the_same_refresh_rotation() {
    let (rsa, ec) = (SigningKey::rsa("rsa-1", 0), SigningKey::ec("ec-1"));
    let idp = FakeIdp::start(&[&rsa, &ec]).await;
    let app = app_trusting(&[("test", &idp)]).await;
    let address = email();
    let token = rsa.sign(&idp.claims("subject-1", &address, true));

    let missing_role = assert_problem(
        sign_in(&app, PATH, &token, None).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(missing_role["errors"][0]["field"], "role");

    let created = sign_in(&app, PATH, &token, Some("provider")).await;
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let body = json(created).await;
    let user = session_of(&body);
    assert_eq!(location, format!("/api/v1/users/{}", user.id));
    assert_eq!(body["user"]["role"], "provider");
    assert_eq!(
        body["user"]["email_verified"], true,
        "the provider verified it"
    );
    assert_eq!(body["user"]["profile"]["name"], "Ana Idp");
    assert_eq!(body["token_type"], "Bearer");

    let again = sign_in(&app, PATH, &token, Some("customer")).await;
    assert_eq!(again.status(), 200);
    let again = json(again).await;
    assert_eq!(again["user"]["id"], user.id.as_str());
    assert_eq!(
        again["user"]["role"], "provider",
        "the role of an existing account stays"
    );

    let refreshed = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(refreshed.status(), 200);
    let reused = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_problem(reused, 401, "refresh_token_reused").await;

    let listed = json(
        app.get_as(
            again["access_token"].as_str().unwrap(),
            "/api/v1/auth/identities",
        )
        .await,
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let identity = &listed["items"][0];
    assert_eq!(identity["provider"], "test");
    assert_eq!(identity["subject"], "subject-1");
    assert_eq!(identity["email"], address.as_str());
    assert!(identity["id"].is_string() && identity["created_at"].is_string());

    // ES256 tokens of the same issuer work too; an unverified email starts
    // unverified.
    let other = email();
    let es = sign_in(
        &app,
        PATH,
        &ec.sign(&idp.claims("subject-2", &other, false)),
        Some("customer"),
    )
    .await;
    assert_eq!(es.status(), 201);
    assert_eq!(json(es).await["user"]["email_verified"], false);

    // An account without a password has no password to guess, not even the
    // one the server's dummy hash was made of.
    for password in ["dummy-hash", "", "a-good-password"] {
        let login = app
            .post_json(
                "/api/v1/auth/login",
                &json!({"email": address, "password": password}),
            )
            .await;
        assert!(matches!(login.status().as_u16(), 401 | 422), "{password:?}");
    }
    assert_eq!(idp.fetches(), 1, "one fetch serves every key of the set");
}

#[tokio::test]
async fn forged_expired_misaddressed_and_confused_tokens_are_refused() {
    let (rsa, ec) = (SigningKey::rsa("rsa-1", 0), SigningKey::ec("ec-1"));
    let idp = FakeIdp::start(&[&rsa, &ec]).await;
    let app = app_trusting(&[("test", &idp)]).await;
    let now = chrono::Utc::now().timestamp();
    let good = idp.claims("subject-x", &email(), true);
    let with = |patch: Value| {
        let mut claims = good.clone();
        for (key, value) in patch.as_object().unwrap() {
            claims[key] = value.clone();
        }
        claims
    };
    let stranger = SigningKey::rsa("rsa-1", 1);
    let refused = [
        (
            "expired",
            rsa.sign(&with(json!({"iat": now - 7200, "exp": now - 3600}))),
        ),
        (
            "expired beyond the leeway",
            rsa.sign(&with(json!({"exp": now - 90}))),
        ),
        (
            "another audience",
            rsa.sign(&with(json!({"aud": "someone-else"}))),
        ),
        (
            "another issuer",
            rsa.sign(&with(json!({"iss": "https://evil.example.com"}))),
        ),
        (
            "issued in the future",
            rsa.sign(&with(json!({"iat": now + 600}))),
        ),
        ("no subject", rsa.sign(&with(json!({"sub": ""})))),
        (
            "signed by a stranger with a published kid",
            stranger.sign(&good),
        ),
        ("alg none", unsigned_token("rsa-1", &good)),
        (
            "HS256 keyed with the public key",
            hmac_with_public_key(&rsa, &good),
        ),
        ("an RSA signature under the EC key's kid", {
            let mut renamed = rsa.clone();
            renamed.kid = "ec-1".into();
            renamed.sign(&good)
        }),
        ("not a JWT", "not.a.jwt".to_owned()),
    ];
    for (what, token) in refused {
        let response = sign_in(&app, PATH, &token, Some("customer")).await;
        assert_eq!(response.status(), 401, "{what}");
        assert_problem(response, 401, "invalid_credentials").await;
    }
    let within_leeway = sign_in(
        &app,
        PATH,
        &rsa.sign(&with(json!({"exp": now - 20}))),
        Some("customer"),
    )
    .await;
    assert_eq!(within_leeway.status(), 201, "60 s of leeway on exp");
    let unknown = sign_in(
        &app,
        "/api/v1/auth/oidc/nobody",
        &rsa.sign(&good),
        Some("customer"),
    )
    .await;
    assert_problem(unknown, 404, "not_found").await;
    let empty = sign_in(&app, PATH, "", Some("customer")).await;
    let empty = assert_problem(empty, 422, "validation_failed").await;
    assert_eq!(empty["errors"][0]["field"], "id_token");
    let bad_role = app
        .post_json(PATH, &json!({"id_token": rsa.sign(&good), "role": "admin"}))
        .await;
    let bad_role = assert_problem(bad_role, 422, "validation_failed").await;
    assert_eq!(
        bad_role["errors"][0]["field"], "role",
        "admin is no role to sign up as"
    );
    let stored_users = stored::count(
        app.pool(),
        "SELECT COUNT(*) AS n FROM user_identities WHERE provider = $1",
        "test",
    )
    .await;
    assert_eq!(stored_users, 1, "only the valid token made an account");
}

#[tokio::test]
async fn an_unknown_kid_costs_one_refetch_then_none_and_a_rotated_key_is_picked_up() {
    let (old, new) = (SigningKey::rsa("2026-a", 0), SigningKey::ec("2026-b"));
    let idp = FakeIdp::start(&[&old]).await;
    let app = app_trusting(&[("test", &idp)]).await;
    let signed_in = sign_in(
        &app,
        PATH,
        &old.sign(&idp.claims("s-1", &email(), true)),
        Some("customer"),
    )
    .await;
    assert_eq!(signed_in.status(), 201);
    assert_eq!(idp.fetches(), 1);

    // The provider rotates: a token of the new key makes the one refetch.
    idp.publish(&[&old, &new]);
    let rotated = sign_in(
        &app,
        PATH,
        &new.sign(&idp.claims("s-2", &email(), true)),
        Some("customer"),
    )
    .await;
    assert_eq!(rotated.status(), 201, "the new kid is picked up");
    assert_eq!(idp.fetches(), 2);

    // Made-up kids within the minute: 401 without asking the issuer again.
    let attempts = (0..8).map(|i| {
        let mut forged = SigningKey::ec(&format!("random-{i}"));
        forged.kid = format!("random-{i}");
        let token = forged.sign(&idp.claims("s-3", &email(), true));
        let app = &app;
        async move { sign_in(app, PATH, &token, Some("customer")).await }
    });
    for response in futures_util::future::join_all(attempts).await {
        assert_eq!(response.status(), 401);
    }
    assert_eq!(idp.fetches(), 2, "no fetch per unknown kid");
}

#[tokio::test]
async fn an_unknown_kid_refetches_once_then_is_refused() {
    let key = SigningKey::ec("k1");
    let idp = FakeIdp::start(&[&key]).await;
    let app = app_trusting(&[("test", &idp)]).await;
    let ok = sign_in(
        &app,
        PATH,
        &key.sign(&idp.claims("s-1", &email(), true)),
        Some("customer"),
    )
    .await;
    assert_eq!(ok.status(), 201);
    for i in 0..5 {
        let stranger = SigningKey::ec(&format!("nope-{i}"));
        let response = sign_in(
            &app,
            PATH,
            &stranger.sign(&idp.claims("s-2", &email(), true)),
            Some("customer"),
        )
        .await;
        assert_problem(response, 401, "invalid_credentials").await;
    }
    assert_eq!(
        idp.fetches(),
        2,
        "the first unknown kid refetched; the rest did not"
    );
}

#[tokio::test]
async fn cached_keys_serve_while_the_issuer_is_down_and_none_is_503() {
    let key = SigningKey::rsa("k1", 0);
    let idp = FakeIdp::start(&[&key]).await;
    idp.cache_control("public, max-age=1");
    let app = app_trusting(&[("test", &idp)]).await;
    let token = key.sign(&idp.claims("s-1", &email(), true));
    assert_eq!(
        sign_in(&app, PATH, &token, Some("customer")).await.status(),
        201
    );
    idp.set_down(true);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sign_in(&app, PATH, &token, None).await.status(),
        200,
        "stale keys serve"
    );
    assert_eq!(idp.fetches(), 2, "one attempt to refresh the stale set");
    assert_eq!(sign_in(&app, PATH, &token, None).await.status(), 200);
    assert_eq!(idp.fetches(), 2, "no retry within a minute of a failure");

    // An issuer down before its keys were ever fetched: nothing can be
    // verified, which is not the token's fault.
    let cold = FakeIdp::start(&[&key]).await;
    cold.set_down(true);
    let app = app_trusting(&[("test", &cold)]).await;
    let response = sign_in(
        &app,
        PATH,
        &key.sign(&cold.claims("s-1", &email(), true)),
        Some("customer"),
    )
    .await;
    assert_problem(response, 503, "service_unavailable").await;
}

#[tokio::test]
async fn an_account_links_only_when_both_emails_are_verified() {
    let key = SigningKey::ec("k1");
    let idp = FakeIdp::start(&[&key]).await;
    let app = app_trusting(&[("test", &idp)]).await;
    let account = TestUser::customer().register(&app).await;

    let verified_token = key.sign(&idp.claims("s-1", &account.email.to_uppercase(), true));
    let refused = sign_in(&app, PATH, &verified_token, Some("customer")).await;
    assert_problem(refused, 409, "account_exists").await;

    stored::execute(
        app.pool(),
        "UPDATE users SET email_verified = (id = $2) WHERE id = $1",
        &account.id,
        &account.id,
    )
    .await;
    let unverified_token = key.sign(&idp.claims("s-1", &account.email, false));
    let refused = sign_in(&app, PATH, &unverified_token, Some("customer")).await;
    assert_problem(refused, 409, "account_exists").await;
    let none = json(app.get_as(&account.token, "/api/v1/auth/identities").await).await;
    assert_eq!(none["items"], json!([]));

    let linked = sign_in(&app, PATH, &verified_token, None).await;
    assert_eq!(linked.status(), 200);
    assert_eq!(json(linked).await["user"]["id"], account.id.as_str());
    let listed = json(app.get_as(&account.token, "/api/v1/auth/identities").await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    app.login(&account.email, &account.password, &account.id)
        .await;

    // With a password left, its only identity may go; it links again later.
    let identity = listed["items"][0]["id"].as_str().unwrap();
    assert_eq!(unlink(&app, &account.token, identity).await.status(), 204);
    let none = json(app.get_as(&account.token, "/api/v1/auth/identities").await).await;
    assert_eq!(none["items"], json!([]));
    assert_eq!(
        sign_in(&app, PATH, &verified_token, None).await.status(),
        200
    );

    // A suspended account learns of its suspension from a valid token.
    let admin = app.admin().await;
    let suspended = app
        .send_json_as(
            &admin.token,
            Method::POST,
            &format!("/api/v1/admin/users/{}/suspend", account.id),
            &json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(suspended.status(), 200);
    let response = sign_in(&app, PATH, &verified_token, None).await;
    assert_problem(response, 403, "account_suspended").await;
}

#[tokio::test]
async fn first_sign_ins_of_one_identity_race_to_one_account() {
    let key = SigningKey::ec("k1");
    let idp = FakeIdp::start(&[&key]).await;
    let app = app_trusting(&[("test", &idp)]).await;
    let token = key.sign(&idp.claims("racer", &email(), true));
    one_wins(
        (0..6).map(|_| sign_in(&app, PATH, &token, Some("customer"))),
        201,
        200,
    )
    .await;
    let accounts = stored::count(
        app.pool(),
        "SELECT COUNT(*) AS n FROM user_identities WHERE subject = $1",
        "racer",
    )
    .await;
    assert_eq!(accounts, 1);
}

#[tokio::test]
async fn the_last_way_to_sign_in_stays_and_unlinks_race_to_keep_one() {
    let (first_key, second_key) = (SigningKey::ec("k1"), SigningKey::ec("k2"));
    let (first, second) = (
        FakeIdp::start(&[&first_key]).await,
        FakeIdp::start(&[&second_key]).await,
    );
    let app = app_trusting(&[("test", &first), ("other", &second)]).await;
    let address = email();
    let user = signed_up(
        &app,
        PATH,
        &first_key.sign(&first.claims("a", &address, true)),
    )
    .await;
    let listed = json(app.get_as(&user.token, "/api/v1/auth/identities").await).await;
    let only = listed["items"][0]["id"].as_str().unwrap().to_owned();
    assert_problem(
        unlink(&app, &user.token, &only).await,
        409,
        "last_sign_in_method",
    )
    .await;

    let linked = sign_in(
        &app,
        "/api/v1/auth/oidc/other",
        &second_key.sign(&second.claims("b", &address, true)),
        None,
    )
    .await;
    assert_eq!(
        linked.status(),
        200,
        "the new account's verified email links the second identity"
    );
    let ids: Vec<String> =
        json(app.get_as(&user.token, "/api/v1/auth/identities").await).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(ids.len(), 2);
    one_wins(ids.iter().map(|id| unlink(&app, &user.token, id)), 204, 409).await;
    let left = stored::count(
        app.pool(),
        "SELECT COUNT(*) AS n FROM user_identities WHERE user_id = $1",
        &user.id,
    )
    .await;
    assert_eq!(left, 1, "one way in remains");

    let stranger = TestUser::customer().register(&app).await;
    let foreign = unlink(&app, &stranger.token, &ids[0]).await;
    assert_problem(foreign, 404, "not_found").await;
    assert_problem(
        unlink(&app, &user.token, "no-such-identity").await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_fresh_id_token_stands_in_for_the_password_an_account_lacks() {
    let key = SigningKey::rsa("k1", 0);
    let idp = FakeIdp::start(&[&key]).await;
    let app = app_trusting(&[("test", &idp)]).await;
    let address = email();
    let user = signed_up(&app, PATH, &key.sign(&idp.claims("me", &address, true))).await;
    let _them = signed_up(&app, PATH, &key.sign(&idp.claims("them", &email(), true))).await;
    let delete = |body: Value| {
        let token = user.token.clone();
        let app = &app;
        async move {
            app.send_json_as(&token, Method::DELETE, "/api/v1/users/me", &body)
                .await
        }
    };
    let now = chrono::Utc::now().timestamp();
    let stale = {
        let mut claims = idp.claims("me", &address, true);
        claims["iat"] = json!(now - 600);
        key.sign(&claims)
    };
    for (what, body) in [
        ("no proof", json!({})),
        (
            "a password it does not have",
            json!({"current_password": "dummy-hash"}),
        ),
        ("a stale token", json!({"id_token": stale})),
        (
            "another user's token",
            json!({"id_token": key.sign(&idp.claims("them", &address, true))}),
        ),
        (
            "a forged token",
            json!({"id_token": unsigned_token("k1", &idp.claims("me", &address, true))}),
        ),
    ] {
        let response = delete(body).await;
        assert_eq!(response.status(), 403, "{what}");
        assert_problem(response, 403, "wrong_password").await;
    }

    // A fresh token sets a first password; the password then works.
    let set = app
        .send_json_as(
            &user.token,
            Method::PUT,
            "/api/v1/users/me/password",
            &json!({
                "id_token": key.sign(&idp.claims("me", &address, true)),
                "new_password": "a-first-password",
            }),
        )
        .await;
    assert_eq!(set.status(), 204);
    let session = app.login(&address, "a-first-password", &user.id).await;

    let export = json(app.get_as(&session.token, "/api/v1/users/me/export").await).await;
    assert_eq!(export["identities"][0]["subject"], "me");

    let deleted = app
        .send_json_as(
            &session.token,
            Method::DELETE,
            "/api/v1/users/me",
            &json!({
                "id_token": key.sign(&idp.claims("me", &address, true)),
            }),
        )
        .await;
    assert_eq!(deleted.status(), 204, "a fresh ID token proves the account");
    let left = stored::count(
        app.pool(),
        "SELECT COUNT(*) AS n FROM user_identities WHERE user_id = $1",
        &user.id,
    )
    .await;
    assert_eq!(left, 0, "deletion erases identities");
    let again = sign_in(
        &app,
        PATH,
        &key.sign(&idp.claims("me", &address, true)),
        None,
    )
    .await;
    assert_problem(again, 422, "validation_failed").await;
}
