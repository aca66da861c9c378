//! The modlog: every admin action of v1 and v1.1, in the transaction of the
//! action, listed newest first to admins only.

use quickfix_tests::{TestApp, TestUser, assert_problem, json, stored};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn every_admin_action_is_appended_and_listed_newest_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (customer, provider, booking) = app.completed_booking().await;
    let booking_id = booking["id"].as_str().unwrap().to_owned();
    let send = |method: Method, path: String, body: Value| {
        let token = admin.token.clone();
        let app = &app;
        async move { app.send_json_as(&token, method, &path, &body).await }
    };

    let rated = app
        .send_json_as(
            &provider.token,
            Method::POST,
            &format!("/api/v1/bookings/{booking_id}/ratings"),
            &json!({"stars": 1, "comment": "rude"}),
        )
        .await;
    let rating_id = json(rated).await["id"].as_str().unwrap().to_owned();
    let dispute = app
        .send_json_as(
            &customer.token,
            Method::POST,
            &format!("/api/v1/bookings/{booking_id}/dispute"),
            &json!({"reason": "Not finished"}),
        )
        .await;
    assert_eq!(dispute.status(), 200);

    let steps = [
        (
            Method::PATCH,
            format!("/api/v1/admin/users/{}", customer.id),
            json!({"is_active": false}),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/providers/{}/verify", provider.id),
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/categories".to_owned(),
            json!({"slug": "chimney", "name": "Chimney sweeping", "keywords": []}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/ratings/{rating_id}"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/bookings/{booking_id}/resolve"),
            json!({"outcome": "completed", "note": "Finished after all."}),
        ),
    ];
    for (method, path, body) in steps {
        let answer = send(method, path.clone(), body).await;
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
    }

    let log = json(app.get_as(&admin.token, "/api/v1/admin/modlog").await).await;
    let seen: Vec<(String, String, String, Value)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["actor_id"], admin.id.as_str());
            assert!(e["at"].is_string() && e["id"].is_string());
            (
                e["action"].as_str().unwrap().to_owned(),
                e["target"]["kind"].as_str().unwrap().to_owned(),
                e["target"]["id"].as_str().unwrap().to_owned(),
                e["reason"].clone(),
            )
        })
        .collect();
    let expected = [
        (
            "resolve_dispute",
            "booking",
            booking_id.as_str(),
            json!("Finished after all."),
        ),
        ("delete_rating", "rating", rating_id.as_str(), Value::Null),
        ("add_category", "category", "chimney", Value::Null),
        ("verify_provider", "user", provider.id.as_str(), Value::Null),
        (
            "set_user_active",
            "user",
            customer.id.as_str(),
            json!("deactivated"),
        ),
    ]
    .map(|(a, k, t, r)| (a.to_owned(), k.to_owned(), t.to_owned(), r));
    assert_eq!(seen, expected);

    let only = json(
        app.get_as(&admin.token, "/api/v1/admin/modlog?action=delete_rating")
            .await,
    )
    .await;
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    let about = json(
        app.get_as(
            &admin.token,
            &format!("/api/v1/admin/modlog?target_id={}&limit=1", customer.id),
        )
        .await,
    )
    .await;
    assert_eq!(about["items"][0]["action"], "set_user_active");
    assert_problem(
        app.get_as(&admin.token, "/api/v1/admin/modlog?action=erase")
            .await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn only_admins_read_the_modlog_and_a_refused_action_leaves_no_line() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let customer = TestUser::customer().register(&app).await;
    assert_problem(
        app.get_as(&customer.token, "/api/v1/admin/modlog").await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(app.get("/api/v1/admin/modlog").await, 401, "unauthorized").await;
    // Verifying a customer is refused (not a provider): nothing is logged.
    let refused = app
        .post_as(
            &admin.token,
            &format!("/api/v1/admin/providers/{}/verify", customer.id),
        )
        .await;
    assert_eq!(refused.status(), 404);
    let lines = stored::count(
        app.pool(),
        "SELECT COUNT(*) AS n FROM modlog WHERE target_id = $1",
        &customer.id,
    )
    .await;
    assert_eq!(lines, 0);
}
