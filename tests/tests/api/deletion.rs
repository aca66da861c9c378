//! Deleting an account (what is erased, what stays, what is refused, an
//! accept racing the deletion) and exporting its data.

use quickfix_tests::{
    Session, TestApp, TestUser, assert_problem, job_body, json, stored, tiny_png,
};
use reqwest::Method;
use serde_json::json;

use crate::messaging::{send, start};

async fn delete_me(app: &TestApp, user: &Session, password: &str) -> reqwest::Response {
    app.send_json_as(
        &user.token,
        Method::DELETE,
        "/api/v1/users/me",
        &json!({"current_password": password}),
    )
    .await
}

#[tokio::test]
async fn a_deleted_customer_is_anonymised_its_work_undone_and_its_words_kept() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().named("Ana Lima").register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let job = app
        .post_job(&customer, &job_body("Fix the sink", "plumbing", 38.7, -9.1))
        .await;
    let job_id = job["id"].as_str().unwrap();
    let offer = app.offer(&provider, job_id, 9_000).await;
    let conversation = start(&app, &customer, &provider).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    send(&app, &customer, &conversation, "See you Monday").await;
    let part = reqwest::multipart::Part::bytes(tiny_png())
        .file_name("me.png")
        .mime_str("image/png")
        .unwrap();
    let avatar = app
        .request(Method::PUT, "/api/v1/users/me/avatar")
        .bearer_auth(&customer.token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(avatar.status(), 200);
    let avatar_url = json(avatar).await["profile"]["avatar_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let favourite = app
        .send_json_as(
            &customer.token,
            Method::POST,
            "/api/v1/users/me/favorites",
            &json!({"provider_id": provider.id}),
        )
        .await;
    assert!(favourite.status().is_success());

    let wrong = delete_me(&app, &customer, "not the password").await;
    assert_problem(wrong, 403, "wrong_password").await;
    let empty = app
        .send_json_as(
            &customer.token,
            Method::DELETE,
            "/api/v1/users/me",
            &json!({}),
        )
        .await;
    // Both proofs are optional in the schema (an account without a
    // password sends `id_token`): no proof is a wrong one.
    assert_problem(empty, 403, "wrong_password").await;

    let deleted = delete_me(&app, &customer, &customer.password).await;
    assert_eq!(deleted.status(), 204);

    // Every login ended and the email no longer signs in.
    assert_eq!(
        app.get_as(&customer.token, "/api/v1/auth/me")
            .await
            .status(),
        401
    );
    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": customer.email, "password": customer.password}),
        )
        .await;
    assert_problem(login, 401, "invalid_credentials").await;
    // The open job is cancelled and the offer on it rejected, at once.
    let seen = json(
        app.get_as(&provider.token, &format!("/api/v1/jobs/{job_id}"))
            .await,
    )
    .await;
    assert_eq!(seen["status"], "cancelled");
    let offers = json(
        app.get_as(&provider.token, &format!("/api/v1/jobs/{job_id}/offers"))
            .await,
    )
    .await;
    let mine = offers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == offer["id"])
        .cloned()
        .unwrap();
    assert_eq!(mine["status"], "rejected");
    // The message stays, shown with the deleted user.
    let page = json(
        app.get_as(
            &provider.token,
            &format!("/api/v1/conversations/{conversation}/messages"),
        )
        .await,
    )
    .await;
    assert_eq!(page["items"][0]["body"], "See you Monday");
    let listed = json(app.get_as(&provider.token, "/api/v1/conversations").await).await;
    let names = listed.to_string();
    assert!(
        names.contains("Deleted user") && !names.contains("Ana Lima"),
        "{names}"
    );
    // Its favourites, logins and refresh tokens are gone from storage.
    for sql in [
        "SELECT COUNT(*) AS n FROM favorites WHERE customer_id = $1",
        "SELECT COUNT(*) AS n FROM login_sessions WHERE user_id = $1",
        "SELECT COUNT(*) AS n FROM refresh_tokens WHERE user_id = $1",
        "SELECT COUNT(*) AS n FROM email_outbox WHERE user_id = $1",
    ] {
        assert_eq!(
            stored::count(app.pool(), sql, &customer.id).await,
            0,
            "{sql}"
        );
    }
    let email_left = stored::count(
        app.pool(),
        "SELECT COUNT(*) AS n FROM users WHERE email_normalized = $1",
        &customer.email.to_lowercase(),
    )
    .await;
    assert_eq!(email_left, 0);
    // The avatar file is gone.
    assert_eq!(app.get(&avatar_url).await.status(), 404);
    // The email can register again, as a new account.
    let again = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": customer.email, "password": "a-good-password", "role": "customer", "name": "Ana again"}),
        )
        .await;
    assert_eq!(again.status(), 201);
    assert_ne!(json(again).await["user"]["id"], customer.id.as_str());
}

