//! A short-lived memory of logins known to be live, so an authenticated
//! request does not have to ask the database every time.
//!
//! Everything in this crate that ends a login or deactivates an account
//! forgets the affected entries before it answers, so on this instance the
//! very next request is refused. Other gateway instances learn of it when
//! their entry expires (`auth.session_cache_ms`, 2 s by default; 0 turns
//! the cache off).
//!
//! A login in use does not expire all at once: once its entry is past half
//! its life, the first request to see it is told to confirm it again in the
//! background while every request keeps being answered from the entry, so
//! a busy login never waits on the database (no stampede of misses when a
//! hot entry expires) and an entry is never trusted longer than `ttl`.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use quickfix_shared::auth::Standing;

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 100_000;

/// Live logins recently confirmed by the database.
#[derive(Debug)]
pub struct SessionCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, Entry>>,
}

/// A login confirmed live: its user, the account's role then, and when;
/// `refreshing` once a request took on confirming it again.
#[derive(Debug)]
struct Entry {
    user: String,
    standing: Standing,
    at: Instant,
    refreshing: AtomicBool,
}

/// What the cache knows of a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Confirmed live recently, with the account's standing.
    Live(Standing),
    /// Confirmed live, but past half its time: the caller (the only one
    /// told so) should confirm it again, without waiting for the answer.
    Aging(Standing),
    /// Not known live: ask the database.
    Unknown,
}

impl SessionCache {
    /// A cache keeping confirmations for `ttl`; zero keeps none.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The account's standing when `session` of `user` was confirmed live
    /// less than `ttl` ago.
    pub fn live_standing(&self, user: &str, session: &str) -> Option<Standing> {
        match self.lookup(user, session) {
            Lookup::Live(standing) | Lookup::Aging(standing) => Some(standing),
            Lookup::Unknown => None,
        }
    }

    /// What is known of `session` of `user`; [`Lookup::Aging`] is answered
    /// to one caller per confirmation.
    pub fn lookup(&self, user: &str, session: &str) -> Lookup {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(entry) = entries.get(session).filter(|entry| entry.user == user) else {
            return Lookup::Unknown;
        };
        let age = entry.at.elapsed();
        if age >= self.ttl {
            Lookup::Unknown
        } else if age >= self.ttl / 2 && !entry.refreshing.swap(true, Ordering::AcqRel) {
            Lookup::Aging(entry.standing)
        } else {
            Lookup::Live(entry.standing)
        }
    }

    /// A confirmation taken on with [`Lookup::Aging`] failed: the next
    /// request may try again.
    pub fn refresh_failed(&self, session: &str) {
        if let Some(entry) = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(session)
        {
            entry.refreshing.store(false, Ordering::Release);
        }
    }

    /// Whether `session` of `user` was confirmed live less than `ttl` ago.
    pub fn is_live(&self, user: &str, session: &str) -> bool {
        self.live_standing(user, session).is_some()
    }

    /// Records that the database confirmed `session` of `user` live now,
    /// with the account's standing.
    pub fn remember(&self, user: &str, session: &str, standing: Standing) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= SWEEP_AT {
            let ttl = self.ttl;
            entries.retain(|_, entry| entry.at.elapsed() < ttl);
        }
        entries.insert(
            session.to_owned(),
            Entry {
                user: user.to_owned(),
                standing,
                at: Instant::now(),
                refreshing: AtomicBool::new(false),
            },
        );
    }

    /// Forgets one login.
    pub fn forget_session(&self, session: &str) {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(session);
    }

    /// Forgets every login of a user.
    pub fn forget_user(&self, user: &str) {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, entry| entry.user != user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickfix_shared::auth::Role;

    fn standing(role: Role) -> Standing {
        Standing {
            role,
            email_verified: true,
        }
    }

    #[test]
    fn confirmations_expire_and_can_be_forgotten() {
        let cache = SessionCache::new(Duration::from_millis(30));
        cache.remember("u1", "s1", standing(Role::Customer));
        cache.remember("u1", "s2", standing(Role::Customer));
        cache.remember("u2", "s3", standing(Role::Provider));
        assert!(cache.is_live("u1", "s1"));
        assert!(!cache.is_live("u2", "s1"), "a session belongs to its user");
        cache.forget_session("s1");
        assert!(!cache.is_live("u1", "s1"));
        cache.forget_user("u1");
        assert!(!cache.is_live("u1", "s2"));
        assert!(cache.is_live("u2", "s3"));
        std::thread::sleep(Duration::from_millis(35));
        assert!(!cache.is_live("u2", "s3"));
    }

    #[test]
    fn an_aging_entry_is_handed_to_one_caller_to_confirm_while_all_read_it() {
        let cache = SessionCache::new(Duration::from_millis(200));
        let customer = standing(Role::Customer);
        cache.remember("u", "s", customer);
        assert_eq!(cache.lookup("u", "s"), Lookup::Live(customer));
        std::thread::sleep(Duration::from_millis(110));
        assert_eq!(cache.lookup("u", "s"), Lookup::Aging(customer));
        assert_eq!(
            cache.lookup("u", "s"),
            Lookup::Live(customer),
            "one confirmer"
        );
        cache.refresh_failed("s");
        assert_eq!(
            cache.lookup("u", "s"),
            Lookup::Aging(customer),
            "a failure hands it on"
        );
        cache.remember("u", "s", customer);
        assert_eq!(
            cache.lookup("u", "s"),
            Lookup::Live(customer),
            "confirmed anew"
        );
        assert_eq!(cache.lookup("v", "s"), Lookup::Unknown);
    }

    #[test]
    fn a_zero_ttl_remembers_nothing() {
        let cache = SessionCache::new(Duration::ZERO);
        cache.remember("u", "s", standing(Role::Admin));
        assert!(!cache.is_live("u", "s"));
    }
}
