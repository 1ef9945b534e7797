//! One collection cycle, as explicit timed phases:
//!
//! 1. `gc_start`: detach every object pool's contents and drop this thread's `LocalPool`
//!    values, so a handle only a pool held is dropped now and its object is collected by this
//!    same cycle (Go's `gcStart` -> `clearpools`);
//! 2. root discovery ([`crate::roots`]): count internal references, find the objects held from
//!    outside;
//! 3. mark ([`crate::mark`]): everything the roots reach, iteratively; then the unreachable
//!    finalizable objects and what they reach ([`crate::finalize`]);
//! 4. sweep ([`crate::sweep`]): condemn the unmarked objects, run the finalizers, drop the
//!    condemned values, free their memory;
//! 5. `gc_end`: statistics and the next pacing goal; then, outside the pause, the shared pools'
//!    detached values are dropped, and gctrace and the observers run.
//!
//! The heap's [`Phase`] is set before each step, so `collect()` and allocation can refuse to
//! run where they would corrupt the cycle (re-entrancy from `trace`, destructors, observers).
//!
//! Which sweep runs: a pacing-triggered cycle leaves its sweep to the allocations that follow
//! (`lazy.rs`), keeping only the weak-slot invalidation and the finalizers in the pause; every
//! other trigger (`collect()`, the limit, torture, heap drop) sweeps eagerly, so `collect()`
//! returns with the heap exact. Step 0 of every cycle finishes what a lazy sweep left
//! (`CycleStats::sweep_finish`), before anything is counted. Young cycles (`young.rs`) are a
//! separate, smaller cycle over the young list; a full cycle's root pass makes every object
//! old and empties the young list.
//!
//! Where the next steps plug in: an incremental mark would split `roots_and_mark` at page
//! boundaries (the count pass walks pages in address order), and mark bits could move from the
//! headers to per-page bitmaps (the page index is already found by masking an address), which
//! would let the sweep skip live objects instead of clearing their mark bit.

use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use prologue_pool::DetachedPools;

use crate::header::Header;
use crate::header::MARKED;
use crate::heap::{Heap, Phase};
use crate::mark::mark;
use crate::recorder::PauseKind;
use crate::roots::discover_roots;
use crate::stats::{CycleStats, Trigger};
use crate::sweep::{
    condemn_large, condemn_page_in_place, drop_values, free_dead, free_unnamed, list_dead,
    SweepOutcome,
};

/// A cycle's first phase, Go's `gcStart` -> `clearpools`: detaches the contents of every
/// registered pool (O(pools): no value is touched) and drops right away the values taken from
/// this thread's `LocalPool`s, the only pooled values that can hold `Gc` handles (handles are
/// `!Send`). Objects only a pool kept alive are therefore collected by this same cycle. The
/// values of the shared pools (all `Send`, so without handles) are dropped by `gc_end`, after
/// the pause.
pub(crate) fn gc_start() -> DetachedPools {
    let mut detached = prologue_pool::detach_pools();
    detached.drop_local();
    detached
}

/// What root discovery and mark found.
struct Marking {
    roots: usize,
    /// Objects marked (roots included).
    objects: usize,
    /// Their bytes (slots, or large allocations).
    bytes: usize,
    roots_time: Duration,
    mark_time: Duration,
}

/// Puts the heap back to idle if a phase unwinds.
struct PhaseGuard<'a>(&'a Cell<Phase>);

impl Drop for PhaseGuard<'_> {
    fn drop(&mut self) {
        self.0.set(Phase::Idle);
    }
}

