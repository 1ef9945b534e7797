//! One thread's share of a pool: the cache its owner uses with no lock and no read-modify-write,
//! and the stash every other thread reaches through a lock.
//!
//! A shard has two halves, each on its own cache line:
//! - the owner's `private` cache (up to [`PRIVATE_CAP`] values): only the owning thread touches
//!   it, with no read-modify-write instruction, which is what makes `get`/`put` cost about as
//!   much as a bare `thread_local!` `Vec`;
//! - the `stash` behind a mutex: the primary overflow (a deque: the owner pushes and pops at the
//!   back, other threads steal the oldest at the front, like Go's `poolChain`) and the victim
//!   generations. Everything but the owner's fast path goes through it.
//!
//! The owner touches `private` only between [`Busy::enter`] and [`Busy::leave`]; a drain takes
//! it only after [`Busy::wait_idle`] with the gate open. `handshake.rs` states that protocol
//! and why it keeps the two apart; this file only follows it.

use crate::handshake::{Busy, Gate};
use crate::stats::ThreadCounters;
use crate::sync::{AtomicUsize, Mutex, UnsafeCell};
use crossbeam_utils::CachePadded;
use std::collections::VecDeque;
use std::mem;
use std::sync::atomic::Ordering::Relaxed;

/// How many values the owner's private cache holds before it spills half into the stash.
pub(crate) const PRIVATE_CAP: usize = 32;

/// Moves the value out of `src`, like `ptr::read`.
///
/// For values of up to four words this is a volatile read, which LLVM lowers to one load per
/// word. A plain read of a three-word value (a `Vec`) becomes a 16-byte vector load, and when
/// `put` has just stored that value word by word the CPU cannot forward the stores to the wider
/// load: a store-forwarding stall on every `put` then `get` of the same value, the pool's most
/// common pattern, which would cost more than the rest of the fast path.
///
/// # Safety
/// As for `ptr::read`: `src` is valid for reads and aligned, and the caller treats the value as
/// moved out.
#[inline(always)]
unsafe fn move_out<T>(src: *const T) -> T {
    if std::mem::size_of::<T>() <= 4 * std::mem::size_of::<usize>() {
        // SAFETY: the caller's contract; a volatile read of owned, initialised memory is a
        // plain read that the compiler may not merge or widen.
        unsafe { std::ptr::read_volatile(src) }
    } else {
        // SAFETY: the caller's contract.
        unsafe { std::ptr::read(src) }
    }
}

/// How a pool bounds what its shards keep.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Capacity of the private cache: `min(PRIVATE_CAP, max_items)`.
    pub(crate) private_cap: usize,
    /// Most values one shard keeps in its primary cache (private + stash).
    pub(crate) max_items: usize,
}

impl Limits {
    pub(crate) fn new(max_items: usize) -> Self {
        Limits {
            private_cap: PRIVATE_CAP.min(max_items),
            max_items,
        }
    }
}

/// The values one shard's primary cache held at one drain: a victim generation.
#[derive(Debug)]
pub(crate) struct Generation<T> {
    private: Vec<T>,
    shared: VecDeque<T>,
}

impl<T> Generation<T> {
    /// How many values it holds.
    pub(crate) fn len(&self) -> usize {
        self.private.len() + self.shared.len()
    }

    /// Takes the newest value.
    fn pop(&mut self) -> Option<T> {
        self.private.pop().or_else(|| self.shared.pop_back())
    }

    /// All its values, newest first (for the loom models).
    #[cfg(all(loom, test))]
    pub(crate) fn into_values(self) -> Vec<T> {
        let mut all: Vec<T> = self.private.into_iter().rev().collect();
        all.extend(self.shared.into_iter().rev());
        all
    }
}

#[derive(Debug)]
struct Stash<T> {
    /// Overflow of the private cache: newest at the back.
    primary: VecDeque<T>,
    /// Victim generations, newest at the front.
    victims: VecDeque<Generation<T>>,
}

