//! The server acts on the account's role, never the token's claim.

use quickfix_shared::auth::Role;
use quickfix_shared::ids::UserId;
use quickfix_tests::{TestApp, TestUser, assert_problem};

#[tokio::test]
async fn a_token_claiming_another_role_than_the_accounts_is_401() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let keys = app.settings.auth.jwt_keys();
    let claims = keys.verify(&customer.token).unwrap();
    let id = UserId::parse(&customer.id).unwrap();
    let forged = keys.issue(&id, Role::Admin, &claims.sid).unwrap();
    assert_problem(
        app.get_as(&forged, "/api/v1/admin/users").await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get_as(&forged, "/api/v1/auth/me").await,
        401,
        "unauthorized",
    )
    .await;
    let honest = app.get_as(&customer.token, "/api/v1/admin/users").await;
    assert_problem(honest, 403, "forbidden").await;
}

#[tokio::test]
async fn the_gateway_will_not_listen_beyond_loopback_with_the_development_secret() {
    let db = quickfix_shared::testing::TestDatabase::new(quickfix_gateway::app::MIGRATIONS);
    let uploads = tempfile::tempdir().unwrap();
    let mut settings =
        quickfix_tests::test_settings(db.url(), &uploads.path().display().to_string());
    settings.server.host = "0.0.0.0".into();
    assert!(settings.check().is_err());
    assert!(
        quickfix_gateway::Application::build(settings)
            .await
            .is_err(),
        "the server refuses to start"
    );
}

#[tokio::test]
async fn seed_refuses_to_run_in_production() {
    let app = TestApp::spawn().await;
    let mut settings = app.settings.clone();
    settings.app.env = quickfix_gateway::settings::AppEnv::Production;
    let refused = quickfix_gateway::seed::seed(app.pool(), &settings).await;
    assert!(refused.is_err());
    let users = quickfix_tests::json(app.get("/api/v1/providers").await).await;
    assert_eq!(
        users["items"].as_array().unwrap().len(),
        0,
        "nothing seeded"
    );
}
