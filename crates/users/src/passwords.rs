//! Password hashing: every character counts, and hashing waits in a
//! bounded queue that is fair across accounts.
//!
//! bcrypt reads at most 72 bytes, so a password is first reduced with
//! SHA-256 (base64, 44 bytes, no NUL) and bcrypt hashes that; the stored
//! form is `$qf1$` followed by the bcrypt hash. Hashes stored before this
//! scheme (plain bcrypt) still verify, and a login that verifies one
//! stores the new form ([`Verified::outdated`]).
//!
//! At most half the cores hash at once; behind them wait at most
//! [`QUEUE_PLACES`] computations. Each key (an account, or an email from
//! one client IP for logins) has its own line in front of that queue: at
//! most [`PLACES_PER_KEY`] of its computations are in the shared queue at
//! once, at most [`LINE_PER_KEY`] wait in its line, and anything beyond is
//! refused at once with 503 and `Retry-After`. A flood from one account
//! therefore holds one place, and other users' logins wait behind that
//! only; a full queue is a 503, never an unbounded wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use quickfix_shared::db;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::error::UsersError;

/// The prefix of the current scheme's stored hashes.
const SCHEME: &str = "$qf1$";
/// Hashes that may wait for a core, all keys together.
pub const QUEUE_PLACES: usize = 64;
/// Computations of one key that may be in the shared queue at once.
pub const PLACES_PER_KEY: usize = 1;
/// Computations of one key that may wait in its line (the rest: 503).
pub const LINE_PER_KEY: usize = 16;
/// What a refused caller is told to wait, in seconds.
const RETRY_AFTER_SECS: u64 = 1;

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Whether the password is the right one.
    pub matches: bool,
    /// Whether the stored hash is of the old scheme and should be replaced.
    pub outdated: bool,
}

/// The 44 ASCII bytes bcrypt sees for a password.
fn prehash(password: &str) -> String {
    STANDARD.encode(Sha256::digest(password.as_bytes()))
}

/// The process's hashing queue.
struct Queue {
    running: Semaphore,
    running_max: usize,
    places: Mutex<Places>,
}

#[derive(Default)]
struct Places {
    /// Computations in the shared queue (running or waiting for a core).
    total: usize,
    /// Each key's line: its own gate and how many stand in it.
    lines: HashMap<String, (Arc<Semaphore>, usize)>,
}

/// A place in a key's line; leaving it when dropped.
struct InLine<'a> {
    queue: &'a Queue,
    key: String,
}

/// A place in the shared queue; giving it back when dropped.
struct InQueue<'a> {
    queue: &'a Queue,
}

impl Queue {
    fn global() -> &'static Queue {
        static QUEUE: OnceLock<Queue> = OnceLock::new();
        QUEUE.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
            Queue::new((cores / 2).max(1))
        })
    }

    fn new(running_max: usize) -> Queue {
        Queue {
            running: Semaphore::new(running_max),
            running_max,
            places: Mutex::new(Places::default()),
        }
    }

    fn places(&self) -> std::sync::MutexGuard<'_, Places> {
        self.places.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Joins `key`'s line; 503 when it is full.
    fn join_line(&self, key: &str) -> Result<(InLine<'_>, Arc<Semaphore>), UsersError> {
        let mut places = self.places();
        let line = places
            .lines
            .entry(key.to_owned())
            .or_insert_with(|| (Arc::new(Semaphore::new(PLACES_PER_KEY)), 0));
        if line.1 >= LINE_PER_KEY {
            return Err(UsersError::Busy(RETRY_AFTER_SECS));
        }
        line.1 += 1;
        let gate = Arc::clone(&line.0);
        Ok((
            InLine {
                queue: self,
                key: key.to_owned(),
            },
            gate,
        ))
    }

    /// Enters the shared queue; 503 when it is full.
    fn enter(&self) -> Result<InQueue<'_>, UsersError> {
        let mut places = self.places();
        if places.total >= QUEUE_PLACES + self.running_max {
            return Err(UsersError::Busy(RETRY_AFTER_SECS));
        }
        places.total += 1;
        Ok(InQueue { queue: self })
    }

    async fn run<T: Send + 'static>(
        &self,
        key: &str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, UsersError> {
        let closed = |err: tokio::sync::AcquireError| {
            UsersError::Internal(format!("hashing queue closed: {err}"))
        };
        let (_line, gate) = self.join_line(key)?;
        let _turn = gate.acquire().await.map_err(closed)?;
        let _place = self.enter()?;
        let _running = self.running.acquire().await.map_err(closed)?;
        Ok(db::blocking(work).await?)
    }
}

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        let mut places = self.queue.places();
        if let Some(line) = places.lines.get_mut(&self.key) {
            line.1 -= 1;
            if line.1 == 0 {
                places.lines.remove(&self.key);
            }
        }
    }
}

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.queue.places().total -= 1;
    }
}

