//! Broken function level authorization: every operation under
//! `/api/v1/admin` in the served document answers 403 to a customer and a
//! provider, and 401 without a token, whatever its path parameters and
//! body.

use quickfix_tests::{TestApp, TestUser, json};
use reqwest::Method;

#[tokio::test]
async fn every_admin_operation_refuses_other_roles_and_anonymous_callers() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    let document = json(app.get("/api-docs/openapi.json").await).await;
    let mut checked = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/admin") {
            continue;
        }
        let concrete = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "0193f0d4-6f1e-7c3a-9a55-3f3b4c1d2e10"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for verb in operations.as_object().unwrap().keys() {
            let method = Method::from_bytes(verb.to_uppercase().as_bytes()).unwrap();
            for user in [&customer, &provider] {
                let answer = app
                    .request(method.clone(), &concrete)
                    .bearer_auth(&user.token)
                    .json(&serde_json::json!({}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status(), 403, "{verb} {path}");
            }
            let anonymous = app
                .request(method.clone(), &concrete)
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(anonymous.status(), 401, "{verb} {path} without a token");
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} admin operations found");
}