impl Heap {
    /// Runs one full cycle (see the module docs). A pacing-triggered cycle leaves its sweep to
    /// the allocations that follow (`lazy.rs`); every other trigger sweeps eagerly.
    #[track_caller]
    pub(crate) fn run_cycle(&self, trigger: Trigger) -> CycleStats {
        let phase = self.phase.get();
        if phase != Phase::Idle {
            panic!(
                "prologue-gc: collect() called re-entrantly (from Trace::trace, a finalizer, a \
                 destructor run by the sweep, a pool drain or a cycle observer; the heap is in \
                 phase {phase:?}); a heap runs one cycle at a time"
            );
        }
        let _span = crate::spans::enter(crate::spans::Stop::Full, self.id);
        // A whole cycle replaces an incremental one in progress (rule 12).
        let abandoned = self.abandon_incremental();
        let _idle_on_exit = PhaseGuard(&self.phase);
        let at = crate::gctrace::since_start();
        let start = Instant::now();
        self.flush_slot_caches();
        // This cycle frees the old garbage a young release left listed: forget the list.
        self.drop_release_carry_over();

        // 0. What the last lazy sweep left is finished before anything is counted.
        let sweep_finish_panic = self.finish_sweep();
        let sweep_finish = start.elapsed();
        let heap_before = self.space.borrow().bytes();
        let objects_before = self.objects.get();

        // 1. gc_start.
        self.phase.set(Phase::ClearPools);
        let pools_start = Instant::now();
        // The final cycle of a heap being dropped leaves the process's pools alone: dropping
        // one heap should not empty everyone's pools, and a heap dropped during thread
        // teardown may outlive the pools' thread-local registry. Objects only a pool holds
        // are then leaked with the heap's other survivors (still valid).
        let detached = if trigger == Trigger::HeapDrop {
            None
        } else {
            Some(gc_start())
        };
        let clear_pools = pools_start.elapsed();

        // 2 and 3. Root discovery and mark run user `trace` code: a panic there leaves marks
        // and counts half set, so reset them before letting it continue.
        self.phase.set(Phase::Roots);
        let mut ready: Vec<NonNull<Header>> = Vec::new();
        let traced = catch_unwind(AssertUnwindSafe(|| self.roots_and_mark(&mut ready)));
        let marking = match traced {
            Ok(result) => {
                // The root pass made every object old: the young generation starts empty.
                self.young.borrow_mut().clear();
                self.young_bytes.set(0);
                result
            }
            Err(payload) => {
                self.reset_after_trace_panic();
                // Drop the shared pools' values now rather than while unwinding, where a
                // second panic would abort.
                if let Some(detached) = detached {
                    let _ = catch_unwind(AssertUnwindSafe(|| detached.finish()));
                }
                resume_unwind(payload);
            }
        };

        // 4. Sweep: condemn, run the finalizers while every object is intact, then drop and
        // free what was condemned (eager), or leave the pages to the allocations (lazy).
        self.phase.set(Phase::Sweep);
        let sweep_start = Instant::now();
        let lazy = trigger == Trigger::Pacing;
        let mut outcome = SweepOutcome::default();
        let mut doomed = self.doomed.borrow_mut();
        if lazy {
            self.weak.borrow_mut().invalidate_unmarked();
            self.space.borrow_mut().begin_lazy_sweep();
        } else {
            // Small objects are flagged in place (the pages holding any are noted); large ones
            // are listed.
            doomed.clear();
            let mut dead_pages = self.dead_pages.borrow_mut();
            dead_pages.clear();
            let mut space = self.space.borrow_mut();
            let mut weak = self.weak.borrow_mut();
            for page in 0..space.page_count() {
                if condemn_page_in_place(&space, page, &mut weak) {
                    dead_pages.push(page);
                }
            }
            condemn_large(&mut space, &mut weak, &mut doomed);
        }
        let (finalize, finalizer_panics, finalizer_panic) = if ready.is_empty() {
            (Duration::ZERO, 0, None)
        } else {
            self.phase.set(Phase::Finalize);
            let finalize_start = Instant::now();
            let (panics, first) = self.run_finalizers(&ready);
            self.phase.set(Phase::Sweep);
            (finalize_start.elapsed(), panics, first)
        };
        if !lazy {
            // One pass over the pages holding dead objects, last page first: each page's dead
            // values are dropped, then those of its dead objects no handle names are freed at
            // once (rule 5: nothing can reach them, so no destructor run later can either);
            // the rest wait in `pending` for the end, when every value is dropped, and only
            // then become zombies. Pages go last first because structures are built bottom-up
            // (a parent allocated after its children, so usually at a higher address): its
            // drop brings its children's counts to zero before their page is reached. Large
            // values go first (a large vector of handles holds many small objects). Each
            // page's dead objects are found again in the page (destructors may allocate
            // meanwhile: new objects are not dead, and the pages noted are not released before
            // the end).
            drop_values(&doomed, &mut outcome);
            let dead_pages = std::mem::take(&mut *self.dead_pages.borrow_mut());
            let mut page_doomed = std::mem::take(&mut *self.page_doomed.borrow_mut());
            let mut pending = Vec::new();
            self.space.borrow_mut().note_peak();
            for &page in dead_pages.iter().rev() {
                page_doomed.clear();
                list_dead(&self.space.borrow(), page, false, &mut page_doomed);
                drop_values(&page_doomed, &mut outcome);
                free_unnamed(
                    &mut self.space.borrow_mut(),
                    &mut page_doomed,
                    &mut pending,
                    &mut outcome,
                );
            }
            let mut space = self.space.borrow_mut();
            free_dead(&mut space, &mut pending, &mut outcome);
            free_dead(&mut space, &mut doomed, &mut outcome);
            space.rebuild_lists();
            drop(space);
            *self.dead_pages.borrow_mut() = dead_pages;
            *self.page_doomed.borrow_mut() = page_doomed;
        }
        drop(doomed);
        let sweep_time = sweep_start.elapsed().saturating_sub(finalize);
        let pause = start.elapsed();

        // 5. gc_end: bookkeeping first, so a panic in what follows leaves the heap exact.
        self.phase.set(Phase::End);
        let objects_freed = if lazy {
            // Found unreachable now, dropped and freed by the allocations that follow.
            objects_before.saturating_sub(marking.objects)
        } else {
            self.objects.set(self.objects.get() - outcome.objects_freed);
            outcome.objects_freed
        };
        let (heap_after, zombies, zombie_bytes) = {
            let space = self.space.borrow();
            (space.bytes(), space.zombies, space.zombie_bytes)
        };
        // Pacing counts what survives: after an eager sweep the whole heap; after a lazy one
        // the marked bytes and the zombies (the garbage still in the pages is not counted).
        let live = if lazy {
            marking.bytes + zombie_bytes
        } else {
            heap_after
        };
        self.paced.set(live);
        let mut pacer = self.pacer.get();
        let next_goal = pacer.end_cycle(live);
        self.pacer.set(pacer);
        let cycle = self
            .recorder
            .borrow_mut()
            .count_cycle(outcome.objects_freed);
        // Outside the pause: drop what the shared pools held.
        let pool_drop_start = Instant::now();
        let (pools_drained, pool_items_drained, pool_panic) = match detached {
            None => (0, 0, None),
            Some(detached) => {
                let (pools, items) = (detached.pools(), detached.items());
                let result = catch_unwind(AssertUnwindSafe(|| detached.finish()));
                (pools, items, result.err())
            }
        };
        let pool_drop = pool_drop_start.elapsed();
        // The stops of an incremental cycle this one replaced are reported as this one's.
        let (at, earlier_stops, earlier_pause, longest_stop, wall) = match &abandoned {
            None => (at, 0, Duration::ZERO, pause, pause),
            Some(a) => (
                a.at,
                a.stops,
                a.pause,
                a.longest.max(pause),
                a.started.elapsed(),
            ),
        };
        let stats = CycleStats {
            cycle,
            trigger,
            at,
            pause: earlier_pause + pause,
            incremental: false,
            stops: earlier_stops + 1,
            longest_stop,
            wall,
            outrun: false,
            unexamined: false,
            sweep_finish,
            clear_pools,
            release: Duration::ZERO,
            objects_released: 0,
            roots: marking.roots_time,
            mark: marking.mark_time,
            finalize,
            sweep: sweep_time,
            lazy_sweep: lazy,
            pool_drop,
            roots_found: marking.roots,
            objects_freed,
            bytes_freed: outcome.bytes_freed,
            objects_live: marking.objects,
            bytes_live: if lazy {
                marking.bytes
            } else {
                heap_after - zombie_bytes
            },
            zombies,
            heap_before,
            heap_after,
            next_goal,
            pools_drained,
            pool_items_drained,
            finalized: ready.len(),
            destructor_panics: outcome.destructor_panics + finalizer_panics,
        };
        self.record_pause(start, pause, PauseKind::Full);
        self.report_cycle(&stats);
        if self.config.torture {
            self.verify_now();
        }
        drop(_idle_on_exit);
        if let Some(payload) = sweep_finish_panic
            .or(finalizer_panic)
            .or(outcome.first_panic)
            .or(pool_panic)
        {
            resume_unwind(payload);
        }
        stats
    }