impl<T> Stash<T> {
    fn victim_len(&self) -> usize {
        self.victims.iter().map(Generation::len).sum()
    }

    fn pop_victim(&mut self) -> Option<T> {
        self.victims.iter_mut().find_map(Generation::pop)
    }
}

#[derive(Debug)]
struct OwnerHalf<T> {
    busy: Busy,
    private: UnsafeCell<Vec<T>>,
    counters: ThreadCounters,
}

#[derive(Debug)]
struct SharedHalf<T> {
    /// `stash.primary.len()`, readable without the lock so that thieves skip empty shards.
    primary_hint: AtomicUsize,
    /// Values in `stash.victims`, likewise.
    victim_hint: AtomicUsize,
    stash: Mutex<Stash<T>>,
}

/// One thread's share of a pool.
#[derive(Debug)]
pub(crate) struct Shard<T> {
    owner: CachePadded<OwnerHalf<T>>,
    shared: CachePadded<SharedHalf<T>>,
}

// SAFETY: the only non-Sync field is `private`, an `UnsafeCell<Vec<T>>`. It is accessed by the
// shard's owner between `enter` and `leave` (busy set, gate seen closed), or by the single
// drainer after it opened the gate and saw `busy` clear; the handshake makes these exclusive
// (`handshake.rs`). The values move between threads, hence `T: Send`.
unsafe impl<T: Send> Sync for Shard<T> {}

impl<T> Shard<T> {
    pub(crate) fn new() -> Self {
        Shard {
            owner: CachePadded::new(OwnerHalf {
                busy: Busy::new(),
                private: UnsafeCell::new(Vec::new()),
                counters: ThreadCounters::new(),
            }),
            shared: CachePadded::new(SharedHalf {
                primary_hint: AtomicUsize::new(0),
                victim_hint: AtomicUsize::new(0),
                stash: Mutex::new(Stash {
                    primary: VecDeque::new(),
                    victims: VecDeque::new(),
                }),
            }),
        }
    }

    /// Prefetches both halves, ahead of a drain's [`detach`](Self::detach).
    #[inline(always)]
    pub(crate) fn prefetch(&self) {
        crate::sync::prefetch(&*self.owner);
        crate::sync::prefetch(&*self.shared);
    }

    /// The owner's counters.
    pub(crate) fn counters(&self) -> &ThreadCounters {
        &self.owner.counters
    }

    /// The owner takes its newest value: private cache, else a batch from its own stash.
    /// `None` if both are empty (the caller then steals, then tries the victims).
    ///
    /// # Safety
    /// Only the shard's owner calls `owner_get`/`owner_put`, and never two at once: the caller
    /// is the one thread currently holding this shard's index.
    #[inline(always)]
    pub(crate) unsafe fn owner_get(&self, gate: &Gate, limits: &Limits) -> Option<T> {
        if !self.owner.busy.enter(gate) {
            return self.pop_primary_newest();
        }
        // SAFETY: `enter` succeeded, so the drainer is not touching `private` and will wait for
        // `leave` before it does; the caller's contract excludes every other owner access.
        let got = self.owner.private.with_mut(|private| {
            let private = unsafe { &mut *private };
            if private.is_empty() {
                self.refill(private, limits)
            } else {
                private.pop()
            }
        });
        self.owner.busy.leave();
        got
    }

