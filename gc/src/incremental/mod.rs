//! Incremental full cycles: the stop-the-world cycle of `cycle.rs`, cut into a short start
//! pause, bounded steps paid for by allocation, and a short final pause, with the barriers of
//! `barrier.rs` keeping it sound while the program runs in between. The crate docs
//! ("Incremental full cycles", rules 8 to 13) give the argument; this file is the machine.
//!
//! ```text
//!  Idle --start--> Count --> Check --> Mark --finish--> (lazy sweep) --> Idle
//!          |        '---- steps: pages counted, checked; grey objects traced ----'
//!          '- young cycle first, pools drained, young objects promoted, barriers on
//! ```
//!
//! - **Start** (a pause): whatever the last lazy sweep left was swept beforehand in steps; a
//!   young cycle runs if the nursery holds anything, and what it leaves is promoted, so every
//!   object is old; the pools are drained (`gc_start`); the heap registers as marking (the
//!   barriers switch on, and the cell epoch advances); from now on objects are born marked
//!   (black), and the young cycles that run meanwhile only release what was born since
//!   (rule 13).
//! - **Count**, **Check** (steps): the two passes of root discovery, page by page, over the
//!   objects that are not marked; an object greyed or born meanwhile is skipped (its handles
//!   then look held from outside: conservative). Checking pushes each root on the mark stack.
//! - **Mark** (steps): grey objects are traced, the barriers' log included, in every stage.
//! - **Finish** (a pause): the log and the stack are emptied, finalizable objects are marked,
//!   the barriers switch off, the weak slots of unmarked objects are emptied, every page and
//!   the large objects become unswept, the finalizers run, and pacing sets the next goal.
//!
//! A step does `units` of work (one object counted, checked or traced each) or stops at its
//! deadline. How many units: the work left over the bytes left to the goal, times the growth
//! expected since the last step, plus a quarter; past the goal, all a step can do by its
//! deadline. The expected growth is what was born old, plus the young bytes times the share
//! that young cycles have lately promoted (at least a quarter): young garbage is released
//! before it reaches the old generation (rule 13), so charging every allocated byte would
//! finish the marking long before the goal in steps several times as long. If the heap
//! passes its goal by half, the rest is done in one stop (an *outrun* cycle). `collect()`,
//! the limit and dropping the heap abandon a cycle in progress (every mark and count is
//! cleared) and run a whole one.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use crate::barrier;
use crate::header::{Header, MARKED, OLD};
use crate::heap::{Heap, Phase};
use crate::mark::mark_one;

mod end;
mod walk;

use crate::recorder::PauseKind;
use crate::stats::Trigger;
use crate::trace::TraceMode;
use walk::{advance, walk_some};

/// Bytes allocated between two steps: a thirty-second of the goal, between 256 bytes and
/// 16 KiB, so that a small heap takes many steps per cycle too, and a large one takes short
/// steps (the work a step owes grows with the bytes since the last one). Past the goal, an
/// eighth of that: each step then works to its pause target, and steps come eight times as
/// often, so that a program allocating faster than the marking catches up with stops that
/// stay short (the program gets less time between them instead) before the one-stop
/// fallback.
pub(crate) fn step_bytes(goal: usize, past_goal: bool) -> usize {
    let bytes = (goal / 32).clamp(256, 16 << 10);
    if past_goal {
        (bytes / 8).max(256)
    } else {
        bytes
    }
}

/// The least runway a step's size is computed from, so that a heap at its goal still makes
/// steps of a bounded size before it gives up and finishes in one stop.
const MIN_RUNWAY: usize = 64 << 10;

/// The least share of young bytes (in 256ths) a step charges as growth, whatever the young
/// cycles promote: a quarter, so that a cycle takes at most about four times the allocation
/// it would if everything survived (its garbage waits for the next cycle meanwhile).
const SURVIVAL_FLOOR: u32 = 64;

/// How often a step looks at the clock, in units.
const CLOCK_EVERY: usize = 256;

/// The units of a torture-mode step. Each allocation adds an object the next cycle walks
/// twice (count and check) and, in torture, every allocation is a step: with fewer than
/// three units a step, each cycle would leave the next one more to do than it did itself.
const TORTURE_UNITS: usize = 3;

/// The stops an abandoned incremental cycle had made (see
/// [`Heap::abandon_incremental`]): the whole cycle that replaces it reports them as its own,
/// so that every stop recorded as a pause belongs to some cycle's figures.
pub(crate) struct Abandoned {
    pub(crate) at: Duration,
    pub(crate) started: Instant,
    pub(crate) stops: u32,
    pub(crate) pause: Duration,
    pub(crate) longest: Duration,
}

