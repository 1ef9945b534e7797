//! The barriers of an incremental full cycle (rules 8 to 11 of the crate docs).
//!
//! While a heap marks incrementally, the program keeps running between the collector's steps
//! and moves handles around. Root discovery counts each object's handles found inside the heap
//! and calls it a root when it has more handles than that. The danger (the trap named in
//! `tests/incremental.rs`): a handle that root discovery counted *inside* the heap leaves for
//! the outside after its target was checked, and the object that held it loses its last
//! outside handle before its own check. Nothing would then mark the target. Every way a
//! handle can leave a counted place, or come into being, is therefore watched:
//!
//! - **Clone and upgrade** ([`on_new_handle`]): a new handle to an old object that is not
//!   marked yet greys it (Go's "shade" of the object a pointer write installs).
//! - **The first mutable borrow of a `GcCell` in a cycle** ([`on_cell_write`]): greys every
//!   handle the cell held before (Yuasa's snapshot barrier) and stamps the cell with the
//!   thread's epoch; later borrows in the same cycle log nothing (coalescing, as LXR does).
//!   Counting skips a cell stamped in the current cycle, so a handle stored after the cycle
//!   began is never counted as internal and its target looks held from outside for as long as
//!   the handle stays there.
//!
//! Handles and heaps are `!Send`, so all of this is per thread: a thread-local count of the
//! heaps marking on this thread keeps the barriers to one predictable branch when none is, and
//! greyed objects go to a thread-local log that each marking heap drains into its mark stack.

use std::cell::{Cell, RefCell};
use std::ptr::NonNull;

use crate::header::{Header, DEAD, MARKED, OLD};

thread_local! {
    /// Heaps of this thread that are marking incrementally, by id (almost always zero or one).
    static MARKING: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    /// Whether `MARKING` is non-empty: the barriers' one test.
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    /// Objects the barriers greyed (already flagged `MARKED`), for their heaps to trace.
    static GREYED: RefCell<Vec<NonNull<Header>>> = const { RefCell::new(Vec::new()) };
    /// The cell-stamp epoch: raised when any heap of the thread starts an incremental cycle.
    static EPOCH: Cell<u32> = const { Cell::new(1) };
}

/// The epoch at which stamps stop being trusted (see [`saturated`]).
const SATURATED: u32 = u32::MAX;

/// Whether some heap of this thread is marking incrementally.
#[inline(always)]
pub(crate) fn active() -> bool {
    // During thread teardown the flag may be gone; no heap can be marking then.
    ACTIVE.try_with(Cell::get).unwrap_or(false)
}

/// The current epoch, for stamping cells.
#[inline]
pub(crate) fn epoch() -> u32 {
    EPOCH.with(Cell::get)
}

/// Once the epoch has run through every value (4 billion incremental cycles on one thread), a
/// stamp can no longer tell this cycle from an old one: the epoch then stays at its last value,
/// every cell write runs the barrier, and counting skips no cell. That is sound (without
/// coalescing, every handle that leaves a cell is greyed) and only slower.
#[inline]
pub(crate) fn saturated(epoch: u32) -> bool {
    epoch == SATURATED
}

/// Registers heap `id` as marking and opens a new epoch; returns the epoch, which the cycle's
/// counting compares stamps with.
pub(crate) fn start_marking(id: u32) -> u32 {
    MARKING.with(|m| m.borrow_mut().push(id));
    ACTIVE.with(|a| a.set(true));
    EPOCH.with(|e| {
        let next = e.get().saturating_add(1);
        e.set(next);
        next
    })
}

/// Unregisters heap `id`, and forgets the greyed objects of its heap still in the log (the
/// caller has traced them, or is abandoning the cycle).
pub(crate) fn stop_marking(id: u32) {
    // During thread teardown the registries may be gone; nothing is marking then.
    let _ = MARKING.try_with(|m| {
        let mut m = m.borrow_mut();
        m.retain(|&other| other != id);
        let _ = ACTIVE.try_with(|a| a.set(!m.is_empty()));
    });
    let _ = GREYED.try_with(|g| {
        g.borrow_mut().retain(|object| {
            // SAFETY: a greyed object is marked, so no sweep has freed it: sweeps run only
            // once its heap's mark is over, and that heap leaves the log first.
            unsafe { object.as_ref() }.heap_id != id
        })
    });
}

/// Moves the objects of heap `id` that the barriers greyed onto `stack`.
pub(crate) fn drain_greyed(id: u32, stack: &mut Vec<NonNull<Header>>) {
    GREYED.with(|g| {
        let mut g = g.borrow_mut();
        if g.is_empty() {
            return;
        }
        g.retain(|&object| {
            // SAFETY: as in `stop_marking`.
            if unsafe { object.as_ref() }.heap_id == id {
                stack.push(object);
                false
            } else {
                true
            }
        });
    });
}

/// Whether heap `id` is marking on this thread.
fn is_marking(id: u32) -> bool {
    MARKING.with(|m| m.borrow().contains(&id))
}

/// Greys `object` if its heap is marking and the object is old, live and not yet marked.
/// Returns whether it did.
#[inline]
pub(crate) fn grey(object: NonNull<Header>) -> bool {
    // SAFETY: the caller holds a handle to the object (or is tracing a value that does), so
    // it is allocated.
    let header = unsafe { object.as_ref() };
    if !header.has(OLD) || header.has(MARKED | DEAD) || !is_marking(header.heap_id) {
        return false;
    }
    header.set(MARKED);
    GREYED.with(|g| g.borrow_mut().push(object));
    true
}

/// The barrier of `Gc::clone` and `WeakGc::upgrade` (rule 9): a new handle to `object`.
#[cold]
#[inline(never)]
pub(crate) fn on_new_handle(object: NonNull<Header>) {
    grey(object);
}

/// Whether a cell stamped `stamp` must run the write barrier now (rule 10): it has not been
/// written since the newest incremental cycle of this thread began.
#[inline]
pub(crate) fn cell_needs_barrier(stamp: u32) -> bool {
    let now = epoch();
    stamp != now || saturated(now)
}

/// For counting: whether a cell stamped `stamp` was written during the cycle that began at
/// epoch `start` (its contents were greyed when it was first written, and what was stored
/// since must not count as internal).
#[inline]
pub(crate) fn written_since(stamp: u32, start: u32) -> bool {
    !saturated(start) && stamp >= start
}
