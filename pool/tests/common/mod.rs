//! Helpers shared by the pool's integration tests.
#![allow(dead_code)] // each test binary uses a different part

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Go's `testing.Short()`: `PROLOGUE_SHORT=1` asks for small sizes (CI under valgrind).
pub fn short() -> bool {
    std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1")
}

/// `full` normally, `full / 100` (at least 1) under `PROLOGUE_SHORT=1`.
pub fn size(full: usize) -> usize {
    if short() {
        (full / 100).max(1)
    } else {
        full
    }
}

static SERIAL: Mutex<()> = Mutex::new(());

/// Serialises the tests of one binary that call `clear_pools` or count drains: a drain in one
/// test drains every pool of the process, including another test's.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Counts drops per value: a test's ledger of which values are gone.
#[derive(Debug)]
pub struct Ledger {
    next: AtomicU64,
    drops: Box<[AtomicU32]>,
}

impl Ledger {
    /// A ledger for up to `capacity` values, leaked so tokens can point at it from any thread.
    pub fn new(capacity: usize) -> &'static Ledger {
        Box::leak(Box::new(Ledger {
            next: AtomicU64::new(0),
            drops: (0..capacity).map(|_| AtomicU32::new(0)).collect(),
        }))
    }

    /// A new value with the next id.
    pub fn token(&'static self) -> Token {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        assert!((id as usize) < self.drops.len(), "ledger too small");
        Token { id, ledger: self }
    }

    /// How many tokens were made.
    pub fn made(&self) -> usize {
        self.next.load(Ordering::Relaxed) as usize
    }

    /// How many times token `id` was dropped.
    pub fn drops(&self, id: u64) -> u32 {
        self.drops[id as usize].load(Ordering::Relaxed)
    }

    /// How many tokens were dropped at least once.
    pub fn dropped(&self) -> usize {
        self.drops[..self.made()]
            .iter()
            .filter(|d| d.load(Ordering::Relaxed) > 0)
            .count()
    }

    /// Panics unless every token made so far was dropped exactly once.
    pub fn assert_each_dropped_once(&self) {
        for id in 0..self.made() as u64 {
            assert_eq!(
                self.drops(id),
                1,
                "token {id} dropped {} times",
                self.drops(id)
            );
        }
    }
}

/// A value whose drop is recorded in its ledger.
#[derive(Debug)]
pub struct Token {
    pub id: u64,
    ledger: &'static Ledger,
}

impl Drop for Token {
    fn drop(&mut self) {
        self.ledger.drops[self.id as usize].fetch_add(1, Ordering::Relaxed);
    }
}
