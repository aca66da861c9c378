//! Reports: anyone reports what they can see (else 404), once while open;
//! admins see a snapshot of the target as it was, and resolve (none, hide,
//! suspend the author) or dismiss, each in the modlog.

use quickfix_tests::{Session, TestApp, TestUser, assert_problem, job_body, json};
use reqwest::Method;
use serde_json::{Value, json};

use crate::messaging::{send, start};

async fn report(app: &TestApp, who: &Session, kind: &str, id: &str) -> reqwest::Response {
    app.send_json_as(
        &who.token,
        Method::POST,
        "/api/v1/reports",
        &json!({"target": {"kind": kind, "id": id}, "reason": "abuse", "note": "Rude."}),
    )
    .await
}

async fn close(
    app: &TestApp,
    admin: &Session,
    id: &str,
    verb: &str,
    body: Value,
) -> reqwest::Response {
    app.send_json_as(
        &admin.token,
        Method::POST,
        &format!("/api/v1/admin/reports/{id}/{verb}"),
        &body,
    )
    .await
}

/// A job of `customer` with an offer of `provider`, and a message of the
/// provider to the customer: `(job, offer, message)` ids.
async fn marketplace(
    app: &TestApp,
    customer: &Session,
    provider: &Session,
) -> (String, String, String) {
    let job = app
        .post_job(customer, &job_body("Fix the roof", "plumbing", 38.7, -9.1))
        .await;
    let job_id = job["id"].as_str().unwrap().to_owned();
    let offer = app.offer(provider, &job_id, 20_000).await;
    let conversation = start(app, provider, customer).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let message = send(app, provider, &conversation, "Pay me in cash, off the app").await;
    (
        job_id,
        offer["id"].as_str().unwrap().to_owned(),
        message["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_report_needs_sight_of_its_target_and_is_made_once_while_open() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let stranger = TestUser::customer().register(&app).await;
    let (job, offer, message) = marketplace(&app, &customer, &provider).await;

    assert_problem(
        report(&app, &stranger, "offer", &offer).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        report(&app, &stranger, "message", &message).await,
        404,
        "not_found",
    )
    .await;
    let unknown = "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10";
    for kind in ["user", "job", "offer", "message", "rating"] {
        assert_problem(
            report(&app, &customer, kind, unknown).await,
            404,
            "not_found",
        )
        .await;
    }
    assert_eq!(report(&app, &stranger, "job", &job).await.status(), 201);
    assert_eq!(
        report(&app, &stranger, "user", &provider.id).await.status(),
        201
    );

    let first = report(&app, &customer, "offer", &offer).await;
    assert_eq!(first.status(), 201);
    let first = json(first).await;
    assert_eq!(first["status"], "open");
    assert_eq!(first["target"], json!({"kind": "offer", "id": offer}));
    assert_eq!(
        (first["reason"].clone(), first["note"].clone()),
        (json!("abuse"), json!("Rude."))
    );
    assert!(first.get("snapshot").is_none() && first.get("reporter_id").is_none());
    let again = report(&app, &customer, "offer", &offer).await;
    assert_eq!(again.status(), 200);
    assert_eq!(json(again).await["id"], first["id"]);
    assert_eq!(
        report(&app, &customer, "message", &message).await.status(),
        201
    );

    for bad in [
        json!({"target": {"kind": "planet", "id": offer}, "reason": "spam"}),
        json!({"target": {"kind": "offer", "id": offer}, "reason": "boring"}),
        json!({"target": {"kind": "offer", "id": offer}, "reason": "spam", "note": ""}),
        json!({"reason": "spam"}),
    ] {
        let response = app
            .send_json_as(&customer.token, Method::POST, "/api/v1/reports", &bad)
            .await;
        assert_problem(response, 422, "validation_failed").await;
    }
    assert_problem(
        app.get_as(&customer.token, "/api/v1/admin/reports").await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn admins_act_on_reports_with_the_evidence_as_it_was() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let other = TestUser::provider().register(&app).await;
    let (job, _, message) = marketplace(&app, &customer, &provider).await;

    let about_job = json(report(&app, &other, "job", &job).await).await;
    let edited = app
        .send_json_as(
            &customer.token,
            Method::PATCH,
            &format!("/api/v1/jobs/{job}"),
            &json!({"title": "Something else entirely"}),
        )
        .await;
    assert_eq!(edited.status(), 200);
    let about_message = json(report(&app, &customer, "message", &message).await).await;
    let about_user = json(report(&app, &customer, "user", &other.id).await).await;

    let queue = json(
        app.get_as(&admin.token, "/api/v1/admin/reports?status=open&kind=job")
            .await,
    )
    .await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    let listed = &queue["items"][0];
    assert_eq!(
        listed["snapshot"]["title"], "Fix the roof",
        "the evidence as reported"
    );
    assert_eq!(listed["reporter_id"], other.id.as_str());
    assert_eq!(listed["target_author_id"], customer.id.as_str());
    assert!(listed["resolution"].is_null());

    let hidden = close(
        &app,
        &admin,
        about_job["id"].as_str().unwrap(),
        "resolve",
        json!({"action": "hide", "note": "Misleading listing."}),
    )
    .await;
    assert_eq!(hidden.status(), 200);
    let hidden = json(hidden).await;
    assert_eq!(hidden["status"], "resolved");
    assert_eq!(hidden["resolution"]["action"], "hide");
    assert_eq!(hidden["resolution"]["admin_id"], admin.id.as_str());
    assert_problem(
        app.get_as(&other.token, &format!("/api/v1/jobs/{job}"))
            .await,
        404,
        "not_found",
    )
    .await;
    let own = json(
        app.get_as(&customer.token, &format!("/api/v1/jobs/{job}"))
            .await,
    )
    .await;
    assert_eq!(own["hidden"], true);
    let open_jobs = json(app.get_as(&other.token, "/api/v1/jobs?limit=100").await).await;
    assert!(
        !open_jobs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == job.as_str()),
        "a hidden job leaves every list"
    );

    let suspended = close(
        &app,
        &admin,
        about_message["id"].as_str().unwrap(),
        "resolve",
        json!({"action": "suspend_user", "note": "Off-platform payment."}),
    )
    .await;
    assert_eq!(suspended.status(), 200);
    assert_problem(
        app.get_as(&provider.token, "/api/v1/auth/me").await,
        401,
        "unauthorized",
    )
    .await;

    let dismissed = close(
        &app,
        &admin,
        about_user["id"].as_str().unwrap(),
        "dismiss",
        json!({"note": "Nothing against the rules."}),
    )
    .await;
    assert_eq!(json(dismissed).await["status"], "dismissed");
    for (verb, body) in [
        ("resolve", json!({"action": "none", "note": "again"})),
        ("dismiss", json!({"note": "again"})),
    ] {
        assert_problem(
            close(&app, &admin, about_user["id"].as_str().unwrap(), verb, body).await,
            409,
            "report_closed",
        )
        .await;
    }
    assert_problem(
        close(
            &app,
            &admin,
            "no-such-report",
            "dismiss",
            json!({"note": "x"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        close(
            &app,
            &admin,
            about_user["id"].as_str().unwrap(),
            "resolve",
            json!({"action": "ban", "note": "x"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    let log = json(app.get_as(&admin.token, "/api/v1/admin/modlog").await).await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "dismiss_report",
            "suspend_user",
            "resolve_report",
            "resolve_report",
            "hide_content"
        ]
    );
}

#[tokio::test]
async fn a_hidden_rating_leaves_the_lists_and_the_aggregate() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (customer, provider, booking) = app.completed_booking().await;
    let id = booking["id"].as_str().unwrap();
    let mut ratings = Vec::new();
    for (who, stars) in [(&customer, 1), (&provider, 5)] {
        let rated = app
            .send_json_as(
                &who.token,
                Method::POST,
                &format!("/api/v1/bookings/{id}/ratings"),
                &json!({"stars": stars, "comment": "insulting words"}),
            )
            .await;
        ratings.push(json(rated).await["id"].as_str().unwrap().to_owned());
    }
    let filed = json(report(&app, &provider, "rating", &ratings[0]).await).await;
    let resolved = close(
        &app,
        &admin,
        filed["id"].as_str().unwrap(),
        "resolve",
        json!({"action": "hide", "note": "Insults."}),
    )
    .await;
    assert_eq!(resolved.status(), 200);
    let page = app
        .wait_until(
            &customer,
            &format!("/api/v1/users/{}/ratings", provider.id),
            |p| p["items"].as_array().unwrap().is_empty(),
        )
        .await;
    assert_eq!(page["summary"]["count"], 0);
    let profile = app
        .wait_until(&customer, &format!("/api/v1/users/{}", provider.id), |p| {
            p["rating_count"] == 0
        })
        .await;
    assert!(profile["rating_avg"].is_null());
    let of_booking = json(
        app.get_as(&provider.token, &format!("/api/v1/bookings/{id}/ratings"))
            .await,
    )
    .await;
    let left: Vec<&str> = of_booking["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(left, [ratings[1].as_str()], "the other rating stays");
}

#[tokio::test]
async fn a_hidden_message_keeps_its_place_without_its_text_everywhere() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let conversation = start(&app, &provider, &customer).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bad = send(&app, &provider, &conversation, "Send me your card number").await;
    send(&app, &provider, &conversation, "Or not.").await;
    let bad_id = bad["id"].as_str().unwrap();
    let filed = json(report(&app, &customer, "message", bad_id).await).await;
    let resolved = close(
        &app,
        &admin,
        filed["id"].as_str().unwrap(),
        "resolve",
        json!({"action": "hide", "note": "Phishing."}),
    )
    .await;
    assert_eq!(resolved.status(), 200);

    for reader in [&customer, &provider] {
        let page = json(
            app.get_as(
                &reader.token,
                &format!("/api/v1/conversations/{conversation}/messages"),
            )
            .await,
        )
        .await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "it keeps its place");
        let hidden = items.iter().find(|m| m["id"] == bad_id).unwrap();
        assert_eq!(
            (hidden["body"].clone(), hidden["hidden"].clone()),
            (Value::Null, json!(true))
        );
        let kept = items.iter().find(|m| m["id"] != bad_id).unwrap();
        assert_eq!(
            (kept["body"].clone(), kept["hidden"].clone()),
            (json!("Or not."), json!(false))
        );
    }
    let inbox = app
        .wait_until(&customer, "/api/v1/notifications", |page| {
            page["items"].as_array().unwrap().len() >= 2
        })
        .await;
    let note = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["payload"]["message"]["id"] == bad_id)
        .unwrap();
    assert!(note["payload"]["message"]["body"].is_null());
    assert_eq!(note["payload"]["message"]["hidden"], true);
}
