//! A small dense index per live thread: the shard a thread owns in every pool.
//!
//! Indices are recycled when threads exit (smallest first), so a program with a few threads at
//! a time keeps its shard tables small however many threads it starts over its life. A thread
//! that takes over a recycled index inherits the values its predecessor left in that shard.
//!
//! A thread keeps its index from its first pool use until a thread-local destructor (`RELEASE`)
//! hands it back at exit. Thread-local destructors run in the reverse order of registration,
//! so a thread-local the thread touched before its first pool use is destroyed after
//! `RELEASE`; if its destructor uses a pool, nothing is left to hand back an index taken then.
//! Such late uses *lease* an index instead: taken for the one call ([`with`]) and given back
//! when it returns, so no index outlives the thread that took it.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Indices handed out and returned.
struct Allocator {
    next: usize,
    free: BinaryHeap<Reverse<usize>>,
}

static ALLOCATOR: parking_lot::Mutex<Allocator> = parking_lot::const_mutex(Allocator {
    next: 0,
    free: BinaryHeap::new(),
});

const NONE: usize = usize::MAX;

thread_local! {
    /// This thread's index, or NONE. No destructor, so it is readable during thread exit.
    static INDEX: Cell<usize> = const { Cell::new(NONE) };
    /// Returns the index when the thread exits.
    static RELEASE: Release = const { Release(Cell::new(NONE)) };
}

struct Release(Cell<usize>);

impl Drop for Release {
    fn drop(&mut self) {
        let index = self.0.get();
        if index != NONE {
            INDEX.with(|i| i.set(NONE));
            give_back(index);
        }
    }
}

/// Gives a lent index back when the call that leased it returns (or unwinds).
struct Lease(usize);

impl Drop for Lease {
    fn drop(&mut self) {
        INDEX.with(|i| i.set(NONE));
        give_back(self.0);
    }
}

fn take() -> usize {
    let mut alloc = ALLOCATOR.lock();
    match alloc.free.pop() {
        Some(Reverse(index)) => index,
        None => {
            alloc.next += 1;
            alloc.next - 1
        }
    }
}

fn give_back(index: usize) {
    ALLOCATOR.lock().free.push(Reverse(index));
}

/// Calls `f` with the calling thread's index, which no other live thread holds until `f`
/// returns.
#[inline(always)]
pub(crate) fn with<R>(f: impl FnOnce(usize) -> R) -> R {
    let index = INDEX.with(Cell::get);
    if index != NONE {
        f(index)
    } else {
        with_new(f)
    }
}

/// The thread has no index: take one, for the thread's life if `RELEASE` can still return it,
/// else (thread exit, `RELEASE` already destroyed) for this call only.
#[cold]
#[inline(never)]
fn with_new<R>(f: impl FnOnce(usize) -> R) -> R {
    let index = take();
    INDEX.with(|i| i.set(index));
    if RELEASE.try_with(|r| r.0.set(index)).is_ok() {
        return f(index);
    }
    // Calls `f` makes meanwhile (from a `new` function or a value's `Drop`) find INDEX set and
    // use the same index; they return before `f` does, so the lease covers them.
    let _lease = Lease(index);
    f(index)
}

/// How many distinct indices have been handed out (`diagnostics::thread_index_high_water`).
pub(crate) fn high_water() -> usize {
    ALLOCATOR.lock().next
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::with;

    fn current() -> usize {
        with(|index| index)
    }

    #[test]
    fn live_threads_have_distinct_indices() {
        let here = current();
        assert_eq!(here, current());
        let (tx, rx) = std::sync::mpsc::channel();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (tx, barrier) = (tx.clone(), barrier.clone());
                std::thread::spawn(move || {
                    tx.send(current()).unwrap();
                    barrier.wait(); // all four alive at once
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        drop(tx);
        let mut seen: Vec<usize> = rx.iter().collect();
        seen.push(here);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 5);
    }
}