#[tokio::test]
async fn a_deleted_provider_withdraws_its_pending_offers_and_leaves_the_directory() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let job = app
        .post_job(
            &customer,
            &job_body("Paint the door", "plumbing", 38.7, -9.1),
        )
        .await;
    let job_id = job["id"].as_str().unwrap();
    let offer = app.offer(&provider, job_id, 7_000).await;
    assert_eq!(
        delete_me(&app, &provider, &provider.password)
            .await
            .status(),
        204
    );
    let offers = json(
        app.get_as(&customer.token, &format!("/api/v1/jobs/{job_id}/offers"))
            .await,
    )
    .await;
    assert_eq!(offers["items"][0]["id"], offer["id"]);
    assert_eq!(offers["items"][0]["status"], "withdrawn");
    let accept = app
        .post_as(
            &customer.token,
            &format!(
                "/api/v1/jobs/{job_id}/offers/{}/accept",
                offer["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(accept.status(), 409, "a withdrawn offer cannot be accepted");
    let directory = json(app.get("/api/v1/providers").await).await;
    assert!(!directory.to_string().contains(&provider.id));
    let events = app.admin().await;
    let log = json(
        app.get_as(
            &events.token,
            &format!("/api/v1/admin/events?subject_id={}", provider.id),
        )
        .await,
    )
    .await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "user.deleted")
    );
}

#[tokio::test]
async fn an_account_with_an_active_booking_is_kept_until_the_booking_ends() {
    let app = TestApp::spawn().await;
    let (customer, provider, booking) = app.booking().await;
    for user in [&customer, &provider] {
        let refused = delete_me(&app, user, &user.password).await;
        assert_problem(refused, 409, "account_has_active_bookings").await;
        assert_eq!(
            app.get_as(&user.token, "/api/v1/auth/me").await.status(),
            200
        );
    }
    // Nothing changed: the account can still post work.
    app.post_job(&customer, &job_body("Another job", "plumbing", 38.7, -9.1))
        .await;
    let id = booking["id"].as_str().unwrap();
    for action in ["start", "complete"] {
        let moved = app
            .post_as(&provider.token, &format!("/api/v1/bookings/{id}/{action}"))
            .await;
        assert_eq!(moved.status(), 200);
    }
    assert_eq!(
        delete_me(&app, &provider, &provider.password)
            .await
            .status(),
        204
    );
    assert_eq!(
        delete_me(&app, &customer, &customer.password)
            .await
            .status(),
        204
    );
}

