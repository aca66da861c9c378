//! Double-blind ratings, their reveal, aggregates and admin statistics.

use quickfix_tests::{Session, TestApp, TestUser, assert_problem, json, one_wins};
use reqwest::Method;
use serde_json::json;

async fn rate(
    app: &TestApp,
    who: &Session,
    booking: &serde_json::Value,
    stars: u8,
) -> reqwest::Response {
    let path = format!(
        "/api/v1/bookings/{}/ratings",
        booking["id"].as_str().unwrap()
    );
    app.send_json_as(
        &who.token,
        Method::POST,
        &path,
        &json!({"stars": stars, "comment": "fine"}),
    )
    .await
}

async fn profile(app: &TestApp, viewer: &Session, user: &Session) -> serde_json::Value {
    json(
        app.get_as(&viewer.token, &format!("/api/v1/users/{}", user.id))
            .await,
    )
    .await
}

/// Runs the reveal task with a clock `days` ahead.
async fn reveal_as_if_later(app: &TestApp, days: i64) -> usize {
    quickfix_ratings::reveal_due(
        app.relay(),
        quickfix_shared::db::now() + chrono::Duration::days(days),
        chrono::Duration::days(7),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn only_parties_rate_and_only_completed_bookings() {
    let app = TestApp::spawn().await;
    let (customer, _, booking) = app.booking().await;
    assert_problem(
        rate(&app, &customer, &booking, 5).await,
        409,
        "booking_not_completed",
    )
    .await;
    let (customer, provider, booking) = app.completed_booking().await;
    let outsider = TestUser::customer().register(&app).await;
    assert_problem(rate(&app, &outsider, &booking, 5).await, 404, "not_found").await;
    for stars in [0, 6] {
        assert_problem(
            rate(&app, &customer, &booking, stars).await,
            422,
            "validation_failed",
        )
        .await;
    }
    let path = format!(
        "/api/v1/bookings/{}/ratings",
        booking["id"].as_str().unwrap()
    );
    let long = app
        .send_json_as(
            &customer.token,
            Method::POST,
            &path,
            &json!({"stars": 4, "comment": "x".repeat(1001)}),
        )
        .await;
    assert_problem(long, 422, "validation_failed").await;
    assert_problem(app.get_as(&outsider.token, &path).await, 404, "not_found").await;
    let _ = provider;
}

#[tokio::test]
async fn a_lone_rating_stays_hidden_until_the_other_party_rates() {
    let app = TestApp::spawn().await;
    let (customer, provider, booking) = app.completed_booking().await;
    let first = rate(&app, &customer, &booking, 4).await;
    assert_eq!(first.status(), 201);
    let first = json(first).await;
    assert_eq!(first["revealed"], false);
    assert_eq!(first["rated_user_id"], provider.id.as_str());

    let path = format!(
        "/api/v1/bookings/{}/ratings",
        booking["id"].as_str().unwrap()
    );
    assert!(
        json(app.get_as(&provider.token, &path).await).await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        json(app.get_as(&customer.token, &path).await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let public = json(
        app.get(&format!("/api/v1/users/{}/ratings", provider.id))
            .await,
    )
    .await;
    assert!(public["items"].as_array().unwrap().is_empty());
    assert_eq!(public["summary"]["count"], 0);
    assert!(profile(&app, &customer, &provider).await["rating_avg"].is_null());

    let second = json(rate(&app, &provider, &booking, 5).await).await;
    assert_eq!(second["revealed"], true);
    assert_eq!(
        json(app.get_as(&provider.token, &path).await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let public = json(
        app.get(&format!("/api/v1/users/{}/ratings", provider.id))
            .await,
    )
    .await;
    assert_eq!(public["items"][0]["stars"], 4);
    assert_eq!(
        public["summary"],
        json!({"avg": 4.0, "count": 1, "histogram": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}})
    );
    let provider_profile = profile(&app, &customer, &provider).await;
    assert_eq!(
        (
            provider_profile["rating_avg"].clone(),
            provider_profile["rating_count"].clone()
        ),
        (json!(4.0), json!(1))
    );
    let customer_profile = profile(&app, &provider, &customer).await;
    assert_eq!(
        (
            customer_profile["rating_avg"].clone(),
            customer_profile["rating_count"].clone()
        ),
        (json!(5.0), json!(1))
    );
    assert_eq!(
        json(app.get("/api/v1/providers?min_rating=4").await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(
        json(app.get("/api/v1/providers?min_rating=4.5").await).await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_problem(
        app.get(&format!("/api/v1/users/{}/ratings", uuid::Uuid::now_v7()))
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn rating_twice_is_409_and_concurrent_duplicates_store_one() {
    let app = TestApp::spawn().await;
    let (customer, _, booking) = app.completed_booking().await;
    let attempts = (0..8).map(|_| rate(&app, &customer, &booking, 3));
    one_wins(attempts, 201, 409).await;
    assert_problem(
        rate(&app, &customer, &booking, 3).await,
        409,
        "already_rated",
    )
    .await;
}

#[tokio::test]
async fn both_parties_rating_at_once_reveal_both() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        let (customer, provider, booking) = app.completed_booking().await;
        let (a, b) = tokio::join!(
            rate(&app, &customer, &booking, 5),
            rate(&app, &provider, &booking, 2)
        );
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (201, 201));
        let path = format!(
            "/api/v1/bookings/{}/ratings",
            booking["id"].as_str().unwrap()
        );
        let seen = json(app.get_as(&customer.token, &path).await).await;
        let revealed: Vec<_> = seen["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["revealed"].clone())
            .collect();
        assert_eq!(revealed, vec![json!(true), json!(true)]);
        assert_eq!(profile(&app, &customer, &provider).await["rating_count"], 1);
    }
}

#[tokio::test]
async fn a_lone_rating_is_revealed_when_the_period_passes() {
    let app = TestApp::spawn().await;
    let (customer, provider, booking) = app.completed_booking().await;
    rate(&app, &customer, &booking, 2).await;
    assert_eq!(reveal_as_if_later(&app, 6).await, 0, "not yet");
    assert_eq!(reveal_as_if_later(&app, 8).await, 1);
    assert_eq!(reveal_as_if_later(&app, 9).await, 0, "revealed once");
    let provider_profile = profile(&app, &customer, &provider).await;
    assert_eq!(provider_profile["rating_avg"], 2.0);
    let public = json(
        app.get(&format!("/api/v1/users/{}/ratings", provider.id))
            .await,
    )
    .await;
    assert_eq!(public["summary"]["count"], 1);
}

#[tokio::test]
async fn a_lone_ratings_reveal_waits_as_a_task_admins_see_and_the_second_rating_cancels() {
    let app = TestApp::spawn().await;
    let (customer, provider, booking) = app.completed_booking().await;
    rate(&app, &customer, &booking, 3).await;
    let admin = app.admin().await;
    let booking_id = booking["id"].as_str().unwrap();
    let tasks = json(
        app.get_as(&admin.token, "/api/v1/admin/tasks?pending=true")
            .await,
    )
    .await;
    let task = tasks["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject_id"] == booking_id)
        .cloned()
        .expect("the reveal waits as a task");
    assert_eq!(task["kind"], "rating.reveal");
    assert_eq!(task["attempts"], 0);
    assert!(task["done_at"].is_null() && task["last_error"].is_null());
    let due = chrono::DateTime::parse_from_rfc3339(task["due_at"].as_str().unwrap()).unwrap();
    let in_days = (due.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!(
        (167..=168).contains(&in_days),
        "due seven days after completion: {in_days} h"
    );
    assert_eq!(
        app.get_as(&customer.token, "/api/v1/admin/tasks")
            .await
            .status(),
        403
    );
    rate(&app, &provider, &booking, 5).await;
    let tasks = json(
        app.get_as(&admin.token, "/api/v1/admin/tasks?pending=true")
            .await,
    )
    .await;
    assert!(
        !tasks.to_string().contains(booking_id),
        "both rated: the reveal happened, no task waits"
    );
}

#[tokio::test]
async fn aggregates_agree_with_revealed_ratings_after_rates_reveals_and_deletes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let provider = TestUser::provider().register(&app).await;
    let mut rating_ids = Vec::new();
    for (i, stars) in [5u8, 4, 1, 3, 5, 2].into_iter().enumerate() {
        let customer = TestUser::customer().register(&app).await;
        let job = app
            .post_job(
                &customer,
                &quickfix_tests::job_body("Work", "other", 1.0, 1.0),
            )
            .await;
        let job_id = job["id"].as_str().unwrap();
        let offer = app.offer(&provider, job_id, 1000).await;
        let booking = app
            .accept(&customer, job_id, offer["id"].as_str().unwrap())
            .await;
        let id = booking["id"].as_str().unwrap();
        app.post_as(&provider.token, &format!("/api/v1/bookings/{id}/start"))
            .await;
        app.post_as(&provider.token, &format!("/api/v1/bookings/{id}/complete"))
            .await;
        let rating = json(rate(&app, &customer, &booking, stars).await).await;
        rating_ids.push(rating["id"].as_str().unwrap().to_owned());
        if i % 2 == 0 {
            rate(&app, &provider, &booking, 4).await;
        }
    }
    let check = |expected_count: i64| {
        let app = &app;
        let admin = &admin;
        let provider = &provider;
        async move {
            let public = json(
                app.get(&format!("/api/v1/users/{}/ratings?limit=100", provider.id))
                    .await,
            )
            .await;
            let stars: Vec<i64> = public["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["stars"].as_i64().unwrap())
                .collect();
            assert_eq!(stars.len() as i64, expected_count);
            let shown = profile(app, admin, provider).await;
            assert_eq!(shown["rating_count"], expected_count);
            assert_eq!(public["summary"]["count"], expected_count);
            if expected_count == 0 {
                assert!(shown["rating_avg"].is_null());
            } else {
                let avg = stars.iter().sum::<i64>() as f64 / stars.len() as f64;
                let avg = (avg * 100.0).round() / 100.0;
                assert_eq!(shown["rating_avg"].as_f64().unwrap(), avg);
                assert_eq!(public["summary"]["avg"].as_f64().unwrap(), avg);
            }
        }
    };
    check(3).await;
    reveal_as_if_later(&app, 8).await;
    check(6).await;
    let customer = TestUser::customer().register(&app).await;
    let delete = |id: &str| {
        app.request(Method::DELETE, &format!("/api/v1/ratings/{id}"))
            .bearer_auth(&admin.token)
            .send()
    };
    assert_problem(
        app.request(
            Method::DELETE,
            &format!("/api/v1/ratings/{}", rating_ids[0]),
        )
        .bearer_auth(&customer.token)
        .send()
        .await
        .unwrap(),
        403,
        "forbidden",
    )
    .await;
    assert_eq!(delete(&rating_ids[0]).await.unwrap().status(), 204);
    assert_eq!(delete(&rating_ids[2]).await.unwrap().status(), 204);
    check(4).await;
    assert_problem(delete(&rating_ids[0]).await.unwrap(), 404, "not_found").await;
    for id in &rating_ids[1..] {
        if id != &rating_ids[2] {
            delete(id).await.unwrap();
        }
    }
    check(0).await;
}

#[tokio::test]
async fn admin_stats_count_each_crate() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (customer, provider, booking) = app.completed_booking().await;
    rate(&app, &customer, &booking, 4).await;
    rate(&app, &provider, &booking, 2).await;
    app.post_job(
        &customer,
        &quickfix_tests::job_body("Open one", "other", 1.0, 1.0),
    )
    .await;
    assert_problem(
        app.get_as(&customer.token, "/api/v1/admin/stats").await,
        403,
        "forbidden",
    )
    .await;
    let stats = json(app.get_as(&admin.token, "/api/v1/admin/stats").await).await;
    assert_eq!(
        stats["users"],
        json!({"admin": 1, "customer": 1, "provider": 1})
    );
    assert_eq!(
        stats["jobs"],
        json!({"booked": 0, "cancelled": 0, "completed": 1, "expired": 0, "open": 1})
    );
    assert_eq!(
        stats["bookings"],
        json!({"cancelled": 0, "completed": 1, "confirmed": 0, "disputed": 0, "in_progress": 0})
    );
    assert_eq!(stats["average_rating"], 3.0);
    assert_eq!(stats["messages"], 0);
}
