//! The database layer on the backend under test: migrations in step,
//! idempotent replays, and write transactions under contention.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::http::StatusCode;
use quickfix_shared::db;
use quickfix_shared::idempotency::{self, IdempotencyKey};
use quickfix_shared::testing::TestDatabase;

/// The crate folders under `migrations/`, each with the migration folders
/// of its sets (`common/`, and `sqlite/` or `postgres/` where SQL differs).
fn crate_migrations() -> Vec<(String, String, String)> {
    let root = format!("{}/../migrations", env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for owner in std::fs::read_dir(&root).unwrap() {
        let owner = owner.unwrap();
        for set in std::fs::read_dir(owner.path()).unwrap() {
            let set = set.unwrap();
            for migration in std::fs::read_dir(set.path()).unwrap() {
                found.push((
                    owner.file_name().to_string_lossy().into_owned(),
                    set.file_name().to_string_lossy().into_owned(),
                    migration
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .into_owned(),
                ));
            }
        }
    }
    found
}

#[test]
fn each_crate_owns_a_migration_folder_and_versions_never_collide() {
    let found = crate_migrations();
    let owners: BTreeSet<&str> = found.iter().map(|(owner, _, _)| owner.as_str()).collect();
    let mounted: BTreeSet<&str> = quickfix_gateway::app::MIGRATIONS
        .iter()
        .map(|set| set.owner)
        .collect();
    assert_eq!(owners, mounted, "every folder is run, every crate has one");
    let mut sets_of_version: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for (owner, set, name) in &found {
        assert!(
            ["common", "sqlite", "postgres"].contains(&set.as_str()),
            "{owner}/{set}: sets are common, sqlite or postgres"
        );
        let version = name.split('_').next().unwrap().replace('-', "");
        sets_of_version.entry(version).or_default().push(set);
        for file in ["up.sql", "down.sql"] {
            let path = format!(
                "{}/../migrations/{owner}/{set}/{name}/{file}",
                env!("CARGO_MANIFEST_DIR")
            );
            assert!(std::path::Path::new(&path).exists(), "{path} is missing");
        }
    }
    for (version, mut sets) in sets_of_version {
        sets.sort_unstable();
        assert!(
            sets == ["common"] || sets == ["postgres", "sqlite"],
            "version {version} must be one common migration or one per backend: {sets:?}"
        );
    }
}

#[tokio::test]
async fn migrating_twice_applies_nothing_the_second_time() {
    let test_db = TestDatabase::new(quickfix_gateway::app::MIGRATIONS);
    let pool = test_db.pool();
    let applied = db::run(&pool, |conn| {
        db::run_migrations(conn, quickfix_gateway::app::MIGRATIONS)
    })
    .await
    .unwrap();
    assert!(applied.is_empty(), "already migrated: {applied:?}");
}

#[tokio::test]
async fn an_idempotent_request_runs_once_and_replays_its_answer() {
    let test_db = TestDatabase::new(quickfix_gateway::app::MIGRATIONS);
    let pool = test_db.pool();
    let runs = Arc::new(AtomicUsize::new(0));
    let key = IdempotencyKey(Some("key-1".into()));
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let runs = Arc::clone(&runs);
        let response = idempotency::run_once(
            &pool,
            &key,
            "user-1",
            "req".into(),
            |_| None,
            || async move {
                let n = runs.fetch_add(1, Ordering::SeqCst);
                Ok((StatusCode::CREATED, serde_json::json!({ "n": n })))
            },
        )
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        bodies.push(body);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(bodies[0], bodies[1]);

    let reused = idempotency::run_once(
        &pool,
        &key,
        "user-1",
        "other".into(),
        |_| None,
        || async { Ok((StatusCode::CREATED, serde_json::json!({}))) },
    )
    .await
    .unwrap_err();
    assert_eq!(reused.code(), "idempotency_key_reused");

    let other_caller = idempotency::run_once(
        &pool,
        &key,
        "user-2",
        "other".into(),
        |_| None,
        || async { Ok((StatusCode::CREATED, serde_json::json!({}))) },
    )
    .await
    .unwrap();
    assert_eq!(other_caller.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn concurrent_duplicates_of_an_idempotent_request_do_the_work_once() {
    let test_db = TestDatabase::new(quickfix_gateway::app::MIGRATIONS);
    let pool = test_db.pool();
    let runs = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (pool, runs) = (pool.clone(), Arc::clone(&runs));
        tasks.push(tokio::spawn(async move {
            let key = IdempotencyKey(Some("race".into()));
            idempotency::run_once(
                &pool,
                &key,
                "user",
                "req".into(),
                |_| None,
                || async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    Ok((StatusCode::CREATED, serde_json::json!({"done": true})))
                },
            )
            .await
            .map(|r| r.status())
            .map_err(|e| e.code())
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), Ok(StatusCode::CREATED));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn server_errors_are_not_kept_so_a_retry_does_the_work() {
    let test_db = TestDatabase::new(quickfix_gateway::app::MIGRATIONS);
    let pool = test_db.pool();
    let key = IdempotencyKey(Some("flaky".into()));
    let failed = idempotency::run_once(
        &pool,
        &key,
        "u",
        "r".into(),
        |_| None,
        || async { Err::<(StatusCode, ()), _>(quickfix_shared::ApiError::unavailable("down")) },
    )
    .await
    .unwrap_err();
    assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retried = idempotency::run_once(
        &pool,
        &key,
        "u",
        "r".into(),
        |_| None,
        || async { Ok((StatusCode::CREATED, ())) },
    )
    .await
    .unwrap();
    assert_eq!(retried.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_unreachable_database_is_a_503() {
    let pool = db::build_pool(
        "postgres://nobody@127.0.0.1:1/none",
        &db::PoolOptions {
            size: Some(1),
            connect_timeout: std::time::Duration::from_millis(300),
        },
    )
    .unwrap();
    let err = quickfix_shared::ApiError::from(db::ping(&pool).await.unwrap_err());
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
}
