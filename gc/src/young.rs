//! The young generation: cycles that look only at the objects allocated since the last cycle.
//!
//! Most objects die young; a full cycle re-counts and re-marks the whole old heap to find
//! that out. A young cycle instead walks the *young list* (every object allocated since the
//! last cycle, except large and finalizable ones, which start old):
//!
//! 1. **release** (`release.rs`): every young object no handle names is freed at once, with
//!    what that frees in turn (old objects too), by reference counting: most young garbage
//!    goes here, without being traced;
//! 2. root discovery, over what is left, counts only edges from young objects into young
//!    objects (the tracer's `young_only`). A young object referenced by an old one then has
//!    more handles than young internal references and is a root, so **no write barrier is
//!    needed**: with count-rooted handles, an old-to-young edge is just one more handle the
//!    young cycle did not find among young objects (CPython's generational collector relies
//!    on the same fact);
//! 3. mark follows only young objects;
//! 4. the sweep drops and frees the unmarked young objects (young garbage cycles, mostly) and
//!    promotes every survivor (flag `OLD`).
//!
//! Survivors are promoted at their first young cycle. A structure that was merely under
//! construction then dies old. If its last handle was inside a young object, the release step
//! of a later young cycle frees it (it follows released objects' handles into the old
//! generation), as long as it holds no cycle. If its last handle was anywhere else (a local,
//! a host struct, an old object's field), no young cycle looks at it: it waits for the next
//! full cycle. Early promotion still costs little, while keeping survivors young for a second
//! look would trace every one of them twice (the binary_trees bench ran slower with a second
//! look than with promotion at once).
//!
//! Counting and marking is what makes a survivor cost more than a released object: two
//! traces each. When the survivors are structures caught half built (a tree under
//! construction, held by the builder's locals), the mark keeps them all and proves nothing.
//! So a young cycle whose mark freed (almost) no garbage cycles, under one in 32 of the
//! objects it examined, lets the next seven young cycles promote what their release leaves as
//! it stands (`CycleStats::unexamined`), and the eighth looks again. Promoting proves nothing
//! dead, so it is sound by construction; a garbage cycle promoted so waits for a full cycle,
//! and a program that makes them keeps every young cycle examined.
//!
//! With incremental cycles on, a young cycle is bounded twice over: the nursery is sized so
//! that a cycle takes about half the pause target (from the last examined cycle's time per
//! byte: a cycle that only releases costs less per byte, and sized on one, the nursery would
//! grow past what the next examined cycle can do in time), and
//! a cycle that still reaches the pause target (a program that suddenly keeps everything it
//! allocates: the nursery was sized on garbage, which costs less per byte than survivors)
//! stops marking there and promotes every young object as it stands (`outrun`). Promoting
//! proves nothing dead, so it frees nothing a whole mark would keep; its garbage waits for a
//! full cycle. The release walk itself stops at half the pause target (a sizing that lags
//! behind the program, a slow machine): the entries it has not reached, the oldest, stay
//! young for the next cycle, what it kept is promoted, and the nursery shrinks towards what
//! it walked.
//!
//! Young cycles do not drain the pools (Go's users already complain that pools empty too
//! often) and do not run finalizers. Garbage cycles through old objects wait for a full
//! cycle, which pacing starts when the *old* generation has grown by `gc_percent` over what
//! the last full cycle left live: promoted survivors count as old growth, released old
//! objects as old shrinkage. A young cycle starts when the bytes allocated young reach
//! [`Config::young_bytes`](crate::Config::young_bytes), or earlier if the full goal is
//! closer.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use std::ptr::NonNull;

use crate::header::{Header, DEAD, MARKED, OLD, VALUE_DROPPED, VISITED, WEAK};
use crate::heap::{Heap, Phase};
use crate::mark::{mark, mark_until};
use crate::prefetch::{prefetch_read, DISTANCE};
use crate::recorder::PauseKind;
use crate::roots::discover_young_roots;
use crate::stats::{CycleStats, Trigger};
use crate::sweep::{free_dead, Doomed, SweepOutcome};

/// The smallest nursery the pause target may size (young cycles have fixed costs too).
const MIN_NURSERY: usize = 64 << 10;

/// Young cycles that promote without counting and marking after one whose mark found almost
/// no garbage cycles (see [`skips_after`]).
const SKIPS: u8 = 7;