    /// The owner takes its newest private value, or else returns `miss()` (called after the
    /// private cache is released). The fast path of `Pool::get`: no `Option` crosses the
    /// `busy` store, which lets LLVM keep the value in registers.
    ///
    /// # Safety
    /// As for [`owner_get`](Self::owner_get).
    #[inline(always)]
    pub(crate) unsafe fn owner_get_or(&self, gate: &Gate, miss: impl FnOnce() -> T) -> T {
        if self.owner.busy.enter(gate) {
            // SAFETY: between `enter` and `leave`, see `owner_get`.
            let len = self
                .owner
                .private
                .with_mut(|private| unsafe { (*private).len() });
            if len > 0 {
                // SAFETY: as above; `len - 1` is in bounds and `set_len` gives the slot up
                // before it is read, so the value is moved out exactly once.
                let value = self.owner.private.with_mut(|private| unsafe {
                    (*private).set_len(len - 1);
                    move_out((*private).as_ptr().add(len - 1))
                });
                self.owner.busy.leave();
                return value;
            }
            self.owner.busy.leave();
        }
        miss()
    }

    /// The owner keeps `value`, or hands it back if the shard is at its item cap.
    ///
    /// # Safety
    /// As for [`owner_get`](Self::owner_get).
    #[inline(always)]
    pub(crate) unsafe fn owner_put(&self, gate: &Gate, limits: &Limits, value: T) -> Result<(), T> {
        if !self.owner.busy.enter(gate) {
            return self.push_primary(limits, value);
        }
        // SAFETY: between `enter` and `leave`, see `owner_get`.
        let kept = self.owner.private.with_mut(|private| {
            let private = unsafe { &mut *private };
            // A capped pool also counts the stash (a hint: `spill` re-checks under the lock).
            if private.len() < limits.private_cap
                && (limits.max_items == usize::MAX
                    || private.len() + self.shared.primary_hint.load(Relaxed) < limits.max_items)
            {
                private.push(value);
                Ok(())
            } else {
                self.spill(private, limits, value)
            }
        });
        self.owner.busy.leave();
        kept
    }

    /// Private cache empty: move a batch of the stash's newest values into it and pop one.
    #[cold]
    fn refill(&self, private: &mut Vec<T>, limits: &Limits) -> Option<T> {
        if self.shared.primary_hint.load(Relaxed) == 0 {
            return None;
        }
        let mut stash = self.shared.stash.lock();
        let len = stash.primary.len();
        let batch = (limits.private_cap / 2).min(len);
        let got = if batch == 0 {
            stash.primary.pop_back()
        } else {
            private.extend(stash.primary.drain(len - batch..));
            private.pop()
        };
        self.shared.primary_hint.store(stash.primary.len(), Relaxed);
        got
    }

    /// Private cache full (or the pool's cap reached): move the private cache's older half to
    /// the stash, then keep `value` privately; or refuse it at the cap.
    #[cold]
    fn spill(&self, private: &mut Vec<T>, limits: &Limits, value: T) -> Result<(), T> {
        let mut stash = self.shared.stash.lock();
        if private.len() + stash.primary.len() >= limits.max_items {
            return Err(value);
        }
        if private.len() < limits.private_cap {
            // Only the cap sent us here, and the stash shrank meanwhile (a thief).
            drop(stash);
            private.push(value);
            return Ok(());
        }
        // Here private.len() >= private_cap >= 1 (a cap of 0 refused above): half is >= 1.
        let half = private.len().div_ceil(2);
        stash.primary.extend(private.drain(..half));
        self.shared.primary_hint.store(stash.primary.len(), Relaxed);
        drop(stash);
        private.push(value);
        Ok(())
    }

    /// Pushes onto the stash's primary deque (the owner while a drain holds the gate open).
    #[cold]
    fn push_primary(&self, limits: &Limits, value: T) -> Result<(), T> {
        let mut stash = self.shared.stash.lock();
        if stash.primary.len() >= limits.max_items {
            return Err(value);
        }
        stash.primary.push_back(value);
        self.shared.primary_hint.store(stash.primary.len(), Relaxed);
        Ok(())
    }

    /// The stash's newest primary value (the owner while a drain holds the gate open).
    #[cold]
    fn pop_primary_newest(&self) -> Option<T> {
        if self.shared.primary_hint.load(Relaxed) == 0 {
            return None;
        }
        let mut stash = self.shared.stash.lock();
        let got = stash.primary.pop_back();
        self.shared.primary_hint.store(stash.primary.len(), Relaxed);
        got
    }

