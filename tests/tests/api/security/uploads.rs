//! Multipart bodies are bounded in every part, not only in the file.

use quickfix_tests::{TestApp, TestUser, assert_problem};
use reqwest::Method;

#[tokio::test]
async fn an_avatar_upload_with_a_huge_non_file_field_is_413() {
    let app = TestApp::spawn().await;
    let user = TestUser::customer().register(&app).await;
    let form = reqwest::multipart::Form::new()
        .text("padding", "x".repeat(64 * 1024))
        .part(
            "file",
            reqwest::multipart::Part::bytes(quickfix_tests::tiny_png())
                .file_name("a.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let response = app
        .request(Method::PUT, "/api/v1/users/me/avatar")
        .bearer_auth(&user.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_problem(response, 413, "payload_too_large").await;
}
