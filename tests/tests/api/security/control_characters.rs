//! U+0000 and other C0 controls anywhere in client text are 422 naming the
//! field, on both backends (they were 500s on PostgreSQL).

use quickfix_tests::{TestApp, TestUser, assert_problem, job_body, json};
use reqwest::Method;
use serde_json::json;

fn field_of(problem: &serde_json::Value) -> &str {
    problem["errors"][0]["field"].as_str().unwrap_or_default()
}

/// Asserts a 422 and answers the field it names.
async fn refused_field(response: reqwest::Response) -> String {
    let problem = assert_problem(response, 422, "validation_failed").await;
    field_of(&problem).to_owned()
}

#[tokio::test]
async fn a_nul_in_an_anonymous_query_is_422_naming_the_parameter() {
    let app = TestApp::spawn().await;
    assert_eq!(
        refused_field(app.get("/api/v1/providers?q=%00").await).await,
        "q"
    );
    assert_eq!(
        refused_field(app.get("/api/v1/providers?q=tab%09here").await).await,
        "q"
    );
}

#[tokio::test]
async fn a_cursor_that_decodes_to_a_nul_is_a_cursor_never_issued() {
    use base64::Engine;
    let app = TestApp::spawn().await;
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("c1|0|a\u{0}b");
    assert_problem(
        app.get(&format!("/api/v1/providers?cursor={cursor}")).await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn json_text_with_controls_is_422_naming_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let mut body = job_body("Leaky tap", "plumbing", 38.7, -9.1);
    body["title"] = json!("Leaky\u{0} tap");
    assert_eq!(
        refused_field(
            app.send_json_as(&customer.token, Method::POST, "/api/v1/jobs", &body)
                .await
        )
        .await,
        "title"
    );

    body["title"] = json!("Leaky tap");
    body["location"]["address"] = json!("Rua\u{1b}[31m 1");
    assert_eq!(
        refused_field(
            app.send_json_as(&customer.token, Method::POST, "/api/v1/jobs", &body)
                .await
        )
        .await,
        "location.address"
    );

    let mine = json(app.get_as(&customer.token, "/api/v1/jobs").await).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 0, "nothing stored");

    assert_eq!(
        refused_field(
            app.send_json_as(
                &customer.token,
                Method::PATCH,
                "/api/v1/users/me",
                &json!({"name": "Ana\u{0}"}),
            )
            .await
        )
        .await,
        "name"
    );
    assert_eq!(
        refused_field(app.post_json(
            "/api/v1/auth/register",
            &json!({"email": "x@example.com", "password": "a-good-password", "role": "customer", "name": "line\nfeed"}),
        )
        .await).await,
        "name"
    );
}

#[tokio::test]
async fn multi_line_fields_keep_tabs_and_line_feeds_and_store_crlf_as_lf() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let mut body = job_body("Paint the hall", "painting", 38.7, -9.1);
    body["description"] = json!("two walls\r\n\tand a door");
    let job = app.post_job(&customer, &body).await;
    assert_eq!(job["description"], "two walls\n\tand a door");

    body["description"] = json!("a lone \r is not a line end");
    assert_eq!(
        refused_field(
            app.send_json_as(&customer.token, Method::POST, "/api/v1/jobs", &body)
                .await
        )
        .await,
        "description"
    );
}

/// A raw NUL or other control byte in a part's headers is not HTTP and
/// stays a 400 from the multipart parser; what a header can carry (a tab)
/// and every part body are checked like any other text.
#[tokio::test]
async fn multipart_filenames_and_text_fields_with_controls_are_422() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let conversation = json(
        app.send_json_as(
            &customer.token,
            Method::POST,
            "/api/v1/conversations",
            &json!({"participant_id": provider.id}),
        )
        .await,
    )
    .await;
    let id = conversation["id"].as_str().unwrap();
    let png = quickfix_tests::tiny_png();
    let upload = |filename: &str, body: &str| {
        reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(png.clone())
                    .file_name(filename.to_owned())
                    .mime_str("image/png")
                    .unwrap(),
            )
            .text("body", body.to_owned())
    };
    let path = format!("/api/v1/conversations/{id}/attachments");
    for (filename, body, field) in [
        ("evil\t.png", "fine", "file"),
        ("fine.png", "nul\u{0}", "body"),
    ] {
        let response = app
            .request(Method::POST, &path)
            .bearer_auth(&customer.token)
            .multipart(upload(filename, body))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(field_of(&problem), field);
    }
    let response = app
        .request(Method::PUT, "/api/v1/users/me/avatar")
        .bearer_auth(&customer.token)
        .multipart(upload("a\t.png", ""))
        .send()
        .await
        .unwrap();
    assert_problem(response, 422, "validation_failed").await;
}
