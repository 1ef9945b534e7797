//! Release: the first step of a young cycle frees every object no handle names, without
//! tracing the heap.
//!
//! A handle count of zero proves an object unreachable: every `Gc` handle counts itself, the
//! ones inside other objects included, and a `WeakGc` cannot make a new handle once its slot
//! is emptied. So before root discovery, a young cycle walks the young list newest first and
//! *releases* each object whose count is zero: its weak slot is emptied, its handles are
//! dropped, and its slot is freed at once. Objects are built bottom-up, so a parent is newer
//! than its children: dropping the parent brings the children's counts to zero before the
//! walk reaches them, and a whole dead tree goes in this one pass, with no trace of the heap.
//! What is left (objects some handle still names) goes on to the count-and-mark passes, which
//! then see only the young objects that may be alive or in garbage cycles.
//!
//! How an object's handles are dropped: a value whose drop only drops the handles its trace
//! visits (`Trace::DROP_IS_TRACE`, `Trace` rule 5: a node of `Gc`s, `Option`s and numbers) is traced
//! once, the tracer decrementing each target's count in place of the skipped drop glue; any
//! other value is dropped normally (its destructor runs), after a trace that lists its
//! targets. Either way, a target whose count reaches zero is released too, from a worklist,
//! if the walk cannot reach it any more: an *old* object (a structure promoted while it was
//! being built, then dropped), so old garbage without a cycle does not wait for a full
//! collection, or a young one the walk has already passed (flagged `VISITED` when kept: an
//! object newer than what held it, as in a tree built top-down). A young one the walk has
//! not reached yet is left to the walk, which releases objects in the order they were built
//! (a parent before its children) without the worklist's detour.
//!
//! The old objects one cycle releases are bounded ([`OldBudget`]: as many as the young list
//! holds, at least 16 Ki, and with incremental cycles on no more than half the pause target's
//! time: old objects are scattered over the whole heap, so each may cost a cache miss): when the last handle to a large promoted structure goes, the rest
//! stays listed and the following young cycles continue, so a young pause stays of the order
//! of the nursery's work. A full cycle or a page sweep, which may free those objects itself,
//! forgets the list first (what it held then waits for a sweep, as old garbage did before).
//!
//! This is deferred reference counting done at collection time: the mutator's handle
//! operations stay a plain increment and decrement, and no destructor runs where a handle is
//! dropped.
//!
//! Why it is sound:
//! - a new handle is made only by cloning an existing one or by upgrading a weak one, so a
//!   zero count can rise again only through a weak handle (a destructor run earlier in the
//!   step may upgrade one): the count is read right before each release, and the release
//!   empties the weak slot before anything else, so a released object's count stays zero;
//! - a young object is freed when the walk reaches its entry, and no other entry names it
//!   (destructors' allocations go to the heap's new young list, not this one);
//! - objects the worklist releases (old ones, and young ones whose entry the walk has passed;
//!   the worklist may hold one twice) are flagged dead when released and freed only after the
//!   walk, so a second look finds the flag; a young entry the walk frees is never on the
//!   worklist (only passed entries are);
//! - the trace is a hint except under `Trace` rule 5: an object is released only after its own count
//!   has been read as zero;
//! - objects left alone: large ones (kept in the space's list), finalizable ones (their
//!   finalizer runs in a full cycle) and dead ones.
//!
//! Destructors run here as in a sweep (the heap's phase is `Sweep`: an allocation takes
//! memory without starting a cycle, `collect()` panics); a panicking destructor or trace is
//! caught and its panic resumed when the cycle has completed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::time::Instant;

use crate::header::{Header, DEAD, OLD, VALUE_DROPPED, VISITED, WEAK};
use crate::heap::Heap;
use crate::prefetch::{prefetch_read, DISTANCE};
use crate::sweep::SweepOutcome;
use crate::trace::{TraceMode, Tracer};

/// What a release step did, beyond the sweep outcome it adds to.
#[derive(Default)]
pub(crate) struct Released {
    /// Objects released.
    pub(crate) objects: usize,
    /// Bytes of old objects among them (the old generation shrank by this much).
    pub(crate) old_bytes: usize,
    /// Time spent on what earlier young cycles left over (old objects past their budget):
    /// not this nursery's work, so the nursery's sizing leaves it out.
    pub(crate) carried_over: std::time::Duration,
    /// Entries at the front of the list the walk did not reach before its deadline (the
    /// oldest): they stay young for the next cycle.
    pub(crate) unvisited: usize,
}

/// How many old objects one young cycle's release may free: as many as the young list holds
/// (at least [`OldBudget::MIN`]), so a young pause stays of the order of the nursery's work
/// even when the last handle to a large promoted structure goes; the rest is released by the
/// following young cycles. With a deadline (incremental cycles on), the release also stops
/// there: old objects lie anywhere in the heap, and releasing one may cost a cache miss or
/// two, so a count alone does not bound the time.
pub(crate) struct OldBudget {
    objects: usize,
    deadline: Option<Instant>,
    /// Objects looked at so far this cycle (the clock is read every `CLOCK_EVERY`).
    looked: usize,
    /// The deadline has been seen to pass: nothing more this cycle.
    expired: bool,
    /// An incremental cycle is marking: no old object may be released (rule 13).
    marking: bool,
}

