//! Profiles, avatars, public views, the provider directory, catalogs,
//! favourites and the admin user routes.

use quickfix_tests::{Session, TestApp, TestUser, assert_problem, json};
use reqwest::Method;
use serde_json::json;

async fn patch_me(app: &TestApp, user: &Session, body: serde_json::Value) -> reqwest::Response {
    app.send_json_as(&user.token, Method::PATCH, "/api/v1/users/me", &body)
        .await
}

async fn provider_at(app: &TestApp, name: &str, body: serde_json::Value) -> Session {
    let provider = TestUser::provider().named(name).register(app).await;
    let response = patch_me(app, &provider, body).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    provider
}

#[tokio::test]
async fn customers_update_their_profile_fields_and_the_providers_are_ignored() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let updated = patch_me(
        &app,
        &customer,
        json!({"name": "Ana Maria", "address": "Rua 1, Lisboa", "phone": "+351 1"}),
    )
    .await;
    assert_eq!(updated.status(), 200);
    let body = json(updated).await;
    assert_eq!(body["profile"]["name"], "Ana Maria");
    assert_eq!(body["profile"]["address"], "Rua 1, Lisboa");
    let cleared = json(patch_me(&app, &customer, json!({"address": null})).await).await;
    assert!(cleared["profile"]["address"].is_null());
    assert_eq!(
        cleared["profile"]["name"], "Ana Maria",
        "absent fields stay"
    );
    let provider_field = patch_me(&app, &customer, json!({"category": "plumbing"})).await;
    assert_eq!(
        provider_field.status(),
        200,
        "a provider's field is ignored"
    );
    assert!(
        json(provider_field).await["profile"]
            .get("category")
            .is_none()
    );
    assert_problem(
        patch_me(&app, &customer, json!({"category": "Not A Slug"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        patch_me(&app, &customer, json!({"name": ""})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        patch_me(&app, &customer, json!({"name": 5})).await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn providers_set_category_rate_and_location_within_range() {
    let app = TestApp::spawn().await;
    let provider = TestUser::provider().register(&app).await;
    let body = json(
        patch_me(&app, &provider, json!({"category": "plumbing", "hourly_rate_cents": 4500, "location": {"lat": 38.7, "lng": -9.1}, "description": "Leaks fixed"}))
            .await,
    )
    .await;
    assert_eq!(body["profile"]["category"], "plumbing");
    assert_eq!(
        body["profile"]["location"],
        json!({"lat": 38.7, "lng": -9.1})
    );
    let bad = patch_me(
        &app,
        &provider,
        json!({"location": {"lat": 91, "lng": 0}, "hourly_rate_cents": -5}),
    )
    .await;
    let problem = assert_problem(bad, 422, "validation_failed").await;
    let fields: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"location.lat") && fields.contains(&"hourly_rate_cents"),
        "{fields:?}"
    );
    let ignored = patch_me(&app, &provider, json!({"address": "x", "name": "Rui"})).await;
    assert_eq!(ignored.status(), 200, "another role's field is ignored");
    let ignored = json(ignored).await;
    assert_eq!(ignored["profile"]["name"], "Rui");
    assert!(ignored["profile"].get("address").is_none());
    assert_problem(
        patch_me(&app, &provider, json!({"phone": " 123 "})).await,
        422,
        "validation_failed",
    )
    .await;
}

const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

async fn upload(
    app: &TestApp,
    user: &Session,
    bytes: Vec<u8>,
    filename: &str,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(filename.to_owned())
        .mime_str("image/png")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    app.request(Method::PUT, "/api/v1/users/me/avatar")
        .bearer_auth(&user.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn avatars_are_sniffed_capped_and_served() {
    let app = TestApp::spawn().await;
    let user = TestUser::customer().register(&app).await;
    let response = upload(&app, &user, PNG.to_vec(), "../../etc/passwd").await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    let url = body["profile"]["avatar_url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with("/api/v1/avatars/") && url.ends_with(".png"),
        "{url}"
    );
    let image = app.get(&url).await;
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/png");
    assert_eq!(image.bytes().await.unwrap().as_ref(), PNG);

    let replaced = json(upload(&app, &user, PNG.to_vec(), "again.png").await).await;
    assert_ne!(replaced["profile"]["avatar_url"], url.as_str());
    assert_eq!(
        app.get(&url).await.status(),
        404,
        "the old avatar is deleted"
    );

    let text = upload(
        &app,
        &user,
        b"<?php echo 'not an image'; ?>".to_vec(),
        "evil.png",
    )
    .await;
    assert_problem(text, 422, "validation_failed").await;
    let mut big = PNG.to_vec();
    big.resize(2 * 1024 * 1024 + 1, 0);
    assert_problem(
        upload(&app, &user, big, "big.png").await,
        413,
        "payload_too_large",
    )
    .await;
    assert_problem(
        app.get("/api/v1/avatars/..%2Fsecret").await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_public_user_view_hides_email_and_phone() {
    let app = TestApp::spawn().await;
    let viewer = TestUser::customer().register(&app).await;
    let other = TestUser::provider().named("Rui").register(&app).await;
    let body = json(
        app.get_as(&viewer.token, &format!("/api/v1/users/{}", other.id))
            .await,
    )
    .await;
    assert_eq!(body["name"], "Rui");
    assert_eq!(body["role"], "provider");
    assert!(body.get("email").is_none() && body.get("phone").is_none());
    assert_problem(
        app.get_as(&viewer.token, "/api/v1/users/not-a-uuid").await,
        404,
        "not_found",
    )
    .await;
    let unknown = format!("/api/v1/users/{}", uuid::Uuid::now_v7());
    assert_problem(app.get_as(&viewer.token, &unknown).await, 404, "not_found").await;
    assert_problem(
        app.get(&format!("/api/v1/users/{}", other.id)).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn the_directory_filters_by_category_text_flags_and_distance() {
    let app = TestApp::spawn().await;
    let lisbon = provider_at(&app, "Lisbon Plumber", json!({"category": "plumbing", "location": {"lat": 38.72, "lng": -9.14}, "description": "Fast LEAK repair"})).await;
    let _porto = provider_at(&app, "Porto Plumber", json!({"category": "plumbing", "location": {"lat": 41.15, "lng": -8.61}, "is_available": false})).await;
    let fiji_east = provider_at(
        &app,
        "Suva East",
        json!({"category": "electrical", "location": {"lat": -17.7, "lng": 179.95}}),
    )
    .await;
    let fiji_west = provider_at(
        &app,
        "Suva West",
        json!({"category": "electrical", "location": {"lat": -17.7, "lng": -179.95}}),
    )
    .await;
    TestUser::customer().register(&app).await;

    let names = |body: serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = json(app.get("/api/v1/providers").await).await;
    assert_eq!(names(all.clone()).len(), 4, "customers are not providers");
    assert!(all["items"][0].get("phone").is_none());
    assert_eq!(
        names(json(app.get("/api/v1/providers?category=plumbing").await).await).len(),
        2
    );
    assert_eq!(
        names(json(app.get("/api/v1/providers?q=leak").await).await),
        vec!["Lisbon Plumber"]
    );
    assert_eq!(
        names(
            json(
                app.get("/api/v1/providers?category=plumbing&available=true")
                    .await
            )
            .await
        ),
        vec!["Lisbon Plumber"]
    );
    assert!(names(json(app.get("/api/v1/providers?verified=true").await).await).is_empty());

    let near = json(
        app.get("/api/v1/providers?near=38.7,-9.1&radius_km=50")
            .await,
    )
    .await;
    assert_eq!(names(near.clone()), vec!["Lisbon Plumber"]);
    assert!(near["items"][0]["distance_km"].as_f64().unwrap() < 10.0);
    assert_eq!(near["items"][0]["id"], lisbon.id.as_str());
    let across = names(
        json(
            app.get("/api/v1/providers?near=-17.7,179.99&radius_km=20")
                .await,
        )
        .await,
    );
    assert_eq!(
        across.len(),
        2,
        "both sides of the antimeridian: {across:?}"
    );
    let _ = (fiji_east, fiji_west);

    for bad in [
        "near=91,0",
        "near=abc",
        "near=1,1&radius_km=0",
        "min_rating=6",
        "limit=0",
        "limit=101",
        "category=Bad%20Slug",
    ] {
        assert_problem(
            app.get(&format!("/api/v1/providers?{bad}")).await,
            422,
            "validation_failed",
        )
        .await;
    }
    assert_problem(
        app.get("/api/v1/providers?cursor=forged").await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get("/api/v1/providers?available=maybe").await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn directory_pages_neither_skip_nor_repeat() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        provider_at(&app, &format!("P{i}"), json!({"category": "cleaning"})).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/providers?limit=2".to_owned();
    loop {
        let page = json(app.get(&path).await).await;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/providers?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, vec!["P4", "P3", "P2", "P1", "P0"]);
}

#[tokio::test]
async fn providers_manage_their_own_catalog() {
    let app = TestApp::spawn().await;
    let provider = TestUser::provider().register(&app).await;
    let other = TestUser::provider().register(&app).await;
    let customer = TestUser::customer().register(&app).await;
    let service = json!({"title": "Leak repair", "description": "Any leak", "category": "plumbing", "price_cents": 4500, "unit": "job"});
    let created = app
        .send_json_as(
            &provider.token,
            Method::POST,
            "/api/v1/providers/me/services",
            &service,
        )
        .await;
    assert_eq!(created.status(), 201);
    let created = json(created).await;
    assert_eq!(created["currency"], "USD");
    let id = created["id"].as_str().unwrap().to_owned();

    let listed = json(
        app.get(&format!("/api/v1/providers/{}/services", provider.id))
            .await,
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let path = format!("/api/v1/providers/me/services/{id}");
    let changed = json!({"title": "Leak repair", "category": "plumbing", "price_cents": 5000, "unit": "hour"});
    let replaced = json(
        app.send_json_as(&provider.token, Method::PUT, &path, &changed)
            .await,
    )
    .await;
    assert_eq!(replaced["price_cents"], 5000);
    assert_eq!(replaced["unit"], "hour");
    assert_problem(
        app.send_json_as(&other.token, Method::PUT, &path, &changed)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.send_json_as(
            &customer.token,
            Method::POST,
            "/api/v1/providers/me/services",
            &service,
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let bad = json!({"title": "", "category": "plumbing", "price_cents": 0, "unit": "day"});
    assert_problem(
        app.send_json_as(
            &provider.token,
            Method::POST,
            "/api/v1/providers/me/services",
            &bad,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    let other_delete = app
        .request(Method::DELETE, &path)
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap();
    assert_problem(other_delete, 404, "not_found").await;
    let deleted = app
        .request(Method::DELETE, &path)
        .bearer_auth(&provider.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_problem(
        app.get(&format!("/api/v1/providers/{}/services", customer.id))
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn favourites_are_idempotent_and_customers_only() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().named("Fav").register(&app).await;
    let add = json!({"provider_id": provider.id});
    for _ in 0..2 {
        let added = app
            .send_json_as(
                &customer.token,
                Method::POST,
                "/api/v1/users/me/favorites",
                &add,
            )
            .await;
        assert_eq!(added.status(), 204);
    }
    let list = json(
        app.get_as(&customer.token, "/api/v1/users/me/favorites")
            .await,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["name"], "Fav");
    let unknown = json!({"provider_id": uuid::Uuid::now_v7().to_string()});
    assert_problem(
        app.send_json_as(
            &customer.token,
            Method::POST,
            "/api/v1/users/me/favorites",
            &unknown,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let not_provider = json!({"provider_id": customer.id});
    assert_problem(
        app.send_json_as(
            &customer.token,
            Method::POST,
            "/api/v1/users/me/favorites",
            &not_provider,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get_as(&provider.token, "/api/v1/users/me/favorites")
            .await,
        403,
        "forbidden",
    )
    .await;
    for _ in 0..2 {
        let removed = app
            .request(
                Method::DELETE,
                &format!("/api/v1/users/me/favorites/{}", provider.id),
            )
            .bearer_auth(&customer.token)
            .send()
            .await
            .unwrap();
        assert_eq!(removed.status(), 204);
    }
    let list = json(
        app.get_as(&customer.token, "/api/v1/users/me/favorites")
            .await,
    )
    .await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn admins_list_deactivate_and_verify_and_others_get_403() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let customer = TestUser::customer().named("Zed").register(&app).await;
    let provider = TestUser::provider().register(&app).await;

    for path in ["/api/v1/admin/users"] {
        assert_problem(app.get_as(&customer.token, path).await, 403, "forbidden").await;
        assert_problem(app.get(path).await, 401, "unauthorized").await;
    }
    let all = json(app.get_as(&admin.token, "/api/v1/admin/users").await).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    assert!(all["items"][0]["email"].is_string(), "admins see emails");
    let providers = json(
        app.get_as(&admin.token, "/api/v1/admin/users?role=provider")
            .await,
    )
    .await;
    assert_eq!(providers["items"].as_array().unwrap().len(), 1);
    let zed = json(app.get_as(&admin.token, "/api/v1/admin/users?q=ZED").await).await;
    assert_eq!(zed["items"][0]["id"], customer.id.as_str());
    assert_problem(
        app.get_as(&admin.token, "/api/v1/admin/users?role=root")
            .await,
        422,
        "validation_failed",
    )
    .await;

    let path = format!("/api/v1/admin/users/{}", customer.id);
    let off = app
        .send_json_as(
            &admin.token,
            Method::PATCH,
            &path,
            &json!({"is_active": false}),
        )
        .await;
    assert_eq!(json(off).await["is_active"], false);
    assert_problem(
        app.get_as(&customer.token, "/api/v1/auth/me").await,
        401,
        "unauthorized",
    )
    .await;
    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": customer.email, "password": customer.password}),
        )
        .await;
    assert_problem(login, 401, "invalid_credentials").await;
    let inactive = json(
        app.get_as(&admin.token, "/api/v1/admin/users?is_active=false")
            .await,
    )
    .await;
    assert_eq!(inactive["items"].as_array().unwrap().len(), 1);
    let on = app
        .send_json_as(
            &admin.token,
            Method::PATCH,
            &path,
            &json!({"is_active": true}),
        )
        .await;
    assert_eq!(on.status(), 200);
    app.login(&customer.email, &customer.password, &customer.id)
        .await;
    let forbidden = app
        .send_json_as(
            &customer.token,
            Method::PATCH,
            &path,
            &json!({"is_active": false}),
        )
        .await;
    assert_eq!(
        forbidden.status(),
        401,
        "the old login ended at deactivation"
    );

    let verify = |id: &str| {
        app.request(
            Method::POST,
            &format!("/api/v1/admin/providers/{id}/verify"),
        )
        .bearer_auth(&admin.token)
        .send()
    };
    let verified = json(verify(&provider.id).await.unwrap()).await;
    assert_eq!(verified["profile"]["verified"], true);
    assert_problem(verify(&customer.id).await.unwrap(), 404, "not_found").await;
    let directory = json(app.get("/api/v1/providers?verified=true").await).await;
    assert_eq!(directory["items"].as_array().unwrap().len(), 1);
    let unknown = format!("/api/v1/admin/users/{}", uuid::Uuid::now_v7());
    assert_problem(
        app.send_json_as(
            &admin.token,
            Method::PATCH,
            &unknown,
            &json!({"is_active": false}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn every_profile_names_its_kind() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    let provider = TestUser::provider().register(&app).await;
    for (session, kind) in [(&customer, "customer"), (&provider, "provider")] {
        let me = json(app.get_as(&session.token, "/api/v1/auth/me").await).await;
        assert_eq!(me["profile"]["kind"], kind);
    }
}

#[tokio::test]
async fn a_blank_name_is_422_and_a_name_counts_its_length_as_sent() {
    let app = TestApp::spawn().await;
    let customer = TestUser::customer().register(&app).await;
    for name in ["   ".to_owned(), format!(" {}", "a".repeat(100))] {
        assert_problem(
            patch_me(&app, &customer, json!({"name": name})).await,
            422,
            "validation_failed",
        )
        .await;
    }
    let padded = json(patch_me(&app, &customer, json!({"name": " Ana "})).await).await;
    assert_eq!(padded["profile"]["name"], "Ana", "stored trimmed");
}