    /// Another thread takes this shard's oldest primary value (Go's `popTail`).
    pub(crate) fn steal(&self) -> Option<T> {
        if self.shared.primary_hint.load(Relaxed) == 0 {
            return None;
        }
        let mut stash = self.shared.stash.lock();
        let got = stash.primary.pop_front();
        self.shared.primary_hint.store(stash.primary.len(), Relaxed);
        got
    }

    /// Any thread takes the newest value of the newest non-empty victim generation.
    pub(crate) fn take_victim(&self) -> Option<T> {
        if self.shared.victim_hint.load(Relaxed) == 0 {
            return None;
        }
        let mut stash = self.shared.stash.lock();
        let got = stash.pop_victim();
        let left = stash.victim_len();
        self.shared.victim_hint.store(left, Relaxed);
        got
    }

    /// The drain: moves the primary cache (private + stash) into a new victim generation and
    /// hands to `dropped` each non-empty generation beyond `generations`; returns how many
    /// values those hold. O(1) per shard plus one push per dropped generation: no value is touched.
    ///
    /// # Safety
    /// The caller opened `gate` (which must be the gate this shard's owner checks) and keeps it
    /// open until this returns, and no other thread detaches this shard meanwhile.
    pub(crate) unsafe fn detach(
        &self,
        generations: usize,
        mut dropped: impl FnMut(Generation<T>),
    ) -> usize {
        self.owner.busy.wait_idle();
        // SAFETY: the gate is open and `busy` is clear: the owner will not touch `private`
        // until the gate closes (`handshake.rs`), and no other drainer runs.
        let private = self
            .owner
            .private
            .with_mut(|private| unsafe { mem::take(&mut *private) });
        // An empty stash needs no lock (two locked instructions and a cache line per shard in
        // the pause): the hints are stored under the lock after every change, so they show every
        // change that happened before this drain began. A value pushed concurrently (an owner
        // kept out of its private cache by the gate, a thief's return) is simply not part of
        // this drain and waits for the next one, as if it arrived just after it.
        if self.shared.primary_hint.load(Relaxed) == 0 && self.shared.victim_hint.load(Relaxed) == 0
        {
            if generations == 0 {
                // Drain policy: the private values are this drain's whole haul.
                let count = private.len();
                if count > 0 {
                    dropped(Generation {
                        private,
                        shared: VecDeque::new(),
                    });
                }
                return count;
            }
            if private.is_empty() {
                // Every generation is empty: shifting them would change nothing.
                return 0;
            }
        }
        let mut stash = self.shared.stash.lock();
        let fresh = Generation {
            private,
            shared: mem::take(&mut stash.primary),
        };
        let mut count = 0;
        if generations == 0 {
            count += fresh.len();
            if fresh.len() > 0 {
                dropped(fresh);
            }
        } else {
            stash.victims.push_front(fresh);
        }
        while stash.victims.len() > generations {
            if let Some(old) = stash.victims.pop_back() {
                count += old.len();
                if old.len() > 0 {
                    dropped(old);
                }
            }
        }
        self.shared.primary_hint.store(0, Relaxed);
        self.shared.victim_hint.store(stash.victim_len(), Relaxed);
        count
    }

    /// Takes every value out (for the loom models: needs `&mut`).
    #[cfg(all(loom, test))]
    pub(crate) fn take_all(&mut self) -> Vec<T> {
        // SAFETY: `&mut self` excludes the owner and every other thread.
        let mut all = self
            .owner
            .private
            .with_mut(|p| unsafe { mem::take(&mut *p) });
        let mut stash = self.shared.stash.lock();
        all.extend(stash.primary.drain(..));
        while let Some(v) = stash.pop_victim() {
            all.push(v);
        }
        all
    }
}
