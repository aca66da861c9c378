//! The identity rules alone: sign-in, linking by verified email, and the
//! last way to sign in.

use quickfix_shared::auth::Role;
use quickfix_shared::db;
use quickfix_shared::ids::UserId;

use super::database;
use crate::error::UsersError;
use crate::models::IdentityId;
use crate::oidc::VerifiedIdentity;
use crate::service::{self, IdentitySignIn, NewAccount, SessionMeta};

fn identity(subject: &str, email: &str, email_verified: bool) -> VerifiedIdentity {
    VerifiedIdentity {
        provider: "test".into(),
        subject: subject.into(),
        email: Some(email.into()),
        email_verified,
        name: None,
        issued_at: 0,
    }
}

/// Signs in with `identity`, a customer when it makes an account.
fn sign_in(
    conn: &mut quickfix_shared::db::DbConn,
    identity: &VerifiedIdentity,
    account: &NewAccount,
) -> Result<IdentitySignIn, UsersError> {
    service::sign_in_with_identity(conn, identity, account, &SessionMeta::default(), 60)
}

fn customer() -> NewAccount {
    NewAccount {
        role: Some(Role::Customer),
        name: None,
    }
}

#[tokio::test]
async fn identities_register_link_only_verified_pairs_and_keep_a_way_in() {
    let db = database();
    let pool = db.pool();
    let outcome = db::run(&pool, |conn| {
        let first = sign_in(conn, &identity("a", "ana@example.com", false), &customer())?;
        let IdentitySignIn::Registered(login) = &first else {
            panic!("a new identity registers");
        };
        let user = login.user.clone();
        assert!(!user.has_password() && !user.email_verified);
        assert_eq!(user.name, "ana", "the email's local part names it");
        let again = sign_in(
            conn,
            &identity("a", "other@example.com", true),
            &NewAccount::default(),
        )?;
        assert!(matches!(again, IdentitySignIn::Existing(ref l) if l.user.id == user.id));

        // The account's email is not verified: no link, whatever the token says.
        let refused = sign_in(conn, &identity("b", "ANA@example.com", true), &customer());
        assert!(matches!(refused, Err(UsersError::AccountExists)));
        let no_role = sign_in(
            conn,
            &identity("c", "new@example.com", true),
            &NewAccount::default(),
        );
        assert!(matches!(no_role, Err(UsersError::Validation(ref f)) if f[0].field == "role"));
        let no_email = sign_in(
            conn,
            &VerifiedIdentity {
                email: None,
                ..identity("d", "", true)
            },
            &customer(),
        );
        assert!(matches!(no_email, Err(UsersError::Validation(ref f)) if f[0].field == "id_token"));

        let id = UserId::from_db(user.id.clone());
        let only = service::list_identities(conn, &id, None, 10)?.items;
        assert_eq!(only.len(), 1);
        let last = service::unlink_identity(conn, &id, &IdentityId::from_db(only[0].id.clone()));
        assert!(matches!(last, Err(UsersError::LastSignInMethod)));
        let foreign = service::unlink_identity(conn, &id, &IdentityId::generate());
        assert!(matches!(foreign, Err(UsersError::NotFound(_))));
        Ok::<_, UsersError>(())
    })
    .await;
    outcome.expect("the rules hold");
}

#[tokio::test]
async fn a_verified_token_links_to_a_verified_account_of_its_email() {
    let db = database();
    let pool = db.pool();
    let outcome = db::run(&pool, |conn| {
        let registered = sign_in(conn, &identity("a", "rui@example.com", true), &customer())?;
        let user = registered.login().user.clone();
        assert!(user.email_verified, "a verified email starts verified");
        let unverified = sign_in(
            conn,
            &VerifiedIdentity {
                provider: "other".into(),
                ..identity("b", "Rui@Example.com", false)
            },
            &customer(),
        );
        assert!(matches!(unverified, Err(UsersError::AccountExists)));
        let linked = sign_in(
            conn,
            &VerifiedIdentity {
                provider: "other".into(),
                ..identity("b", "Rui@Example.com", true)
            },
            &customer(),
        )?;
        assert!(matches!(linked, IdentitySignIn::Linked(ref l) if l.user.id == user.id));
        let id = UserId::from_db(user.id.clone());
        let both = service::list_identities(conn, &id, None, 10)?.items;
        assert_eq!(both.len(), 2);
        service::unlink_identity(conn, &id, &IdentityId::from_db(both[0].id.clone()))?;
        assert!(matches!(
            service::unlink_identity(conn, &id, &IdentityId::from_db(both[1].id.clone())),
            Err(UsersError::LastSignInMethod)
        ));
        Ok::<_, UsersError>(())
    })
    .await;
    outcome.expect("the rules hold");
}
