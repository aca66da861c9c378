//! Storing notifications in batches, against a real database of either
//! backend.

use crate::service::{self, NewNotification};
use quickfix_shared::ids::UserId;
use quickfix_shared::testing::TestDatabase;

fn notification(user: &UserId, event_id: &str) -> NewNotification {
    NewNotification {
        user: user.clone(),
        kind: "offer.created".into(),
        payload: serde_json::json!({ "event": event_id }),
        event_id: event_id.into(),
    }
}

#[test]
fn a_batch_stores_each_notification_once_and_skips_events_already_stored() {
    let db = TestDatabase::new(&[quickfix_shared::db::MIGRATIONS, crate::MIGRATIONS]);
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let (alice, bob) = (UserId::generate(), UserId::generate());

    let first = service::create_notifications(
        &mut conn,
        &[notification(&alice, "e1"), notification(&bob, "e1")],
    )
    .unwrap();
    assert_eq!(
        first
            .iter()
            .map(|(user, _)| user.clone())
            .collect::<Vec<_>>(),
        vec![alice.clone(), bob.clone()]
    );

    // e1 for alice again (an event handled twice) beside two new ones.
    let second = service::create_notifications(
        &mut conn,
        &[
            notification(&alice, "e1"),
            notification(&alice, "e2"),
            notification(&bob, "e3"),
        ],
    )
    .unwrap();
    let stored: Vec<_> = second
        .iter()
        .map(|(user, n)| {
            (
                user.clone(),
                n.payload["event"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        stored,
        vec![
            (alice.clone(), "e2".to_owned()),
            (bob.clone(), "e3".to_owned())
        ]
    );

    let alices = service::list_notifications(&mut conn, &alice, false, None, 10).unwrap();
    assert_eq!(alices.items.len(), 2, "e1 is stored once for alice");
}

#[test]
fn a_batch_larger_than_one_statement_is_stored_whole() {
    let db = TestDatabase::new(&[quickfix_shared::db::MIGRATIONS, crate::MIGRATIONS]);
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let user = UserId::generate();
    let batch: Vec<_> = (0..1_234)
        .map(|i| notification(&user, &format!("event-{i}")))
        .collect();
    let stored = service::create_notifications(&mut conn, &batch).unwrap();
    assert_eq!(stored.len(), 1_234);
}