/// Where the two walks of root discovery are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Counting internal references, page by page.
    Count,
    /// Finding the roots, page by page.
    Check,
    /// Only tracing is left.
    Mark,
}

/// One incremental cycle in progress.
pub(crate) struct Marking {
    trigger: Trigger,
    stage: Stage,
    /// The next page to walk and the next slot in it, and the next large object (by index in
    /// the space's list).
    page: u32,
    slot: u32,
    large: usize,
    /// Slots one walk call looks at: a page, or one slot in torture mode (so that the
    /// program's moves fall between any two objects' counts and checks).
    chunk: u32,
    /// What existed at the start: pages and large objects beyond are new (born marked).
    pages_at_start: u32,
    large_at_start: usize,
    /// The barrier epoch of the start (rule 11).
    epoch: u32,
    at: Duration,
    started: Instant,
    objects_at_start: usize,
    heap_before: usize,
    allocations_at_start: u64,
    /// The old generation's bytes at the start: what it gains until the end was born during
    /// the cycle and survives it (born old, or promoted by a young cycle).
    paced_at_start: usize,
    /// Objects born during the cycle that young cycles released before its end (rule 13).
    pub(crate) born_released: usize,
    /// `bytes_allocated` and `bytes_born_old` at the last step.
    paid_until: u64,
    paid_old_until: u64,
    units_done: usize,
    roots: usize,
    /// Objects traced by the mark, and their bytes.
    marked: usize,
    marked_bytes: usize,
    clear_pools: Duration,
    count_time: Duration,
    check_time: Duration,
    mark_time: Duration,
    stops: u32,
    pause: Duration,
    longest: Duration,
    pools_drained: usize,
    pool_items_drained: usize,
    pool_drop: Duration,
    outrun: bool,
}

impl Marking {
    /// Units of work left, estimated: both walks over what is left of them, and a mark of at
    /// most every object that existed at the start.
    fn units_left(&self, stack: usize) -> usize {
        (3 * self.objects_at_start)
            .saturating_sub(self.units_done)
            .max(stack + 1)
    }
}

/// Puts the heap's phase back to idle when a step ends, even by a panic.
struct IdleOnExit<'a>(&'a Heap);

impl Drop for IdleOnExit<'_> {
    fn drop(&mut self) {
        self.0.phase.set(Phase::Idle);
    }
}

impl Heap {
    /// Whether an incremental cycle is marking.
    #[inline]
    pub(crate) fn is_marking(&self) -> bool {
        self.birth.get() != 0
    }

    /// Sweeps what the last lazy sweep left, until `deadline`; returns whether it is all
    /// swept. Each call is one pause.
    pub(crate) fn sweep_until(&self, deadline: Instant) -> bool {
        let _span = crate::spans::enter(crate::spans::Stop::Sweep, self.id);
        let start = Instant::now();
        let mut first_panic = None;
        let mut done = true;
        loop {
            let next = self.space.borrow_mut().pop_any_unswept();
            let Some(part) = next else { break };
            if let Some(p) = self.sweep_part(part) {
                first_panic.get_or_insert(p);
            }
            if Instant::now() >= deadline {
                done = !self.space.borrow().sweep_pending();
                break;
            }
        }
        self.record_pause(start, start.elapsed(), PauseKind::Sweep);
        if let Some(payload) = first_panic {
            resume_unwind(payload);
        }
        done
    }