/// How many of the next young cycles may promote what their release leaves without counting
/// and marking it, after one that examined `examined` objects and freed `cycles_freed` of
/// them (garbage cycles, which only the mark finds): [`SKIPS`] when that was under one in 32,
/// else none. The mark is what makes survivors cost twice their release: when it keeps
/// nearly everything (structures caught half built), looking again at every young cycle only
/// confirms what the last one found.
fn skips_after(examined: usize, cycles_freed: usize) -> u8 {
    if examined > 0 && cycles_freed.saturating_mul(32) < examined {
        SKIPS
    } else {
        0
    }
}

impl Heap {
    /// Which cycle, if any, an allocation of `size` young bytes should run first: a young one
    /// when the young bytes reach the nursery (or the full goal, if closer); a full one when
    /// the full goal is so close that a young cycle would find almost nothing to do (under a
    /// sixteenth of the nursery left), so tiny young cycles do not pile up before it.
    #[inline]
    pub(crate) fn young_due(&self, size: usize) -> Option<Trigger> {
        let nursery = self.nursery.get();
        if nursery == 0 {
            return None;
        }
        if self.is_marking() {
            // The cycle under way is the full one: only the nursery's size matters.
            return (self.young_bytes.get() + size > nursery).then_some(Trigger::Young);
        }
        let room = self.pacer.get().room(self.paced.get());
        if self.young_bytes.get() + size <= nursery.min(room) {
            None
        } else if room < nursery / 16 {
            Some(Trigger::Pacing)
        } else {
            Some(Trigger::Young)
        }
    }

    /// Sweeps the young list in two passes, like every other sweep (rule 4 of the crate
    /// docs): first every unmarked object is flagged dead and its weak slot emptied, with no
    /// user code running, so no destructor can upgrade a weak handle to an object this sweep
    /// kills; then, newest first, each dead value is dropped and its slot freed at once if no
    /// handle names it. What a handle still names stays in `deferred`, for [`free_dead`] once
    /// every value is dropped. Marked objects were promoted (flag `OLD`) by the mark and are
    /// skipped.
    ///
    /// Newest first because objects are built bottom-up: a parent is younger than what it
    /// points to, so dropping it first brings its children's counts to zero before the pass
    /// reaches them, and most garbage is freed in this one pass. Freeing before the other
    /// drops is safe: a count of zero means no handle to the object exists anywhere, so no
    /// destructor run later can reach it. A destructor that reaches a dead object not yet
    /// dropped panics, as in an eager sweep.
    fn sweep_young(
        &self,
        young: &[NonNull<Header>],
        deferred: &mut Vec<Doomed>,
        outcome: &mut SweepOutcome,
    ) {
        {
            let mut weak = self.weak.borrow_mut();
            for (i, &object) in young.iter().enumerate().rev() {
                if let Some(ahead) = i.checked_sub(DISTANCE) {
                    prefetch_read(young[ahead].as_ptr());
                }
                // SAFETY: young objects are allocated until the pass below frees them.
                let header = unsafe { object.as_ref() };
                if header.has(OLD) {
                    continue;
                }
                header.set(DEAD | OLD);
                if header.has(WEAK) {
                    weak.invalidate(object);
                    header.clear(WEAK);
                }
                deferred.push(Doomed { header: object });
            }
        }
        let mut kept = 0;
        for i in 0..deferred.len() {
            let object = deferred[i].header;
            // SAFETY: condemned above and allocated until freed here or by `free_dead`.
            let header = unsafe { object.as_ref() };
            header.set(VALUE_DROPPED);
            outcome.objects_freed += 1;
            if header.vtable().needs_drop {
                let drop_value = header.vtable().drop_value;
                // SAFETY: the value is initialised and dropped exactly once (the object is
                // flagged dead, so no other sweep drops it, and this entry is visited once).
                let result = catch_unwind(AssertUnwindSafe(|| unsafe { drop_value(object) }));
                if let Err(payload) = result {
                    outcome.destructor_panics += 1;
                    outcome.first_panic.get_or_insert(payload);
                }
            }
            if header.handles() == 0 {
                // SAFETY: dead, value dropped, no handle names it, and in no list once this
                // entry is dropped below; young objects are small (large ones start old), so
                // it is in a page.
                outcome.bytes_freed += unsafe { self.space.borrow_mut().free_small(object) };
            } else {
                deferred[kept] = deferred[i];
                kept += 1;
            }
        }
        deferred.truncate(kept);
    }