/// 503 at once when `key`'s line is full, before the caller spends a
/// database round trip on a check that would be refused anyway.
pub fn ensure_room(key: &str) -> Result<(), UsersError> {
    let queue = Queue::global();
    let places = queue.places();
    match places.lines.get(key) {
        Some((_, standing)) if *standing >= LINE_PER_KEY => Err(UsersError::Busy(RETRY_AFTER_SECS)),
        _ => Ok(()),
    }
}

/// Hashes a password in the current scheme; `key` names whose place in the
/// queue it takes (an account id or email, or `register:<ip>`).
pub async fn hash_password(key: &str, password: String, cost: u32) -> Result<String, UsersError> {
    Queue::global()
        .run(key, move || bcrypt::hash(prehash(&password), cost))
        .await?
        .map(|hash| format!("{SCHEME}{hash}"))
        .map_err(|err| UsersError::Internal(format!("bcrypt: {err}")))
}

/// Checks a password against a stored hash of either scheme.
pub async fn verify_password(
    key: &str,
    password: String,
    stored: String,
) -> Result<Verified, UsersError> {
    Queue::global()
        .run(key, move || match stored.strip_prefix(SCHEME) {
            Some(hash) => Verified {
                matches: bcrypt::verify(prehash(&password), hash).unwrap_or(false),
                outdated: false,
            },
            None => Verified {
                matches: bcrypt::verify(&password, &stored).unwrap_or(false),
                outdated: true,
            },
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_differing_after_the_72nd_byte_are_different() {
        let base = "A".repeat(72);
        let hash = hash_password("t1", format!("{base}x"), 4)
            .await
            .expect("hashed");
        assert!(hash.starts_with(SCHEME));
        let right = verify_password("t1", format!("{base}x"), hash.clone())
            .await
            .expect("checked");
        assert_eq!(
            right,
            Verified {
                matches: true,
                outdated: false
            }
        );
        let wrong = verify_password("t1", format!("{base}y"), hash)
            .await
            .expect("checked");
        assert!(!wrong.matches);
    }

    #[tokio::test]
    async fn plain_bcrypt_hashes_still_verify_and_are_marked_outdated() {
        let legacy = bcrypt::hash("an-old-password", 4).expect("hashed");
        let checked = verify_password("t2", "an-old-password".into(), legacy.clone())
            .await
            .expect("checked");
        assert_eq!(
            checked,
            Verified {
                matches: true,
                outdated: true
            }
        );
        let wrong = verify_password("t2", "another".into(), legacy)
            .await
            .expect("checked");
        assert!(!wrong.matches);
    }

    #[tokio::test]
    async fn one_key_holds_one_place_waits_in_its_own_line_and_the_queue_is_bounded() {
        let queue = Box::leak(Box::new(Queue::new(1)));
        let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
        let gate_rx = Arc::new(Mutex::new(gate_rx));
        let mut flood = Vec::new();
        for _ in 0..(LINE_PER_KEY + 4) {
            let gate_rx = Arc::clone(&gate_rx);
            flood.push(tokio::spawn(queue.run("flood", move || {
                let _ = gate_rx.lock().map(|rx| rx.recv());
            })));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(
            queue.places().total,
            PLACES_PER_KEY,
            "the flood holds its one place"
        );
        let refused = flood.iter().filter(|task| task.is_finished()).count();
        assert_eq!(refused, 4, "past its line the flood is refused at once");

        let mut others = Vec::new();
        for n in 0..(QUEUE_PLACES + 8) {
            let q: &'static Queue = queue;
            others.push(tokio::spawn(async move {
                q.run(&format!("user{n}"), || ()).await
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let busy = others.iter().filter(|task| task.is_finished()).count();
        assert!(busy >= 7, "a full queue answers at once ({busy} did)");
        for _ in 0..(LINE_PER_KEY + 4) {
            let _ = gate_tx.send(());
        }
        drop(gate_tx);
        for task in others {
            let _ = task.await;
        }
        for task in flood {
            let _ = task.await;
        }
        assert_eq!(queue.places().total, 0, "every place came back");
        assert!(queue.places().lines.is_empty());
    }
}
