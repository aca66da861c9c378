//! Accepting offers, the booking lifecycle, the timeline and live location.

use quickfix_jobs_contract::{
    AcceptOffer, Acceptor, BookingId, JobId, OfferAcceptance, OfferId, UserId,
};
use quickfix_shared::outbox::Relay;
use quickfix_tests::{TestApp, TestUser, assert_problem, job_body, json, one_wins};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn accepting_books_the_job_and_rejects_the_rest() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let winner = TestUser::provider().register(&app).await;
    let loser = TestUser::provider().register(&app).await;
    let job = app
        .post_job(
            &customer,
            &job_body("Boiler", "plumbing", 38.712345, -9.139876),
        )
        .await;
    let job_id = job["id"].as_str().unwrap();
    let chosen = app.offer(&winner, job_id, 20_000).await;
    let other = app.offer(&loser, job_id, 25_000).await;

    let booking = app
        .accept(&customer, job_id, chosen["id"].as_str().unwrap())
        .await;
    assert_eq!(booking["status"], "confirmed");
    assert_eq!(booking["price_cents"], 20_000);
    assert_eq!(booking["job_id"], job_id);
    assert_eq!(booking["offer_id"], chosen["id"]);
    assert_eq!(booking["customer_id"], customer.id.as_str());
    assert_eq!(booking["provider_id"], winner.id.as_str());

    let job_now = json(
        app.get_as(&customer.token, &format!("/api/v1/jobs/{job_id}"))
            .await,
    )
    .await;
    assert_eq!(job_now["status"], "booked");
    let offers = json(
        app.get_as(&customer.token, &format!("/api/v1/jobs/{job_id}/offers"))
            .await,
    )
    .await;
    for offer in offers["items"].as_array().unwrap() {
        let expected = if offer["id"] == chosen["id"] {
            "accepted"
        } else {
            "rejected"
        };
        assert_eq!(offer["status"], expected);
    }
    let seen_by_winner = json(
        app.get_as(&winner.token, &format!("/api/v1/jobs/{job_id}"))
            .await,
    )
    .await;
    assert_eq!(
        seen_by_winner["location"]["address"],
        "Rua Augusta 100, Lisboa"
    );
    assert_eq!(seen_by_winner["location"]["lat"], 38.712345);
    let seen_by_loser = json(
        app.get_as(&loser.token, &format!("/api/v1/jobs/{job_id}"))
            .await,
    )
    .await;
    assert!(seen_by_loser["location"]["address"].is_null());

    let again = app
        .post_as(
            &customer.token,
            &format!(
                "/api/v1/jobs/{job_id}/offers/{}/accept",
                other["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_problem(again, 409, "job_not_open").await;
}

#[tokio::test]
async fn only_the_owner_accepts_and_only_pending_offers() {
    let app = TestApp::spawn().await;
    let owner = TestUser::customer().register(&app).await;
    let stranger = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let job = app
        .post_job(&owner, &job_body("Shelf", "carpentry", 1.0, 1.0))
        .await;
    let job_id = job["id"].as_str().unwrap();
    let offer = app.offer(&provider, job_id, 3000).await;
    let accept = format!(
        "/api/v1/jobs/{job_id}/offers/{}/accept",
        offer["id"].as_str().unwrap()
    );
    assert_problem(
        app.post_as(&stranger.token, &accept).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(&provider.token, &accept).await,
        403,
        "forbidden",
    )
    .await;
    let unknown = format!(
        "/api/v1/jobs/{job_id}/offers/{}/accept",
        uuid::Uuid::now_v7()
    );
    assert_problem(app.post_as(&owner.token, &unknown).await, 404, "not_found").await;
    app.post_as(
        &provider.token,
        &format!(
            "/api/v1/jobs/{job_id}/offers/{}/withdraw",
            offer["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_problem(
        app.post_as(&owner.token, &accept).await,
        409,
        "offer_not_pending",
    )
    .await;
    let job_now = json(
        app.get_as(&owner.token, &format!("/api/v1/jobs/{job_id}"))
            .await,
    )
    .await;
    assert_eq!(job_now["status"], "open", "a failed accept changes nothing");
}

#[tokio::test]
async fn twenty_racing_accepts_make_exactly_one_booking() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let job = app
        .post_job(&customer, &job_body("Popular", "cleaning", 1.0, 1.0))
        .await;
    let job_id = job["id"].as_str().unwrap().to_owned();
    let mut offer_ids = Vec::new();
    for _ in 0..20 {
        let provider = TestUser::provider().register(&app).await;
        offer_ids.push(
            app.offer(&provider, &job_id, 5000).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let paths: Vec<String> = offer_ids
        .iter()
        .map(|o| format!("/api/v1/jobs/{job_id}/offers/{o}/accept"))
        .collect();
    let attempts = paths.iter().map(|p| app.post_as(&customer.token, p));
    one_wins(attempts, 201, 409).await;
    let bookings = json(app.get_as(&customer.token, "/api/v1/bookings").await).await;
    assert_eq!(bookings["items"].as_array().unwrap().len(), 1);
    let offers = json(
        app.get_as(
            &customer.token,
            &format!("/api/v1/jobs/{job_id}/offers?limit=100"),
        )
        .await,
    )
    .await;
    let accepted = offers["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] == "accepted")
        .count();
    let rejected = offers["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] == "rejected")
        .count();
    assert_eq!((accepted, rejected), (1, 19));
}

#[tokio::test]
async fn the_lifecycle_follows_the_contract_table() {
    let app = TestApp::spawn().await;
    let (customer, provider, booking) = app.booking().await;
    let outsider = TestUser::provider().register(&app).await;
    let admin = app.admin().await;
    let id = booking["id"].as_str().unwrap();
    let path = |action: &str| format!("/api/v1/bookings/{id}/{action}");

    assert_problem(
        app.post_as(&customer.token, &path("start")).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(&admin.token, &path("start")).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(&outsider.token, &path("start")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post_as(&provider.token, &path("complete")).await,
        409,
        "invalid_transition",
    )
    .await;
    let started = json(app.post_as(&provider.token, &path("start")).await).await;
    assert_eq!(started["status"], "in_progress");
    assert!(started["started_at"].is_string());
    assert_problem(
        app.post_as(&provider.token, &path("start")).await,
        409,
        "invalid_transition",
    )
    .await;
    let cancel = json!({"reason": "changed my mind"});
    assert_problem(
        app.send_json_as(&customer.token, Method::POST, &path("cancel"), &cancel)
            .await,
        409,
        "invalid_transition",
    )
    .await;
    let completed = json(app.post_as(&provider.token, &path("complete")).await).await;
    assert_eq!(completed["status"], "completed");
    assert!(completed["completed_at"].is_string());
    let job = json(
        app.get_as(
            &customer.token,
            &format!("/api/v1/jobs/{}", booking["job_id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(job["status"], "completed");
    assert_problem(
        app.send_json_as(&admin.token, Method::POST, &path("cancel"), &cancel)
            .await,
        409,
        "invalid_transition",
    )
    .await;

    let timeline = json(
        app.get_as(&customer.token, &format!("/api/v1/bookings/{id}/events"))
            .await,
    )
    .await;
    let steps: Vec<_> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from"].clone(), e["to"].clone(), e["actor_id"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (json!(null), json!("confirmed"), json!(customer.id)),
            (json!("confirmed"), json!("in_progress"), json!(provider.id)),
            (json!("in_progress"), json!("completed"), json!(provider.id)),
        ]
    );
    assert_problem(
        app.get_as(&outsider.token, &format!("/api/v1/bookings/{id}/events"))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.get_as(&admin.token, &format!("/api/v1/bookings/{id}/events"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn cancelling_needs_a_reason_and_admins_may_cancel_work_in_progress() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (customer, provider, booking) = app.booking().await;
    let id = booking["id"].as_str().unwrap();
    let cancel = format!("/api/v1/bookings/{id}/cancel");
    assert_problem(
        app.send_json_as(
            &customer.token,
            Method::POST,
            &cancel,
            &json!({"reason": ""}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.send_json_as(&customer.token, Method::POST, &cancel, &json!({}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    app.post_as(&provider.token, &format!("/api/v1/bookings/{id}/start"))
        .await;
    let cancelled = json(
        app.send_json_as(
            &admin.token,
            Method::POST,
            &cancel,
            &json!({"reason": "dispute"}),
        )
        .await,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "dispute");
    let job = json(
        app.get_as(
            &customer.token,
            &format!("/api/v1/jobs/{}", booking["job_id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(job["status"], "cancelled");
    let timeline = json(
        app.get_as(&provider.token, &format!("/api/v1/bookings/{id}/events"))
            .await,
    )
    .await;
    let last = timeline["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["reason"], "dispute");
    assert_eq!(last["actor_id"], admin.id.as_str());

    let (customer2, _, booking2) = app.booking().await;
    let by_customer = app
        .send_json_as(
            &customer2.token,
            Method::POST,
            &format!(
                "/api/v1/bookings/{}/cancel",
                booking2["id"].as_str().unwrap()
            ),
            &json!({"reason": "away"}),
        )
        .await;
    assert_eq!(json(by_customer).await["status"], "cancelled");
}

#[tokio::test]
async fn lists_show_the_callers_bookings_with_a_status_filter() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (customer, provider, first) = app.booking().await;
    let (other_customer, _, _) = app.booking().await;
    app.post_as(
        &provider.token,
        &format!("/api/v1/bookings/{}/start", first["id"].as_str().unwrap()),
    )
    .await;
    let count = |v: serde_json::Value| v["items"].as_array().unwrap().len();
    assert_eq!(
        count(json(app.get_as(&customer.token, "/api/v1/bookings").await).await),
        1
    );
    assert_eq!(
        count(json(app.get_as(&provider.token, "/api/v1/bookings").await).await),
        1
    );
    assert_eq!(
        count(json(app.get_as(&other_customer.token, "/api/v1/bookings").await).await),
        1
    );
    assert_eq!(
        count(json(app.get_as(&admin.token, "/api/v1/bookings").await).await),
        2
    );
    assert_eq!(
        count(
            json(
                app.get_as(&admin.token, "/api/v1/bookings?status=in_progress")
                    .await
            )
            .await
        ),
        1
    );
    assert_eq!(
        count(
            json(
                app.get_as(&customer.token, "/api/v1/bookings?status=confirmed")
                    .await
            )
            .await
        ),
        0
    );
    assert_problem(
        app.get_as(&customer.token, "/api/v1/bookings?status=paused")
            .await,
        422,
        "validation_failed",
    )
    .await;
    let theirs = format!("/api/v1/bookings/{}", first["id"].as_str().unwrap());
    assert_problem(
        app.get_as(&other_customer.token, &theirs).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.get_as(&admin.token, &theirs).await.status(), 200);
    assert_problem(
        app.get_as(&customer.token, "/api/v1/bookings/not-an-id")
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn providers_share_location_while_active_and_customers_follow() {
    let app = TestApp::spawn_with(|s| {
        s.bookings.location_interval_ms = 0;
        s.bookings.location_keep = 3;
        s.bookings.location_trail = 3;
    })
    .await;
    let (customer, provider, booking) = app.booking().await;
    let stranger = TestUser::customer().register(&app).await;
    let id = booking["id"].as_str().unwrap();
    let path = format!("/api/v1/bookings/{id}/location");
    for lat in [38.70, 38.71, 38.72, 38.73, 38.74] {
        let sent = app
            .send_json_as(
                &provider.token,
                Method::POST,
                &path,
                &json!({"lat": lat, "lng": -9.1, "heading": 90.0, "speed": 8.5}),
            )
            .await;
        assert_eq!(sent.status(), 202);
    }
    let track = json(app.get_as(&customer.token, &path).await).await;
    let trail = track["trail"].as_array().unwrap();
    assert_eq!(trail.len(), 3, "only the newest positions are kept");
    assert_eq!(track["latest"]["lat"], 38.74);
    assert_eq!(trail[0]["lat"], 38.72);
    assert_problem(app.get_as(&stranger.token, &path).await, 404, "not_found").await;
    assert_problem(
        app.send_json_as(
            &customer.token,
            Method::POST,
            &path,
            &json!({"lat": 1, "lng": 1}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    for bad in [
        json!({"lat": 91, "lng": 0}),
        json!({"lat": 0, "lng": 200}),
        json!({"lat": 0, "lng": 0, "speed": -1}),
        json!({"lat": 0, "lng": 0, "heading": 400}),
    ] {
        assert_problem(
            app.send_json_as(&provider.token, Method::POST, &path, &bad)
                .await,
            422,
            "validation_failed",
        )
        .await;
    }
    app.post_as(&provider.token, &format!("/api/v1/bookings/{id}/start"))
        .await;
    app.post_as(&provider.token, &format!("/api/v1/bookings/{id}/complete"))
        .await;
    assert_problem(
        app.send_json_as(
            &provider.token,
            Method::POST,
            &path,
            &json!({"lat": 1, "lng": 1}),
        )
        .await,
        409,
        "booking_not_active",
    )
    .await;
}

#[tokio::test]
async fn location_floods_are_refused_with_retry_after() {
    let app = TestApp::spawn().await;
    let (_, provider, booking) = app.booking().await;
    let path = format!(
        "/api/v1/bookings/{}/location",
        booking["id"].as_str().unwrap()
    );
    assert_eq!(
        app.send_json_as(
            &provider.token,
            Method::POST,
            &path,
            &json!({"lat": 1, "lng": 1})
        )
        .await
        .status(),
        202
    );
    let flood = app
        .send_json_as(
            &provider.token,
            Method::POST,
            &path,
            &json!({"lat": 1, "lng": 1}),
        )
        .await;
    assert!(flood.headers().contains_key("retry-after"));
    assert_problem(flood, 429, "rate_limited").await;
}

#[tokio::test]
async fn estimates_use_accepted_offers_once_there_are_enough() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    for price in [10_000, 20_000, 30_000, 40_000, 50_000] {
        let provider = TestUser::provider().register(&app).await;
        let job = app
            .post_job(&customer, &job_body("Paint the wall", "painting", 1.0, 1.0))
            .await;
        let job_id = job["id"].as_str().unwrap();
        let offer = app.offer(&provider, job_id, price).await;
        app.accept(&customer, job_id, offer["id"].as_str().unwrap())
            .await;
    }
    let estimate = json(
        app.send_json_as(
            &customer.token,
            Method::POST,
            "/api/v1/jobs/estimate",
            &json!({"title": "Repaint my living room wall", "description": "One wall, white"}),
        )
        .await,
    )
    .await;
    assert_eq!(estimate["category"], "painting");
    assert_eq!(estimate["source"], "offers");
    assert_eq!(estimate["sample_size"], 5);
    assert_eq!(
        estimate["price_cents"],
        json!({"low": 20_000, "median": 30_000, "high": 40_000})
    );
}

#[tokio::test]
async fn an_accept_that_stops_between_its_two_steps_still_makes_its_booking_once() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let job = app
        .post_job(&customer, &job_body("Half accepted", "cleaning", 1.0, 1.0))
        .await;
    let job_id = job["id"].as_str().unwrap().to_owned();
    let offer = app.offer(&provider, &job_id, 4200).await;
    let offer_id = offer["id"].as_str().unwrap().to_owned();

    // The crash, injected: the jobs crate's accept command commits (the job
    // booked, `offer.accepted` stored) through a relay no consumer listens
    // to, and the bookings step never runs, as when the process dies
    // between the two.
    let booking_id = BookingId::generate();
    let command = AcceptOffer {
        job_id: JobId::parse(&job_id).unwrap(),
        offer_id: OfferId::parse(&offer_id).unwrap(),
        by: Acceptor::Customer(UserId::parse(&customer.id).unwrap()),
        booking_id: booking_id.clone(),
    };
    let jobs_alone = quickfix_jobs::Offers::new(Relay::new(app.pool().clone()));
    let accepted = jobs_alone.accept(command.clone()).await.unwrap();
    assert_eq!(accepted.booking_id, booking_id);
    let path = format!("/api/v1/bookings/{booking_id}");
    assert_eq!(app.get_as(&customer.token, &path).await.status(), 404);

    // The recovery: the running gateway's sweeper hands the stored event to
    // the bookings crate's consumer, which makes the booking.
    let mut booking = None;
    for _ in 0..100 {
        let response = app.get_as(&customer.token, &path).await;
        if response.status() == 200 {
            booking = Some(json(response).await);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let booking = booking.expect("the booking was made from the stored event");
    assert_eq!(booking["status"], "confirmed");
    assert_eq!(booking["offer_id"], offer_id.as_str());
    assert_eq!(booking["price_cents"], 4200);

    // Converged: one booking, the job booked, a second accept refused.
    let job_now = json(
        app.get_as(&customer.token, &format!("/api/v1/jobs/{job_id}"))
            .await,
    )
    .await;
    assert_eq!(job_now["status"], "booked");
    assert_problem(
        app.post_as(
            &customer.token,
            &format!("/api/v1/jobs/{job_id}/offers/{offer_id}/accept"),
        )
        .await,
        409,
        "job_not_open",
    )
    .await;
    let bookings = json(app.get_as(&customer.token, "/api/v1/bookings").await).await;
    assert_eq!(bookings["items"].as_array().unwrap().len(), 1);
    let timeline = json(app.get_as(&customer.token, &format!("{path}/events")).await).await;
    assert_eq!(timeline["items"].as_array().unwrap().len(), 1);

    // The same command again (a caller that lost the answer) answers the
    // same acceptance and makes nothing new.
    let again = jobs_alone.accept(command).await.unwrap();
    assert_eq!(again.booking_id, booking_id);
}