    /// With incremental cycles on, sizes the nursery by the pause target: a young cycle that
    /// took `pause` for `bytes` of young objects is taken to cost the same per byte next time,
    /// and the nursery moves halfway towards what fits in half the pause target, between
    /// [`MIN_NURSERY`] and [`Config::young_bytes`](crate::Config::young_bytes).
    fn size_nursery(&self, bytes: usize, pause: Duration) {
        if !self.config.incremental || bytes == 0 {
            return;
        }
        let target = self.config.pause_target.as_nanos() / 2;
        let fits = (bytes as u128 * target / pause.as_nanos().max(1)).min(usize::MAX as u128);
        let next = (self.nursery.get() + fits as usize) / 2;
        self.nursery.set(next.clamp(
            MIN_NURSERY.min(self.config.young_bytes),
            self.config.young_bytes,
        ));
    }

    /// Averages the share of young bytes that survived this cycle (`promoted` of `walked`)
    /// into [`young_survival`](Heap::young_survival), halfway each cycle.
    fn note_survival(&self, walked: usize, promoted: usize) {
        if walked == 0 {
            return;
        }
        let share = (promoted.min(walked) as u128 * 256 / walked as u128) as u32;
        self.young_survival
            .set((self.young_survival.get() + share).div_ceil(2));
    }

    /// A young cycle's mark that reached its deadline gives up, and every young object is
    /// promoted as it stands, whether the mark reached it, left it on its stack, or had not
    /// got to it yet: promoting proves nothing dead, so no object is freed that a finished
    /// mark would have kept, and the garbage among them waits for a full cycle (or for a
    /// later young cycle's release, if no cycle holds it). The internal counts a root
    /// discovery cut short left, and the release walk's "visited" flags, are cleared here.
    /// Returns the objects and bytes promoted: the whole list.
    ///
    /// While an incremental cycle marks, the young objects were born marked (black), and
    /// keep the mark: the full cycle's sweep must keep them (rule 8).
    pub(crate) fn promote_unexamined(&self, young: &[NonNull<Header>]) -> (usize, usize) {
        let keep = if self.is_marking() { MARKED } else { 0 };
        let mut bytes = 0;
        for &object in young {
            // SAFETY: young objects are allocated (the release freed and removed its own).
            let header = unsafe { object.as_ref() };
            debug_assert!(!header.has(DEAD), "a dead object on the young list");
            header.clear(VISITED | (MARKED & !keep));
            header.reset_internal();
            header.set(OLD);
            // SAFETY: as above.
            bytes += unsafe { Header::footprint(object) };
        }
        (young.len(), bytes)
    }

