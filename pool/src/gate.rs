//! The drain gate: the process-wide flag every shard owner checks after it marks itself busy.
//!
//! Its closed value also tells owners which fence protocol is in force, so that their fast path
//! reads a single byte.

use crate::barrier;
use crate::sync::{fence, AtomicU8};
use std::sync::atomic::compiler_fence;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};

/// Gate states. `CLOSED`: owners may use their private caches after a compiler fence (the
/// drainer's membarrier does the rest). `CLOSED_FENCED`: likewise, but only after a `SeqCst`
/// fence and a second look (no membarrier here). `OPEN`: a drain is detaching private caches.
const CLOSED: u8 = 0;
const OPEN: u8 = 1;
const CLOSED_FENCED: u8 = 2;

/// The process-wide "a drain is detaching private caches" flag every owner checks.
#[derive(Debug)]
pub(crate) struct Gate {
    state: AtomicU8,
}

impl Gate {
    /// A closed gate, fenced until [`adopt_membarrier`](Self::adopt_membarrier).
    #[cfg(not(all(loom, test)))]
    pub(crate) const fn new() -> Self {
        Gate {
            state: AtomicU8::new(CLOSED_FENCED),
        }
    }

    /// A closed gate (loom models the fenced protocol).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        Gate {
            state: AtomicU8::new(CLOSED_FENCED),
        }
    }

    /// Switches a closed gate to the membarrier protocol if the process has it. Called before
    /// the first shard exists, so no owner sees the switch.
    pub(crate) fn adopt_membarrier(&self) {
        if barrier::uses_membarrier() {
            let _ = self
                .state
                .compare_exchange(CLOSED_FENCED, CLOSED, Relaxed, Relaxed);
        }
    }

    /// Opens the gate: from the return on, every owner either has finished the private access
    /// it had started (the drainer waits for `busy`) or will see the gate open.
    /// One drainer at a time (the caller serialises drains).
    pub(crate) fn open(&self) {
        self.state.store(OPEN, Relaxed);
        barrier::heavy();
    }

    /// Closes the gate: owners may use their private caches again, and see what the drain did
    /// to them.
    pub(crate) fn close(&self) {
        let closed = if barrier::uses_membarrier() {
            CLOSED
        } else {
            CLOSED_FENCED
        };
        self.state.store(closed, Release);
    }

    /// The owner's side of the handshake, right after it set `busy`: true if it may touch its
    /// private cache.
    #[inline(always)]
    pub(crate) fn admits(&self) -> bool {
        // Keeps the compiler from hoisting this load above the `busy` store; the CPU is kept
        // from doing so by the drainer's membarrier.
        compiler_fence(SeqCst);
        match self.state.load(Acquire) {
            CLOSED => true,
            OPEN => false,
            _ => {
                // No membarrier: a real store-load fence, then a second look.
                fence(SeqCst);
                self.state.load(Acquire) == CLOSED_FENCED
            }
        }
    }
}