    /// Starts an incremental cycle (the start pause). The heap is idle, not marking, and its
    /// last lazy sweep is finished.
    pub(crate) fn start_incremental(&self, trigger: Trigger) {
        debug_assert!(self.phase.get() == Phase::Idle && !self.is_marking());
        let _span = crate::spans::enter(crate::spans::Stop::IncrementalStart, self.id);
        if !self.young.borrow().is_empty() && self.config.young_bytes != 0 {
            // Most young objects are garbage: free them cheaply first.
            self.run_young_cycle();
        }
        let at = crate::gctrace::since_start();
        let start = Instant::now();
        let _idle = IdleOnExit(self);
        self.flush_slot_caches();
        debug_assert!(!self.space.borrow().sweep_pending());
        self.drop_release_carry_over();
        let heap_before = self.space.borrow().bytes();
        self.phase.set(Phase::ClearPools);
        let detached = crate::cycle::gc_start();
        let clear_pools = start.elapsed();
        // Every object is old from here on (rule 8): what young cycles left is promoted.
        let mut young = self.young.borrow_mut();
        for &object in young.iter() {
            // SAFETY: young objects are allocated.
            unsafe { object.as_ref() }.set(OLD);
        }
        young.clear();
        drop(young);
        self.paced
            .set(self.paced.get() + self.young_bytes.replace(0));
        // The count starts here: a whole or young cycle run since the last incremental one
        // (the young one just above among them) left its own.
        self.tracer.borrow_mut().marked_bytes = 0;
        let epoch = barrier::start_marking(self.id);
        self.birth.set(MARKED);
        let space = self.space.borrow();
        let marking = Marking {
            trigger,
            stage: Stage::Count,
            page: 0,
            slot: 0,
            large: 0,
            chunk: if self.config.torture { 1 } else { u32::MAX },

            pages_at_start: space.page_count(),
            large_at_start: space.large_count(),
            epoch,
            at,
            started: start,
            objects_at_start: self.objects.get(),
            heap_before,
            allocations_at_start: self.allocations.get(),
            paced_at_start: self.paced.get(),
            born_released: 0,
            paid_until: self.bytes_allocated.get(),
            paid_old_until: self.bytes_born_old.get(),
            units_done: 0,
            roots: 0,
            marked: 0,
            marked_bytes: 0,
            clear_pools,
            count_time: Duration::ZERO,
            check_time: Duration::ZERO,
            mark_time: Duration::ZERO,
            stops: 1,
            pause: Duration::ZERO,
            longest: Duration::ZERO,
            pools_drained: detached.pools(),
            pool_items_drained: detached.items(),
            pool_drop: Duration::ZERO,
            outrun: false,
        };
        drop(space);
        *self.marking.borrow_mut() = Some(Box::new(marking));
        drop(_idle);
        let pause = start.elapsed();
        self.note_stop(pause);
        self.record_pause(start, pause, PauseKind::Start);
        // After the pause: the shared pools' values (`Send`, so without handles).
        let drop_start = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| detached.finish()));
        if let Some(m) = self.marking.borrow_mut().as_mut() {
            m.pool_drop = drop_start.elapsed();
        }
        if let Err(payload) = result {
            resume_unwind(payload);
        }
    }

    /// Bytes the next step of the cycle in progress waits for: a step's worth after the
    /// last one ([`step_bytes`]), less what was allocated since (zero: a step is due).
    pub(crate) fn bytes_to_next_step(&self) -> usize {
        let marking = self.marking.borrow();
        let Some(m) = marking.as_ref() else { return 0 };
        let pacer = self.pacer.get();
        let step = step_bytes(pacer.next_goal(), pacer.due(self.paced.get(), 0)) as u64;
        let since = self.bytes_allocated.get() - m.paid_until;
        step.saturating_sub(since) as usize
    }

    /// What the heap is expected to have grown by since the last step: every byte born old,
    /// and the share of the young bytes that young cycles have been promoting
    /// ([`SURVIVAL_FLOOR`] at least). Young garbage is released before it reaches the old
    /// generation, so charging the steps for all of it would finish the marking long before
    /// the heap nears its goal, in steps several times as long; a program that starts keeping
    /// what it allocates raises the share with its next young cycles, and past the goal the
    /// steps do all they can anyway.
    fn growth_since(&self, m: &Marking) -> u128 {
        let allocated = self.bytes_allocated.get() - m.paid_until;
        let old = (self.bytes_born_old.get() - m.paid_old_until).min(allocated);
        let survival = self.young_survival.get().clamp(SURVIVAL_FLOOR, 256);
        old as u128 + (allocated - old) as u128 * survival as u128 / 256
    }

    /// Adds one stop to the cycle in progress.
    fn note_stop(&self, pause: Duration) {
        if let Some(m) = self.marking.borrow_mut().as_mut() {
            m.pause += pause;
            m.longest = m.longest.max(pause);
        }
    }

    /// One step for an allocation: the work the bytes allocated since the last step paid for,
    /// within the pause target (past the goal: all it can within the pause target). Finishes
    /// the cycle when nothing is left, or when the heap has passed its goal by half
    /// (`outrun`: the rest is done now, in one stop).
    pub(crate) fn incremental_step(&self, torture: bool) {
        let _span = crate::spans::enter(crate::spans::Stop::IncrementalStep, self.id);
        let start = Instant::now();
        let pacer = self.pacer.get();
        let paced = self.paced.get();
        let outrun = pacer.overshot(paced);
        let units = if torture {
            TORTURE_UNITS
        } else if outrun || pacer.due(paced, 0) {
            usize::MAX
        } else {
            let marking = self.marking.borrow();
            let m = marking.as_ref().expect("marking");
            let runway = self.pacer.get().room(self.paced.get()).max(MIN_RUNWAY);
            let left = m.units_left(self.tracer.borrow().stack.len());
            let owed = self.growth_since(m) * left as u128 * 5 / 4 / runway as u128;
            (owed as usize).saturating_add(1)
        };
        let deadline = if outrun {
            start + Duration::from_secs(3600)
        } else {
            start + self.config.pause_target
        };
        let done = self.work(units, deadline);
        {
            let mut marking = self.marking.borrow_mut();
            let m = marking.as_mut().expect("marking");
            m.paid_until = self.bytes_allocated.get();
            m.paid_old_until = self.bytes_born_old.get();
            m.stops += 1;
            m.outrun |= outrun;
        }
        let pause = start.elapsed();
        self.note_stop(pause);
        self.record_pause(start, pause, PauseKind::Step);
        if done {
            self.finish_incremental();
        }
    }

    /// Does up to `units` of work before `deadline`, with the heap busy (user `trace` code
    /// runs). Returns whether the marking is complete. A panic in `trace` abandons the cycle.
    fn work(&self, units: usize, deadline: Instant) -> bool {
        self.flush_slot_caches();
        let _idle = IdleOnExit(self);
        self.phase.set(Phase::Mark);
        let result = catch_unwind(AssertUnwindSafe(|| self.work_inner(units, deadline)));
        match result {
            Ok(done) => done,
            Err(payload) => {
                drop(_idle);
                self.abandon_incremental();
                resume_unwind(payload);
            }
        }
    }

    fn work_inner(&self, units: usize, deadline: Instant) -> bool {
        let mut marking = self.marking.borrow_mut();
        let m = marking.as_mut().expect("marking");
        let space = self.space.borrow();
        let mut tracer = self.tracer.borrow_mut();
        barrier::drain_greyed(self.id, &mut tracer.stack);
        let mut done = 0;
        let mut next_clock = CLOCK_EVERY;
        let complete = loop {
            if done >= units {
                break false;
            }
            if done >= next_clock {
                next_clock = done + CLOCK_EVERY;
                if Instant::now() >= deadline {
                    break false;
                }
            }
            if let Some(object) = tracer.stack.pop() {
                let t = Instant::now();
                let mut traced = 0;
                tracer.mode = TraceMode::Mark;
                mark_one(&mut tracer, object);
                traced += 1;
                while traced < CLOCK_EVERY && done + traced < units {
                    let Some(object) = tracer.stack.pop() else {
                        break;
                    };
                    mark_one(&mut tracer, object);
                    traced += 1;
                }
                m.marked += traced;
                done += traced;
                m.mark_time += t.elapsed();
                continue;
            }
            match m.stage {
                Stage::Count | Stage::Check => {
                    let t = Instant::now();
                    let walked = walk_some(m, &space, &mut tracer);
                    done += walked.max(1);
                    let spent = t.elapsed();
                    if m.stage == Stage::Count {
                        m.count_time += spent;
                    } else {
                        m.check_time += spent;
                    }
                    advance(m);
                }
                Stage::Mark => {
                    barrier::drain_greyed(self.id, &mut tracer.stack);
                    if tracer.stack.is_empty() {
                        break true;
                    }
                }
            }
        };
        m.units_done += done;
        m.marked_bytes = tracer.marked_bytes;
        complete
    }

    /// The final pause: completes the marking, then switches the heap to sweeping.
    pub(crate) fn finish_incremental(&self) {
        let _span = crate::spans::enter(crate::spans::Stop::IncrementalFinish, self.id);
        let start = Instant::now();
        // Normally little is left; an outrun or forced finish does the rest here.
        while !self.work(usize::MAX, start + Duration::from_secs(3600)) {}
        let _idle = IdleOnExit(self);
        let mut ready: Vec<NonNull<Header>> = Vec::new();
        if !self.finalizable.borrow().is_empty() {
            self.phase.set(Phase::Mark);
            let marked = catch_unwind(AssertUnwindSafe(|| {
                let mut tracer = self.tracer.borrow_mut();
                let before = tracer.marked_bytes;
                let objects = self.mark_finalizable(&mut tracer, &mut ready);
                (objects, tracer.marked_bytes - before)
            }));
            match marked {
                Ok((objects, bytes)) => {
                    let mut marking = self.marking.borrow_mut();
                    let m = marking.as_mut().expect("marking");
                    m.marked += objects;
                    m.marked_bytes += bytes;
                }
                Err(payload) => {
                    drop(_idle);
                    self.abandon_incremental();
                    resume_unwind(payload);
                }
            }
        }
        // What young cycles have not released of the objects born meanwhile is promoted, and
        // keeps its birth mark (the heap still marks): the sweep keeps it (rule 8), and
        // clears the mark.
        let (_, promoted) = self.promote_unexamined(&self.young.borrow());
        self.young.borrow_mut().clear();
        self.young_bytes.set(0);
        self.paced.set(self.paced.get() + promoted);
        self.phase.set(Phase::Sweep);
        barrier::stop_marking(self.id);
        self.birth.set(0);
        let m = *self.marking.borrow_mut().take().expect("marking");
        {
            let mut tracer = self.tracer.borrow_mut();
            tracer.epoch = None;
            tracer.marked_bytes = 0;
            if tracer.stack.capacity() > 1 << 20 && tracer.stack.capacity() > self.objects.get() {
                tracer.stack.shrink_to(1 << 20);
            }
        }
        self.weak.borrow_mut().invalidate_unmarked();
        self.space.borrow_mut().begin_lazy_sweep();
        let sweep = start.elapsed();
        let (finalize, finalizer_panics, finalizer_panic) = if ready.is_empty() {
            (Duration::ZERO, 0, None)
        } else {
            self.phase.set(Phase::Finalize);
            let t = Instant::now();
            let (panics, first) = self.run_finalizers(&ready);
            (t.elapsed(), panics, first)
        };
        self.phase.set(Phase::End);
        let pause = start.elapsed();
        let stats = self.end_incremental(m, pause, sweep, finalize, ready.len(), finalizer_panics);
        self.record_pause(start, pause, PauseKind::Finish);
        self.report_cycle(&stats);
        let torture_panic = if self.config.torture {
            // Torture: sweep everything now and check the heap at every cycle's end.
            let panic = self.finish_sweep();
            self.verify_now();
            panic
        } else {
            None
        };
        drop(_idle);
        if let Some(payload) = finalizer_panic.or(torture_panic) {
            resume_unwind(payload);
        }
    }

    /// Gives up an incremental cycle in progress: clears every mark and count and switches the
    /// barriers off. The heap is then as if the cycle had never started (objects born during
    /// it are old). For `collect()`, the limit, a panic in `trace`, and dropping the heap.
    /// Returns the stops the cycle had made, for the whole cycle that replaces it to report.
    pub(crate) fn abandon_incremental(&self) -> Option<Abandoned> {
        let m = self.marking.borrow_mut().take()?;
        barrier::stop_marking(self.id);
        self.birth.set(0);
        self.flush_slot_caches();
        self.space.borrow().for_each_object(|object| {
            // SAFETY: every object of the space is allocated.
            let header = unsafe { object.as_ref() };
            header.reset_internal();
            header.clear(MARKED);
        });
        let mut tracer = self.tracer.borrow_mut();
        tracer.stack.clear();
        tracer.epoch = None;
        tracer.marked_bytes = 0;
        Some(Abandoned {
            at: m.at,
            started: m.started,
            stops: m.stops,
            pause: m.pause,
            longest: m.longest,
        })
    }

    /// Completes a cycle in progress at once (for `verify()`), returning the first panic of
    /// its finalizers.
    pub(crate) fn complete_incremental(&self) -> Option<Box<dyn Any + Send>> {
        if !self.is_marking() {
            return None;
        }
        catch_unwind(AssertUnwindSafe(|| self.finish_incremental())).err()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, Heap, Trigger};

    /// A step charges bytes born old in full and young bytes at the share young cycles
    /// promote, never below a quarter.
    #[test]
    fn steps_charge_young_bytes_at_the_survival_share() {
        let heap = Heap::with_config(
            Config::default()
                .incremental(true)
                .torture(false)
                .min_heap_bytes(64 << 20),
        );
        let live: Vec<_> = (0..100u64).map(|i| heap.alloc(i)).collect();
        heap.start_incremental(Trigger::Pacing);
        let charged = |young: u64, old: u64, survival: u32| {
            let marking = heap.marking.borrow();
            let m = marking.as_ref().expect("marking");
            heap.bytes_allocated.set(m.paid_until + young + old);
            heap.bytes_born_old.set(m.paid_old_until + old);
            heap.young_survival.set(survival);
            heap.growth_since(m)
        };
        assert_eq!(charged(1024, 0, 256), 1024);
        assert_eq!(charged(1024, 0, 128), 512);
        assert_eq!(charged(1024, 512, 128), 512 + 512);
        // The floor: a quarter however little survives.
        assert_eq!(charged(1024, 0, 0), 256);
        heap.collect();
        assert!(live.iter().zip(0..).all(|(v, i)| **v == i));
    }
}