    /// Runs one young cycle (see the module docs). The heap must be idle.
    #[inline(never)]
    pub(crate) fn run_young_cycle(&self) -> CycleStats {
        debug_assert_eq!(self.phase.get(), Phase::Idle);
        let _span = crate::spans::enter(crate::spans::Stop::Young, self.id);
        struct Idle<'a>(&'a Heap);
        impl Drop for Idle<'_> {
            fn drop(&mut self) {
                self.0.phase.set(Phase::Idle);
            }
        }
        let _idle_on_exit = Idle(self);
        let at = crate::gctrace::since_start();
        let start = Instant::now();
        self.flush_slot_caches();
        let heap_before = self.space.borrow().bytes();
        let nursery_bytes = self.young_bytes.get();
        let mut young = std::mem::take(&mut *self.young.borrow_mut());
        // What the last walk did not reach goes to the back, where this walk starts: each walk
        // makes progress on the oldest entries (the list may have changed since: a full cycle
        // empties it, so the count is a bound).
        let backlog = self.young_backlog.replace(0).min(young.len());
        young.rotate_left(backlog);

        // Release what no handle names (dead trees, mostly) before tracing anything.
        self.phase.set(Phase::Sweep);
        let release_start = Instant::now();
        let mut outcome = SweepOutcome::default();
        // With incremental cycles on, the walk stops at half the pause target: what it has
        // not reached (the oldest entries) stays young for the next cycle, and what it kept
        // is promoted as it stands (see `outrun`).
        let walk_deadline = self
            .config
            .incremental
            .then(|| start + self.config.pause_target / 2);
        let released = self.release_unnamed(&mut young, &mut outcome, walk_deadline);
        let unvisited: Vec<NonNull<Header>> = young.drain(..released.unvisited).collect();
        let cut = !unvisited.is_empty();
        // Destructors the release ran may have allocated, and stored the new objects in live
        // ones: they are young, and must be counted and marked with the rest (an object the
        // mark reaches but the list misses would be promoted while still on the young list,
        // and one counted but not listed would keep a stale internal count).
        young.append(&mut self.young.borrow_mut());
        let release = release_start.elapsed();

        self.phase.set(Phase::Roots);
        // With incremental cycles on, the mark gives up at the pause target (see `outrun`).
        let deadline = self
            .config
            .incremental
            .then(|| start + self.config.pause_target);
        // Whether to count and mark what the release left, or promote it as it stands. While
        // an incremental cycle marks, young objects were born marked, and the full cycle is
        // the one that looks at them: the release is all (rule 13).
        let skip = self.young_skips.get();
        let marking = self.is_marking();
        let examine = skip == 0 && !marking && !cut;
        if skip > 0 {
            self.young_skips.set(skip - 1);
        }
        let traced = catch_unwind(AssertUnwindSafe(|| {
            if !examine {
                let (objects, bytes) = self.promote_unexamined(&young);
                return (0, objects, bytes, Duration::ZERO, Duration::ZERO, cut);
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                // The release alone took the time: nothing is counted or marked.
                let (objects, bytes) = self.promote_unexamined(&young);
                return (0, objects, bytes, Duration::ZERO, Duration::ZERO, true);
            }
            let mut tracer = self.tracer.borrow_mut();
            tracer.young_only = true;
            let roots_start = Instant::now();
            let roots = discover_young_roots(&young, &mut tracer, deadline);
            let roots_time = roots_start.elapsed();
            let Some(roots) = roots else {
                tracer.young_only = false;
                tracer.stack.clear();
                let (objects, bytes) = self.promote_unexamined(&young);
                return (0, objects, bytes, roots_time, Duration::ZERO, true);
            };
            self.phase.set(Phase::Mark);
            let mark_start = Instant::now();
            tracer.marked_bytes = 0;
            let marked = match deadline {
                Some(deadline) => mark_until(&mut tracer, deadline),
                None => Some(mark(&mut tracer)),
            };
            tracer.young_only = false;
            let (marked, bytes, outrun) = match marked {
                Some(marked) => (marked, tracer.marked_bytes, false),
                None => {
                    tracer.stack.clear();
                    let (objects, bytes) = self.promote_unexamined(&young);
                    (objects, bytes, true)
                }
            };
            (
                roots,
                marked,
                bytes,
                roots_time,
                mark_start.elapsed(),
                outrun,
            )
        }));
        let (roots_found, objects_live, bytes_live, roots, mark_time, outrun) = match traced {
            Ok(result) => result,
            Err(payload) => {
                let mut tracer = self.tracer.borrow_mut();
                tracer.young_only = false;
                tracer.stack.clear();
                drop(tracer);
                for &object in &young {
                    // SAFETY: young objects are allocated.
                    let header = unsafe { object.as_ref() };
                    header.reset_internal();
                    // Marked ones were promoted: every object of the list was young. Clear
                    // the release walk's "visited" flag too.
                    header.clear(OLD | MARKED | VISITED);
                }
                // Still young: put them back in front of anything allocated since.
                let mut list = self.young.borrow_mut();
                let later = std::mem::replace(&mut *list, young);
                list.extend(later);
                drop(list);
                resume_unwind(payload);
            }
        };

        // Sweep the young list: promote the marked, drop and free the rest.
        self.phase.set(Phase::Sweep);
        let sweep_start = Instant::now();
        let examined = young.len();
        let released_objects = outcome.objects_freed;
        // The mark promoted what it reached; if that was everything, nothing is left to sweep.
        let promoted = bytes_live;
        if objects_live < young.len() {
            let mut deferred = self.doomed.borrow_mut();
            deferred.clear();
            self.sweep_young(&young, &mut deferred, &mut outcome);
            let mut space = self.space.borrow_mut();
            free_dead(&mut space, &mut deferred, &mut outcome);
        }
        // Every survivor is old now: the young list holds only what the walk did not reach
        // and what destructors allocated meanwhile (the emptied buffer is kept for the next
        // cycle).
        {
            let mut young = young;
            young.clear();
            young.extend_from_slice(&unvisited);
            let mut list = self.young.borrow_mut();
            let later = std::mem::replace(&mut *list, young);
            list.extend(later);
        }
        let sweep_time = sweep_start.elapsed();
        let pause = start.elapsed();
        if examine && !outrun {
            let cycles_freed = outcome.objects_freed - released_objects;
            self.young_skips.set(skips_after(examined, cycles_freed));
        }

        self.phase.set(Phase::End);
        if marking {
            if let Some(m) = self.marking.borrow_mut().as_mut() {
                m.born_released += outcome.objects_freed;
            }
        }
        if examine {
            // (Only a whole young cycle sizes the nursery: see the module docs.)
            self.size_nursery(nursery_bytes, pause.saturating_sub(released.carried_over));
        }
        let walked = if cut {
            // The walk reached its deadline: the next one starts with what it left, and the
            // nursery shrinks towards what it walked.
            self.young_backlog.set(unvisited.len());
            let left: usize = unvisited
                .iter()
                // SAFETY: young objects are allocated.
                .map(|&o| unsafe { Header::footprint(o) })
                .sum();
            let walked = nursery_bytes.saturating_sub(left);
            self.size_nursery(walked, release.saturating_sub(released.carried_over));
            walked
        } else {
            nursery_bytes
        };
        self.note_survival(walked, promoted);
        self.objects.set(self.objects.get() - outcome.objects_freed);
        // Promoted objects are old now: that is the old generation's growth pacing watches.
        self.paced
            .set((self.paced.get() + promoted).saturating_sub(released.old_bytes));
        self.young_bytes.set(
            self.young
                .borrow()
                .iter()
                // SAFETY: young objects are allocated.
                .map(|&o| unsafe { Header::footprint(o) })
                .sum(),
        );
        let (heap_after, zombies, zombie_bytes) = {
            let space = self.space.borrow();
            (space.bytes(), space.zombies, space.zombie_bytes)
        };
        let cycle = self
            .recorder
            .borrow_mut()
            .count_cycle(outcome.objects_freed);
        let stats = CycleStats {
            cycle,
            trigger: Trigger::Young,
            at,
            pause,
            incremental: false,
            stops: 1,
            longest_stop: pause,
            wall: pause,
            outrun,
            unexamined: !examine || outrun,
            sweep_finish: Duration::ZERO,
            clear_pools: Duration::ZERO,
            release,
            objects_released: released.objects,
            roots,
            mark: mark_time,
            finalize: Duration::ZERO,
            sweep: sweep_time,
            lazy_sweep: false,
            pool_drop: Duration::ZERO,
            roots_found,
            objects_freed: outcome.objects_freed,
            bytes_freed: outcome.bytes_freed,
            objects_live,
            bytes_live: bytes_live.min(heap_after - zombie_bytes),
            zombies,
            heap_before,
            heap_after,
            next_goal: self.pacer.get().next_goal(),
            pools_drained: 0,
            pool_items_drained: 0,
            finalized: 0,
            destructor_panics: outcome.destructor_panics,
        };
        self.record_pause(start, pause, PauseKind::Young);
        self.report_cycle(&stats);
        drop(_idle_on_exit);
        if let Some(payload) = outcome.first_panic {
            resume_unwind(payload);
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, Heap};

    /// An incremental heap whose young cycles run when called (the goal is far), and whose
    /// deadlines cut nothing short, however slow the build.
    fn heap() -> Heap {
        Heap::with_config(
            Config::default()
                .incremental(true)
                .torture(false)
                .min_heap_bytes(256 << 20)
                .pause_target(std::time::Duration::from_secs(1)),
        )
    }

    /// A cycle that only releases and promotes costs less per byte than a whole one: sized on
    /// it, the nursery would outgrow what the next examined cycle does within its target.
    #[test]
    fn only_examined_young_cycles_size_the_nursery() {
        let heap = heap();
        let mut kept = Vec::new();
        let mut cycle = |skips: u8| {
            heap.nursery.set(200 << 10);
            heap.young_skips.set(skips);
            kept.extend((0..2000u64).map(|i| heap.alloc([i; 4])));
            let stats = heap.run_young_cycle();
            assert_eq!(stats.unexamined, skips > 0);
            heap.nursery.get()
        };
        assert_eq!(cycle(3), 200 << 10, "an unexamined cycle sized the nursery");
        assert_ne!(
            cycle(0),
            200 << 10,
            "an examined cycle left the nursery as it was"
        );
        assert!(kept.iter().zip(0..).all(|(v, i)| v[0] == i % 2000));
    }

    /// The survival share moves halfway towards what each young cycle promoted of what it
    /// walked: down when the nursery is all garbage, up when it is all kept.
    #[test]
    fn young_cycles_average_the_share_of_young_bytes_that_survives() {
        let heap = heap();
        assert_eq!(
            heap.young_survival.get(),
            256,
            "nothing measured yet: all of it"
        );
        for _ in 0..2000u64 {
            drop(heap.alloc([0u64; 4]));
        }
        heap.run_young_cycle();
        assert_eq!(heap.young_survival.get(), 128);
        heap.run_young_cycle(); // an empty nursery tells nothing
        assert_eq!(heap.young_survival.get(), 128);
        let kept: Vec<_> = (0..2000u64).map(|i| heap.alloc([i; 4])).collect();
        heap.run_young_cycle();
        assert_eq!(heap.young_survival.get(), 192);
        assert!(kept.iter().zip(0..).all(|(v, i)| v[0] == i));
    }
}
