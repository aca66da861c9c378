//! `quickfix seed`: a living demo marketplace, made twice without harm.

use quickfix_gateway::seed::{self, ADMIN_EMAIL, DEMO_PASSWORD};
use quickfix_tests::{TestApp, json, stored};
use serde_json::json;

#[tokio::test]
async fn seeding_twice_makes_one_living_marketplace() {
    let app = TestApp::spawn().await;
    let first = seed::seed(app.pool(), &app.settings).await.unwrap();
    assert!(!first.already_seeded);
    assert_eq!((first.customers, first.providers, first.jobs), (24, 30, 48));
    assert!(first.bookings > 10 && first.ratings > 5);
    let second = seed::seed(app.pool(), &app.settings).await.unwrap();
    assert!(second.already_seeded);

    let admin = app.login(ADMIN_EMAIL, DEMO_PASSWORD, "").await;
    let stats = json(app.get_as(&admin.token, "/api/v1/admin/stats").await).await;
    assert_eq!(
        stats["users"],
        json!({"admin": 1, "customer": 24, "provider": 30})
    );
    let suspended = json(
        app.get_as(&admin.token, "/api/v1/admin/users?is_active=false")
            .await,
    )
    .await;
    assert_eq!(suspended["items"].as_array().unwrap().len(), 1);
    assert!(suspended["items"][0]["suspended_until"].is_string());
    let log = json(
        app.get_as(&admin.token, "/api/v1/admin/modlog?limit=100")
            .await,
    )
    .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"suspend_user") && actions.contains(&"resolve_dispute"));
    for state in ["open", "resolved", "dismissed"] {
        let reports = json(
            app.get_as(
                &admin.token,
                &format!("/api/v1/admin/reports?status={state}"),
            )
            .await,
        )
        .await;
        assert_eq!(
            reports["items"].as_array().unwrap().len(),
            1,
            "{state} reports"
        );
    }
    let queue = json(
        app.get_as(&admin.token, "/api/v1/admin/verifications?status=pending")
            .await,
    )
    .await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    for state in ["open", "booked", "completed", "cancelled"] {
        assert!(
            stats["jobs"][state].as_i64().unwrap() > 0,
            "no {state} jobs: {stats}"
        );
    }
    for state in [
        "pending",
        "countered",
        "accepted",
        "rejected",
        "withdrawn",
        "expired",
    ] {
        let offers = stored::count(
            app.pool(),
            "SELECT COUNT(*) AS n FROM offers WHERE status = $1",
            state,
        )
        .await;
        assert!(offers > 0, "no {state} offers");
    }
    for state in [
        "confirmed",
        "in_progress",
        "completed",
        "cancelled",
        "disputed",
    ] {
        assert!(
            stats["bookings"][state].as_i64().unwrap() > 0,
            "no {state} bookings: {stats}"
        );
    }
    assert!(stats["average_rating"].as_f64().unwrap() >= 3.0);

    for (_, email) in &first.logins {
        app.login(email, DEMO_PASSWORD, "").await;
    }
    let providers = json(
        app.get("/api/v1/providers?near=38.72,-9.14&radius_km=30")
            .await,
    )
    .await;
    assert!(!providers["items"].as_array().unwrap().is_empty());
    let rated = json(app.get("/api/v1/providers?min_rating=1&limit=100").await).await;
    assert!(
        !rated["items"].as_array().unwrap().is_empty(),
        "revealed ratings reach the directory"
    );
}
