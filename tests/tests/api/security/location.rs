//! A provider cannot recover a job's exact location through the `near`
//! filter: the attack of bisecting around the coarse point.

use quickfix_tests::{Session, TestApp, TestUser, assert_problem, job_body, json};

async fn found(app: &TestApp, provider: &Session, lat: f64, lng: f64, radius: f64) -> bool {
    let listed = json(
        app.get_as(
            &provider.token,
            &format!("/api/v1/jobs?near={lat},{lng}&radius_km={radius}"),
        )
        .await,
    )
    .await;
    !listed["items"].as_array().unwrap().is_empty()
}

#[tokio::test]
async fn a_provider_bisecting_with_near_learns_nothing_below_the_coarse_cell() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    // The customer's home: 38.71637, -9.14152; its coarse point 38.72, -9.14.
    let (home_lat, home_lng) = (38.716_37, -9.141_52);
    app.post_job(
        &customer,
        &job_body("Fix the boiler", "plumbing", home_lat, home_lng),
    )
    .await;

    assert_problem(
        app.get_as(
            &provider.token,
            "/api/v1/jobs?near=38.7164,-9.1415&radius_km=0.01",
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as(
            &provider.token,
            "/api/v1/jobs?near=38.7164,-9.1415&radius_km=0.99",
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // The attack: walk a 1 km circle's centre east across the home and
    // watch where the job appears and disappears. On exact coordinates the
    // two edges pin the home to metres; on the coarse point they sit
    // symmetrically about 38.72, -9.14, whatever the home's exact place.
    let step = 0.0005;
    let mut edges = Vec::new();
    let mut was_found = false;
    let mut lng = -9.18;
    while lng < -9.10 {
        let now = found(&app, &provider, 38.72, lng, 1.0).await;
        if now != was_found {
            edges.push(lng);
            was_found = now;
        }
        lng += step;
    }
    assert_eq!(edges.len(), 2, "one window where the job shows: {edges:?}");
    let middle = (edges[0] + edges[1] - step) / 2.0;
    assert!(
        (middle - -9.14).abs() < 0.001,
        "the window centres on the coarse point, not the home ({middle})"
    );
    assert!(
        (middle - home_lng).abs() > 0.001,
        "nothing finer than the coarse cell leaks ({middle} vs {home_lng})"
    );

    // A job in the same coarse cell answers every filter alike.
    let twin = (38.723_9, -9.136_1);
    assert_eq!(quickfix_shared::geo::coarse(twin.0), 38.72);
    assert_eq!(quickfix_shared::geo::coarse(twin.1), -9.14);
    for (lat, lng, radius) in [
        (38.72, -9.15, 1.0),
        (38.73, -9.14, 1.2),
        (38.71, -9.13, 1.5),
    ] {
        let other = TestApp::spawn().await;
        let owner = TestUser::customer().register(&other).await;
        let looking = TestUser::provider().register(&other).await;
        other
            .post_job(&owner, &job_body("Twin", "plumbing", twin.0, twin.1))
            .await;
        assert_eq!(
            found(&other, &looking, lat, lng, radius).await,
            found(&app, &provider, lat, lng, radius).await,
            "jobs in one coarse cell are alike to the filter at {lat},{lng} r={radius}"
        );
    }
}

#[tokio::test]
async fn the_owner_still_filters_on_the_exact_location() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    app.post_job(
        &customer,
        &job_body("Fix the boiler", "plumbing", 38.716_37, -9.141_52),
    )
    .await;
    let listed = json(
        app.get_as(
            &customer.token,
            "/api/v1/jobs?near=38.7164,-9.1415&radius_km=0.01",
        )
        .await,
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}