    /// Phases 2 and 3, then the marking of unreachable finalizable objects (which fills
    /// `ready`).
    fn roots_and_mark(&self, ready: &mut Vec<NonNull<Header>>) -> Marking {
        let space = self.space.borrow();
        let mut tracer = self.tracer.borrow_mut();
        let roots_start = Instant::now();
        let roots = discover_roots(&space, &mut tracer);
        let roots_time = roots_start.elapsed();
        self.phase.set(Phase::Mark);
        let mark_start = Instant::now();
        tracer.marked_bytes = 0;
        let mut objects = mark(&mut tracer);
        if !self.finalizable.borrow().is_empty() {
            objects += self.mark_finalizable(&mut tracer, ready);
        }
        // A huge list's stack is worth keeping for the next cycle, but not forever.
        if tracer.stack.capacity() > 1 << 20 && tracer.stack.capacity() > self.objects.get() {
            tracer.stack.shrink_to(1 << 20);
        }
        Marking {
            roots,
            objects,
            bytes: tracer.marked_bytes,
            roots_time,
            mark_time: mark_start.elapsed(),
        }
    }

    /// After a panic in user `trace` code: forget the half-done cycle. The root pass may
    /// have aged some objects, so all of them become old (the young list must hold exactly
    /// the objects that are not old).
    fn reset_after_trace_panic(&self) {
        self.space.borrow().for_each_object(|object| {
            // SAFETY: every object of the space is allocated.
            let header = unsafe { object.as_ref() };
            header.reset_internal_and_age();
            header.clear(MARKED);
        });
        self.young.borrow_mut().clear();
        self.young_bytes.set(0);
        self.tracer.borrow_mut().stack.clear();
    }
}
