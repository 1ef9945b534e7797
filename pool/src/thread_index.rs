//! A small dense index per live thread: the shard a thread owns in every pool.
//!
//! Indices are recycled when threads exit (smallest first), so a program with a few threads at
//! a time keeps its shard tables small however many threads it starts over its life. A thread
//! that takes over a recycled index inherits the values its predecessor left in that shard.

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
            ALLOCATOR.lock().free.push(Reverse(index));
        }
    }
}

/// The calling thread's index: unique among live threads.
#[inline(always)]
pub(crate) fn current() -> usize {
    let index = INDEX.with(Cell::get);
    if index != NONE {
        index
    } else {
        assign()
    }
}

#[cold]
fn assign() -> usize {
    let index = {
        let mut alloc = ALLOCATOR.lock();
        match alloc.free.pop() {
            Some(Reverse(index)) => index,
            None => {
                alloc.next += 1;
                alloc.next - 1
            }
        }
    };
    INDEX.with(|i| i.set(index));
    // During thread exit, after RELEASE is gone, the index is simply never returned.
    let _ = RELEASE.try_with(|r| r.0.set(index));
    index
}

/// How many distinct indices have been handed out (`diagnostics::thread_index_high_water`).
pub(crate) fn high_water() -> usize {
    ALLOCATOR.lock().next
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::current;

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
