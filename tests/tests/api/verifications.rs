//! Provider verification documents: submitted privately, downloadable by
//! the provider and admins only, approved or rejected from the admin queue
//! (in the modlog), shown on the profile as `verification`.

use quickfix_tests::{Session, TestApp, TestUser, assert_problem, json, tiny_png};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

fn part(bytes: &[u8], name: &str) -> Part {
    Part::bytes(bytes.to_vec()).file_name(name.to_owned())
}

async fn submit(app: &TestApp, who: &Session, parts: Vec<Part>) -> reqwest::Response {
    let form = parts
        .into_iter()
        .fold(Form::new(), |form, part| form.part("files", part));
    app.request(reqwest::Method::POST, "/api/v1/providers/me/verification")
        .bearer_auth(&who.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn decide(
    app: &TestApp,
    admin: &Session,
    id: &str,
    action: &str,
    body: Value,
) -> reqwest::Response {
    app.send_json_as(
        &admin.token,
        reqwest::Method::POST,
        &format!("/api/v1/admin/verifications/{id}/{action}"),
        &body,
    )
    .await
}

async fn shown(app: &TestApp, provider: &Session) -> Value {
    json(app.get(&format!("/api/v1/providers/{}", provider.id)).await).await["verification"].clone()
}

#[tokio::test]
async fn a_submission_is_private_and_an_admin_rejects_then_approves_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let provider = TestUser::provider().register(&app).await;
    let rival = TestUser::provider().register(&app).await;
    let customer = TestUser::customer().register(&app).await;
    assert_eq!(shown(&app, &provider).await, "none");

    let submitted = submit(
        &app,
        &provider,
        vec![part(&tiny_png(), "licence.png"), part(PDF, "insurance.pdf")],
    )
    .await;
    assert_eq!(submitted.status(), 201);
    let submitted = json(submitted).await;
    assert_eq!(submitted["status"], "pending");
    assert_eq!(submitted["provider_id"], provider.id.as_str());
    let files = submitted["files"].as_array().unwrap().clone();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["content_type"], "image/png");
    assert_eq!(files[0]["filename"], "licence.png");
    assert_eq!(files[1]["content_type"], "application/pdf");
    assert_eq!(files[1]["size"], PDF.len());
    assert!(submitted["reason"].is_null() && submitted["decided_at"].is_null());
    assert_eq!(shown(&app, &provider).await, "pending");
    let mine = json(
        app.get_as(&provider.token, "/api/v1/providers/me/verification")
            .await,
    )
    .await;
    assert_eq!(mine["id"], submitted["id"]);

    let id = submitted["id"].as_str().unwrap().to_owned();
    let file = format!(
        "/api/v1/verifications/{id}/files/{}",
        files[1]["id"].as_str().unwrap()
    );
    for owner in [&provider, &admin] {
        let download = app.get_as(&owner.token, &file).await;
        assert_eq!(download.status(), 200);
        assert_eq!(download.headers()["content-type"], "application/pdf");
        assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);
    }
    for stranger in [&rival, &customer] {
        assert_problem(app.get_as(&stranger.token, &file).await, 404, "not_found").await;
    }
    assert_problem(
        submit(&app, &provider, vec![part(PDF, "again.pdf")]).await,
        409,
        "conflict",
    )
    .await;

    let queue = json(
        app.get_as(&admin.token, "/api/v1/admin/verifications?status=pending")
            .await,
    )
    .await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    assert_eq!(queue["items"][0]["files"].as_array().unwrap().len(), 2);
    let rejected = decide(
        &app,
        &admin,
        &id,
        "reject",
        json!({"reason": "  Unreadable scan.  "}),
    )
    .await;
    assert_eq!(rejected.status(), 200);
    let rejected = json(rejected).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reason"], "Unreadable scan.");
    assert!(rejected["decided_at"].is_string());
    assert_eq!(shown(&app, &provider).await, "rejected");
    assert_problem(
        decide(&app, &admin, &id, "approve", json!({})).await,
        409,
        "conflict",
    )
    .await;

    let again = json(submit(&app, &provider, vec![part(PDF, "sharper.pdf")]).await).await;
    let again_id = again["id"].as_str().unwrap();
    let approved = json(decide(&app, &admin, again_id, "approve", json!({})).await).await;
    assert_eq!(approved["status"], "approved");
    let profile = json(app.get(&format!("/api/v1/providers/{}", provider.id)).await).await;
    assert_eq!(
        (profile["verified"].clone(), profile["verification"].clone()),
        (json!(true), json!("verified"))
    );

    let log = json(app.get_as(&admin.token, "/api/v1/admin/modlog").await).await;
    let actions: Vec<(&str, &str)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["target"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("approve_verification", again_id),
            ("reject_verification", id.as_str())
        ]
    );
}

#[tokio::test]
async fn submissions_refuse_customers_wrong_files_and_too_much() {
    let app = TestApp::spawn_with(|s| s.server.upload_limit_bytes = 4096).await;
    let admin = app.admin().await;
    let provider = TestUser::provider().register(&app).await;
    let customer = TestUser::customer().register(&app).await;
    assert_problem(
        submit(&app, &customer, vec![part(PDF, "x.pdf")]).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        submit(&app, &provider, vec![]).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        submit(&app, &provider, vec![part(b"just some words", "notes.txt")]).await,
        422,
        "validation_failed",
    )
    .await;
    let six = (0..6).map(|n| part(PDF, &format!("{n}.pdf"))).collect();
    assert_problem(submit(&app, &provider, six).await, 422, "validation_failed").await;
    let big = [PDF, &vec![b' '; 5000]].concat();
    assert_problem(
        submit(&app, &provider, vec![part(&big, "big.pdf")]).await,
        413,
        "payload_too_large",
    )
    .await;
    assert_problem(
        app.get_as(&provider.token, "/api/v1/providers/me/verification")
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get_as(&provider.token, "/api/v1/admin/verifications")
            .await,
        403,
        "forbidden",
    )
    .await;
    let unknown = "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10";
    assert_problem(
        decide(&app, &admin, unknown, "approve", json!({})).await,
        404,
        "not_found",
    )
    .await;
    let submitted = json(submit(&app, &provider, vec![part(PDF, "ok.pdf")]).await).await;
    let id = submitted["id"].as_str().unwrap();
    for bad in [json!({}), json!({"reason": ""})] {
        assert_problem(
            decide(&app, &admin, id, "reject", bad).await,
            422,
            "validation_failed",
        )
        .await;
    }
    assert_problem(
        app.get_as(&admin.token, "/api/v1/admin/verifications?status=lost")
            .await,
        422,
        "validation_failed",
    )
    .await;
}