impl OldBudget {
    const MIN: usize = 16 * 1024;

    /// How many releases pass between two looks at the clock.
    const CLOCK_EVERY: usize = 256;

    fn for_cycle(young: usize, deadline: Option<Instant>) -> OldBudget {
        OldBudget {
            objects: young.max(Self::MIN),
            deadline,
            looked: 0,
            expired: false,
            marking: false,
        }
    }

    /// Whether the release must stop before looking at one more listed object, `old` old
    /// objects having been released.
    #[inline]
    fn spent(&mut self, old: usize) -> bool {
        self.looked += 1;
        if !self.expired && self.looked % Self::CLOCK_EVERY == 0 {
            self.expired = self
                .deadline
                .is_some_and(|deadline| Instant::now() >= deadline);
        }
        self.expired || old >= self.objects
    }
}

/// Whether `header`'s object can be released: no handle names it, and it is an ordinary
/// small, live object without a finalizer.
#[inline]
fn releasable(header: &Header) -> bool {
    header.handles() == 0
        && !header.has(DEAD)
        && header.class().is_some()
        && header.vtable().finalize.is_none()
}

impl Heap {
    /// Releases every object of `young` that no handle names, and the old objects that
    /// frees in turn (see the module docs); removes the released ones from `young`. The
    /// heap's phase must be `Sweep`.
    ///
    /// With a `walk_deadline`, the walk stops there (the clock is read every
    /// [`OldBudget::CLOCK_EVERY`] entries): the entries it did not reach, the oldest, stay at
    /// the front of `young`, untouched, and [`Released::unvisited`] says how many.
    pub(crate) fn release_unnamed(
        &self,
        young: &mut Vec<NonNull<Header>>,
        outcome: &mut SweepOutcome,
        walk_deadline: Option<Instant>,
    ) -> Released {
        let mut tracer = Tracer::new(self.id);
        // What an earlier young cycle's release left over (old objects past its budget) comes
        // first.
        tracer.stack = std::mem::take(&mut *self.release_stack.borrow_mut());
        let mut old = std::mem::take(&mut *self.released.borrow_mut());
        let mut released = Released::default();
        let deadline = self
            .config
            .incremental
            .then(|| Instant::now() + self.config.pause_target / 2);
        let mut budget = OldBudget::for_cycle(young.len(), deadline);
        // While an incremental cycle marks, old objects stay (rule 13).
        budget.marking = self.is_marking();
        let mut released_late = 0;
        if !tracer.stack.is_empty() {
            let carried = Instant::now();
            released_late +=
                self.release_listed(&mut tracer, &mut old, &mut released, &mut budget, outcome);
            released.carried_over = carried.elapsed();
        }
        // Kept entries are moved to the back, in order: `young[kept..]` is the new list. Each
        // is flagged `VISITED`, so that if a later release brings its count to zero (an
        // object newer than what held it: a tree built top-down) the worklist releases it
        // too; it is freed after the walk. Root discovery or promotion clears the flag.
        let mut kept = young.len();
        // Entries `young[..unvisited]` are not reached yet (never `VISITED`, so the worklist
        // never takes one).
        let mut unvisited = 0;
        for i in (0..young.len()).rev() {
            if let Some(deadline) = walk_deadline {
                let walked = young.len() - 1 - i;
                if walked > 0 && walked % OldBudget::CLOCK_EVERY == 0 && Instant::now() >= deadline
                {
                    unvisited = i + 1;
                    break;
                }
            }
            if let Some(ahead) = i.checked_sub(DISTANCE) {
                prefetch_read(young[ahead].as_ptr());
            }
            let object = young[i];
            // SAFETY: young objects are allocated until this walk frees them, once each.
            let header = unsafe { object.as_ref() };
            // Entries are freed at once below; only old objects go through the worklist.
            debug_assert!(!header.has(OLD), "an old object on the young list");
            if !releasable(header) {
                header.set(VISITED);
                kept -= 1;
                young[kept] = object;
                continue;
            }
            self.release_one(object, &mut tracer, outcome);
            released.objects += 1;
            // SAFETY: released: dead, handles dropped, no handle names it (its weak slot is
            // empty, so its zero count stays zero), young (so small and in a page), and only
            // entry `i` named it.
            outcome.bytes_freed += unsafe { self.free_released(object) };
            if !tracer.stack.is_empty() {
                released_late +=
                    self.release_listed(&mut tracer, &mut old, &mut released, &mut budget, outcome);
            }
        }
        // Entries between the unvisited ones and the kept ones were freed.
        young.drain(unvisited..kept);
        // Past the budget, old objects stay listed for the next young cycle; young entries
        // (visited and kept) and anything already released (listed twice) are dropped, before
        // the released ones are freed below.
        tracer.stack.retain(|&object| {
            // SAFETY: listed objects are allocated until the frees below.
            let header = unsafe { object.as_ref() };
            header.has(OLD) && !header.has(DEAD) && !budget.marking
        });
        if released_late > 0 {
            self.free_released_late(young, outcome);
        }
        released.unvisited = unvisited;
        for object in old.drain(..) {
            // SAFETY: released old objects are small, dead, unnamed, and listed once here (a
            // second listing found them dead); no other list of the heap holds them.
            let bytes = unsafe { self.free_released(object) };
            outcome.bytes_freed += bytes;
            released.old_bytes += bytes;
        }
        outcome.objects_freed += released.objects;
        *self.released.borrow_mut() = old;
        *self.release_stack.borrow_mut() = tracer.stack;
        released
    }

