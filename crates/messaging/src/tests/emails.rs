//! Email notifications of a round of events, against a real database of
//! either backend, with a fixed directory for the users crate.

use std::sync::Arc;
use std::time::Duration;

use quickfix_jobs_contract::{AcceptedOffer, JobEvent, JobId, OfferCreated, OfferId};
use quickfix_shared::db;
use quickfix_shared::events::{DomainEvent, EventSet};
use quickfix_shared::ids::{BookingId, UserId};
use quickfix_shared::mail::{self, MailSettings, MailTiming, Mailer};
use quickfix_shared::outbox::Consumer;
use quickfix_shared::testing::TestDatabase;
use quickfix_users_contract::{FixedDirectory, Role, UserSummary};

use crate::emails::EmailNotifications;
use crate::realtime::Hub;

fn user(directory: FixedDirectory, id: &UserId, name: &str, email: Option<&str>) -> FixedDirectory {
    let directory = directory.with(UserSummary {
        id: id.clone(),
        role: Role::Customer,
        name: name.to_owned(),
        is_active: true,
    });
    match email {
        Some(address) => directory.with_email(id, address),
        None => directory,
    }
}

fn offer(customer: &UserId, provider: &UserId) -> DomainEvent {
    JobEvent::OfferCreated(OfferCreated {
        offer_id: OfferId::generate(),
        job_id: JobId::generate(),
        job_title: "Fix the sink".to_owned(),
        customer_id: customer.clone(),
        provider_id: provider.clone(),
        price_cents: 12_000,
    })
    .into_event(Some(provider.as_str()))
}

/// One round of events from several requests: each email names its own
/// offer's provider, goes only to those with an address, and the round
/// handled again (a repeat delivery) queues nothing more.
#[tokio::test]
async fn a_round_of_events_mails_each_recipient_once_with_its_own_context() {
    let db = TestDatabase::new(&[quickfix_shared::db::MIGRATIONS, crate::MIGRATIONS]);
    let pool = db.pool();
    let (ana, bea, ivo, rui) = (
        UserId::generate(),
        UserId::generate(),
        UserId::generate(),
        UserId::generate(),
    );
    let mut directory = FixedDirectory::default();
    directory = user(directory, &ana, "Ana", Some("ana@example.com"));
    directory = user(directory, &bea, "Bea", Some("bea@example.com"));
    directory = user(directory, &ivo, "Ivo Plumbing", Some("ivo@example.com"));
    directory = user(directory, &rui, "Rui Electric", None);
    let directory = Arc::new(directory);
    let notifications = EmailNotifications::new(
        pool.clone(),
        Hub::in_process(),
        directory.clone(),
        directory,
        "https://app.example.com",
        Duration::from_secs(300),
    );
    let accepted = JobEvent::OfferAccepted(AcceptedOffer {
        offer_id: OfferId::generate(),
        job_id: JobId::generate(),
        booking_id: BookingId::generate(),
        customer_id: bea.clone(),
        provider_id: rui.clone(),
        price_cents: 9_000,
        scheduled_for: None,
        rejected_provider_ids: Vec::new(),
    })
    .into_event(Some(bea.as_str()));
    let round = vec![offer(&ana, &ivo), offer(&bea, &rui), accepted];
    let consumer = notifications.consumer();
    consumer.handle(round.clone()).await.expect("handled");
    consumer.handle(round).await.expect("handled again");

    let queued = db::run(&pool, |conn| mail::list_emails(conn, None, None, 100))
        .await
        .expect("read");
    let mut summary: Vec<(String, String)> = queued
        .iter()
        .map(|e| (e.kind.clone(), e.to_address.clone()))
        .collect();
    summary.sort();
    let expected = [
        ("offer.accepted", "bea@example.com"),
        ("offer.created", "ana@example.com"),
        ("offer.created", "bea@example.com"),
    ];
    assert_eq!(
        summary,
        expected.map(|(k, a)| (k.to_owned(), a.to_owned())).to_vec(),
        "Rui has no address; nothing twice"
    );

    // What each offer email says, as the sender writes it.
    let dir = tempfile::tempdir().expect("a directory");
    let mailer = Mailer::new(
        pool.clone(),
        &MailSettings {
            smtp_url: None,
            from: "QuickFix <no-reply@example.com>".to_owned(),
            dir: dir.path().to_owned(),
            timing: MailTiming::default(),
        },
    )
    .expect("a mailer");
    assert_eq!(mailer.send_due().await.expect("sent"), 3);
    let written: Vec<String> = std::fs::read_dir(dir.path())
        .expect("the directory")
        .map(|e| std::fs::read_to_string(e.expect("an entry").path()).expect("a file"))
        .collect();
    let offer_to = |address: &str| {
        written
            .iter()
            .find(|text| text.contains(&format!("<{address}>")) && text.contains("New offer"))
            .cloned()
            .expect("an offer email")
    };
    assert!(offer_to("ana@example.com").contains("Ivo Plumbing"));
    assert!(!offer_to("ana@example.com").contains("Rui Electric"));
    assert!(offer_to("bea@example.com").contains("Rui Electric"));
}
