//! The ratings crate run as its own service beside the gateway: its own
//! database holding only its tables, learning of bookings and logins from
//! the gateway's events over Redis, publishing the aggregates the gateway's
//! users crate shows. Skipped unless `QUICKFIX_TEST_REDIS_URL` is set (CI
//! sets it).

use std::time::Duration;

use quickfix_gateway::Application;
use quickfix_shared::testing::TestDatabase;
use quickfix_tests::{TestApp, json, stored, test_settings};
use serde_json::json;

/// How long cross-service effects may take here (the contract: 1 s; a busy
/// 2-core box gets a margin).
const ACROSS: Duration = Duration::from_secs(10);

#[tokio::test]
async fn ratings_as_its_own_service_rates_through_events_and_the_profile_shows_it() {
    let Ok(redis) = std::env::var("QUICKFIX_TEST_REDIS_URL") else {
        eprintln!("skipped: set QUICKFIX_TEST_REDIS_URL to run the split test");
        return;
    };
    let redis = format!(
        "{redis}?channel_prefix=qf-split-{}",
        uuid::Uuid::now_v7().simple()
    );
    let gateway_redis = redis.clone();
    let app = TestApp::spawn_with(move |s| {
        s.redis.url = Some(gateway_redis);
        s.ratings.enabled = false;
    })
    .await;

    // The ratings service: its own database, its own port.
    let ratings_db = TestDatabase::new(&[]);
    let uploads = tempfile::tempdir().unwrap();
    let mut settings = test_settings(ratings_db.url(), &uploads.path().display().to_string());
    settings.redis.url = Some(redis);
    let service = Application::build_ratings(settings).await.unwrap();
    let ratings = format!("http://127.0.0.1:{}", service.port());
    let handle = service.handle();
    let ratings_pool = service.pool().clone();
    tokio::spawn(service.run_until_stopped());

    // The gateway no longer serves ratings; the booking runs through it.
    let (customer, provider, booking) = app.completed_booking().await;
    let booking_id = booking["id"].as_str().unwrap();
    let path = format!("/api/v1/bookings/{booking_id}/ratings");
    assert_eq!(
        app.request(reqwest::Method::POST, &path)
            .bearer_auth(&customer.token)
            .json(&json!({"stars": 4}))
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "ratings are not the gateway's any more"
    );

    // The service answers like the gateway: problem bodies, its headers.
    let unknown = app
        .client
        .get(format!("{ratings}/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.headers()["x-content-type-options"], "nosniff");

    // Rating through the ratings service, once it has heard of the login
    // and the completed booking.
    let rate = |token: String, stars: u8| {
        let (client, url) = (app.client.clone(), format!("{ratings}{path}"));
        async move {
            let until = tokio::time::Instant::now() + ACROSS;
            loop {
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"stars": stars, "comment": "Tidy work."}))
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                if status == 201 || tokio::time::Instant::now() > until {
                    return (status, json(response).await);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let (status, rating) = rate(customer.token.clone(), 4).await;
    assert_eq!(status, 201, "{rating}");
    assert_eq!(rating["stars"], 4);
    let (status, _) = rate(provider.token.clone(), 5).await;
    assert_eq!(status, 201, "the provider rates the customer");

    // Both rated: revealed, and the aggregate crosses back to the gateway.
    let profile_path = format!("/api/v1/providers/{}", provider.id);
    let until = tokio::time::Instant::now() + ACROSS;
    let profile = loop {
        let profile = json(app.get(&profile_path).await).await;
        if profile["rating_count"] == 1 || tokio::time::Instant::now() > until {
            break profile;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(profile["rating_count"], 1, "{profile}");
    assert_eq!(profile["rating_avg"], 4.0, "{profile}");

    // The service holds ratings and what it follows, not the others' tables.
    let others = stored::count(
        &ratings_pool,
        "SELECT COUNT(*) AS n FROM followed_bookings WHERE booking_id = $1",
        booking_id,
    )
    .await;
    assert_eq!(others, 1);
    let ratings_rows = stored::count(
        &ratings_pool,
        "SELECT COUNT(*) AS n FROM ratings WHERE booking_id = $1",
        booking_id,
    )
    .await;
    assert_eq!(ratings_rows, 2);
    assert_eq!(
        stored::count(
            app.pool(),
            "SELECT COUNT(*) AS n FROM ratings WHERE booking_id = $1",
            booking_id,
        )
        .await,
        0,
        "the gateway's database holds no rating"
    );
    handle.stop(true).await;
}