#[tokio::test]
async fn an_accept_racing_the_providers_deletion_never_books_a_deleted_account() {
    let app = TestApp::spawn().await;
    for round in 0..8 {
        let customer = TestUser::customer().register(&app).await;
        let provider = TestUser::provider().register(&app).await;
        let job = app
            .post_job(
                &customer,
                &job_body(&format!("Race {round}"), "plumbing", 38.7, -9.1),
            )
            .await;
        let job_id = job["id"].as_str().unwrap().to_owned();
        let offer = app.offer(&provider, &job_id, 5_000).await;
        let accept_path = format!(
            "/api/v1/jobs/{job_id}/offers/{}/accept",
            offer["id"].as_str().unwrap()
        );
        let (accepted, deleted) = tokio::join!(
            app.post_as(&customer.token, &accept_path),
            delete_me(&app, &provider, &provider.password),
        );
        let (accepted, deleted) = (accepted.status().as_u16(), deleted.status().as_u16());
        match (accepted, deleted) {
            (201, 409) => {
                let bookings = json(app.get_as(&provider.token, "/api/v1/bookings").await).await;
                assert_eq!(bookings["items"].as_array().unwrap().len(), 1);
            }
            (refused, 204) => {
                assert!(
                    refused == 409 || refused == 403,
                    "accept answered {refused}"
                );
                let bookings = json(app.get_as(&customer.token, "/api/v1/bookings").await).await;
                assert!(
                    bookings["items"].as_array().unwrap().is_empty(),
                    "round {round}"
                );
            }
            other => panic!("round {round}: accept and deletion answered {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_export_holds_everything_of_the_user_from_every_crate_and_nothing_of_others() {
    let app = TestApp::spawn().await;
    let (customer, provider, booking) = app.completed_booking().await;
    let booking_id = booking["id"].as_str().unwrap();
    let conversation = start(&app, &customer, &provider).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    send(&app, &customer, &conversation, "Thanks for the work").await;
    send(&app, &provider, &conversation, "You are welcome").await;
    let rated = app
        .send_json_as(
            &customer.token,
            Method::POST,
            &format!("/api/v1/bookings/{booking_id}/ratings"),
            &json!({"stars": 5, "comment": "Great"}),
        )
        .await;
    assert_eq!(rated.status(), 201);
    let stranger = TestUser::customer().register(&app).await;
    app.post_job(&stranger, &job_body("Not mine", "plumbing", 38.7, -9.1))
        .await;
    let blocked = app
        .send_json_as(
            &customer.token,
            Method::POST,
            "/api/v1/users/me/blocks",
            &json!({"user_id": stranger.id}),
        )
        .await;
    assert_eq!(blocked.status(), 204);
    let reported = app
        .send_json_as(
            &customer.token,
            Method::POST,
            "/api/v1/reports",
            &json!({"target": {"kind": "user", "id": stranger.id}, "reason": "spam"}),
        )
        .await;
    assert_eq!(reported.status(), 201);

    let response = app.get_as(&customer.token, "/api/v1/users/me/export").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let export = json(response).await;
    for key in [
        "exported_at",
        "user_id",
        "account",
        "profile",
        "notification_preferences",
        "identities",
        "sessions",
        "blocks",
        "reports_filed",
        "verification",
        "jobs",
        "offers",
        "bookings",
        "messages_sent",
        "notifications",
        "ratings_given",
        "ratings_received",
    ] {
        assert!(export.get(key).is_some(), "{key} is missing: {export}");
    }
    assert_eq!(export["user_id"], customer.id.as_str());
    assert_eq!(export["account"]["email"], customer.email.as_str());
    assert_eq!(export["blocks"][0]["user_id"], stranger.id.as_str());
    assert_eq!(
        export["reports_filed"][0]["target"]["id"],
        stranger.id.as_str()
    );
    assert_eq!(export["verification"], "none");
    assert_eq!(
        export["jobs"].as_array().unwrap().len(),
        1,
        "only the caller's jobs"
    );
    assert_eq!(export["bookings"][0]["id"], booking_id);
    let sent = export["messages_sent"].as_array().unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["body"], "Thanks for the work");
    assert_eq!(export["ratings_given"][0]["stars"], 5);
    assert!(!export["sessions"].as_array().unwrap().is_empty());
    assert!(!export.to_string().contains("a-good-password"));
    assert!(!export.to_string().contains("password_hash"));
    let provider_export = json(app.get_as(&provider.token, "/api/v1/users/me/export").await).await;
    assert_eq!(provider_export["offers"].as_array().unwrap().len(), 1);
    assert_eq!(
        provider_export["ratings_received"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "not revealed yet"
    );
    assert!(
        !provider_export["notifications"]
            .as_array()
            .unwrap()
            .is_empty(),
        "the offer's acceptance, the booking's changes"
    );
    assert_eq!(app.get("/api/v1/users/me/export").await.status(), 401);
}