    /// Forgets the old objects a release left for the next young cycle (they wait for a
    /// sweep instead). Called before anything else may free them: a full cycle, a page
    /// sweep.
    pub(crate) fn drop_release_carry_over(&self) {
        self.release_stack.borrow_mut().clear();
    }

    /// Releases one object: flags it dead, empties its weak slot and drops its handles (by a
    /// `Release` trace, or by its destructor after a `Candidates` trace). Old targets whose
    /// count may now be zero are left on the tracer's stack.
    #[inline(always)]
    fn release_one(
        &self,
        object: NonNull<Header>,
        tracer: &mut Tracer,
        outcome: &mut SweepOutcome,
    ) {
        // SAFETY: the caller checked the object is allocated and releasable.
        let header = unsafe { object.as_ref() };
        header.set(DEAD | VALUE_DROPPED);
        if header.has(WEAK) {
            self.weak.borrow_mut().invalidate(object);
            header.clear(WEAK);
        }
        let vtable = header.vtable();
        let by_trace = vtable.drop_is_trace;
        if vtable.needs_trace {
            tracer.mode = if by_trace {
                TraceMode::Release
            } else {
                TraceMode::Candidates
            };
            // SAFETY: the value is initialised and not dropped (`DEAD` was clear until now).
            let traced = catch_unwind(AssertUnwindSafe(|| unsafe {
                (vtable.trace)(object, tracer)
            }));
            if let Err(payload) = traced {
                // A `Release` trace cut short leaks the handles it did not reach; a
                // `Candidates` one only loses hints. The object is garbage all the same.
                outcome.destructor_panics += 1;
                outcome.first_panic.get_or_insert(payload);
            }
        }
        if !by_trace && vtable.needs_drop {
            // SAFETY: initialised, and dropped exactly once: `DEAD` is set, so the object is
            // never released or swept again.
            let dropped = catch_unwind(AssertUnwindSafe(|| unsafe { (vtable.drop_value)(object) }));
            if let Err(payload) = dropped {
                outcome.destructor_panics += 1;
                outcome.first_panic.get_or_insert(payload);
            }
        }
    }

    /// Releases what the tracer listed whose count is zero, and what that lists in turn (old
    /// objects go to `old`). Returns how many young objects it released (entries the walk
    /// has passed; freed after the walk).
    #[inline(never)]
    fn release_listed(
        &self,
        tracer: &mut Tracer,
        old: &mut Vec<NonNull<Header>>,
        released: &mut Released,
        budget: &mut OldBudget,
        outcome: &mut SweepOutcome,
    ) -> usize {
        let mut young = 0;
        while !budget.spent(old.len()) {
            let Some(next) = tracer.stack.pop() else {
                break;
            };
            // SAFETY: the tracer lists old objects and visited young ones, which are
            // allocated: they had a handle when listed, and released ones are freed only after
            // the walk.
            let header = unsafe { next.as_ref() };
            if budget.marking && header.has(OLD) {
                // It may have existed at the start and been counted: releasing it would drop
                // handles its targets' internal counts still include (rules 12 and 13). It
                // waits for a sweep.
                continue;
            }
            if releasable(header) {
                self.release_one(next, tracer, outcome);
                released.objects += 1;
                if header.has(OLD) {
                    old.push(next);
                } else {
                    young += 1;
                }
            }
        }
        young
    }

    /// Frees the kept entries of `young` the worklist released after the walk had passed
    /// them, and drops their entries. (Entries the walk did not reach are never released by
    /// the worklist, so they stay where they are, at the front.)
    #[cold]
    #[inline(never)]
    fn free_released_late(&self, young: &mut Vec<NonNull<Header>>, outcome: &mut SweepOutcome) {
        young.retain(|&object| {
            // SAFETY: listed entries are allocated until freed here, once each.
            if !unsafe { object.as_ref() }.has(DEAD) {
                return true;
            }
            // SAFETY: released (dead, handles dropped, count zero for good), young, and its
            // only list entry is being removed.
            outcome.bytes_freed += unsafe { self.free_released(object) };
            false
        });
    }

    /// Frees a released object's slot; returns its bytes.
    ///
    /// # Safety
    /// The object was released (dead, handles dropped, count zero), is small, and no list of
    /// the heap names it any more.
    #[inline(always)]
    unsafe fn free_released(&self, object: NonNull<Header>) -> usize {
        // SAFETY: forwarded to the caller (released objects are small, so in a page).
        unsafe { self.space.borrow_mut().free_small(object) }
    }
}
