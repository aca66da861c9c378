//! Conversations ask the users crate (here a fake of its contract) for the
//! participants: whether one is active, and their names, once per page.

use std::sync::Arc;

use quickfix_shared::auth::Role;
use quickfix_shared::db;
use quickfix_shared::ids::UserId;
use quickfix_shared::testing::TestDatabase;
use quickfix_users_contract::{AccountDirectory, FixedDirectory, UserSummary};

use crate::service::{self, Participant};

fn summary(id: &UserId, name: &str, role: Role, is_active: bool) -> UserSummary {
    UserSummary {
        id: id.clone(),
        role,
        name: name.to_owned(),
        is_active,
    }
}

#[tokio::test]
async fn conversations_start_only_with_active_accounts_and_show_their_names() {
    let db = TestDatabase::new(&[quickfix_shared::db::MIGRATIONS, crate::MIGRATIONS]);
    let (ana, rui, gone) = (UserId::generate(), UserId::generate(), UserId::generate());
    let directory = Arc::new(
        FixedDirectory::default()
            .with(summary(&ana, "Ana", Role::Customer, true))
            .with(summary(&rui, "Rui", Role::Provider, true))
            .with(summary(&gone, "Gone", Role::Provider, false)),
    );
    let pool = db.pool();
    let start = |with: UserId, active: bool| {
        let caller = ana.clone();
        db::run(&pool, move |conn| {
            service::start_conversation(
                conn,
                &caller,
                &Participant { id: with, active },
                None,
                true,
            )
        })
    };
    let inactive = directory.is_active(gone.clone()).await.expect("answered");
    let refused = start(gone, inactive).await.expect_err("inactive");
    assert!(matches!(refused, crate::error::MessagingError::NotFound(_)));

    let active = directory.is_active(rui.clone()).await.expect("answered");
    let started = start(rui.clone(), active).await.expect("started");
    assert!(started.created);
    let mut views = vec![started.conversation];
    assert!(
        views[0]
            .participants
            .iter()
            .all(|p| p.name == "Unknown user"),
        "names come from the users crate, not from this one's tables"
    );
    let users = directory
        .summaries(service::participant_ids(&views))
        .await
        .expect("answered");
    service::name_participants(&mut views, &users);
    let mut names: Vec<(String, Role)> = views[0]
        .participants
        .iter()
        .map(|p| (p.name.clone(), p.role))
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        names,
        vec![
            ("Ana".to_owned(), Role::Customer),
            ("Rui".to_owned(), Role::Provider)
        ]
    );
    let again = start(rui, true).await.expect("found");
    assert!(!again.created, "a pair has one conversation per job");
}
