//! Lazy sweeping: a pacing-triggered cycle ends after the mark (and the finalizers), with
//! every page left *unswept*; allocation then sweeps pages of its own size class one at a
//! time before it takes a fresh page, as Go's `mcentral` does. The sweep's cost moves out of
//! the pause and next to the allocation that reuses the memory, while the page is about to be
//! touched anyway.
//!
//! What still happens inside the pause of a lazy cycle: the weak slots of unmarked objects are
//! emptied (so `upgrade` fails at once, as with an eager sweep), and the finalizers run.
//!
//! The rest of the heap is finished ([`Heap::finish_sweep`]) before the next cycle's root
//! discovery, at the start of [`Heap::collect`] (which then sweeps eagerly, so it returns with
//! the heap exact), by [`Heap::verify`] and when the heap is dropped. Until then, an unswept
//! garbage object keeps its value (it is dropped when its page is swept) and counts in
//! `stats().objects`.
//!
//! A page sweep runs destructors, so it happens only from an idle heap (never from inside
//! another sweep, a finalizer or a trace), with the heap's phase set to `Sweep` meanwhile:
//! `collect()` from such a destructor panics, and its allocations take fresh pages instead of
//! sweeping. See `sweep.rs` for why reusing swept slots while other pages are still unswept is
//! safe.

use std::any::Any;
use std::cell::Cell;
use std::panic::resume_unwind;
use std::time::Instant;

use crate::alloc::Unswept;
use crate::heap::{Heap, Phase};
use crate::recorder::PauseKind;
use crate::sweep::{condemn_large, condemn_page, drop_values, free_dead, SweepOutcome};

/// Restores the heap's phase when a page sweep ends, even by a panic.
struct RestorePhase<'a>(&'a Cell<Phase>, Phase);

impl Drop for RestorePhase<'_> {
    fn drop(&mut self) {
        self.0.set(self.1);
    }
}

impl Heap {
    /// Sweeps one unswept page (or the large objects). Returns the first destructor panic,
    /// for the caller to resume once it is safe to.
    pub(crate) fn sweep_part(&self, part: Unswept) -> Option<Box<dyn Any + Send>> {
        // Rule 12: a sweep clears the marks of what it keeps, so one running while an
        // incremental cycle marks would unmark that cycle's live objects.
        assert!(
            !self.is_marking(),
            "prologue-gc: internal error: a lazy sweep while an incremental cycle marks"
        );
        // Freeing notes the heap's peak size: give claimed slots back first so it is exact.
        self.flush_slot_caches();
        // The page may hold old objects a young release left listed for later: forget them
        // (if garbage, this sweep or a later one frees them).
        self.drop_release_carry_over();
        let _restore = RestorePhase(&self.phase, self.phase.replace(Phase::Sweep));
        let mut doomed = self.doomed.borrow_mut();
        doomed.clear();
        {
            let mut space = self.space.borrow_mut();
            let mut weak = self.weak.borrow_mut();
            match part {
                Unswept::Page(page) => condemn_page(&space, page, &mut weak, &mut doomed),
                Unswept::Large => condemn_large(&mut space, &mut weak, &mut doomed),
            }
        }
        let mut outcome = SweepOutcome::default();
        drop_values(&doomed, &mut outcome);
        let mut space = self.space.borrow_mut();
        free_dead(&mut space, &mut doomed, &mut outcome);
        if let Unswept::Page(page) = part {
            space.page_swept(page);
        }
        drop(space);
        self.objects.set(self.objects.get() - outcome.objects_freed);
        self.recorder.borrow_mut().objects_freed += outcome.objects_freed as u64;
        outcome.first_panic
    }

    /// Sweeps everything a lazy sweep has left. Returns the first destructor panic.
    pub(crate) fn finish_sweep(&self) -> Option<Box<dyn Any + Send>> {
        let mut first = None;
        loop {
            let next = self.space.borrow_mut().pop_any_unswept();
            let Some(part) = next else { break };
            let panic = self.sweep_part(part);
            if first.is_none() {
                first = panic;
            }
        }
        first
    }

    /// Sweeps one unswept page of `kind` for an allocation, if the heap is idle and one is
    /// left. Returns whether it swept; a destructor's panic is resumed here, after the page is
    /// complete (the heap stays consistent).
    #[inline(never)]
    pub(crate) fn sweep_for_allocation(&self, kind: usize) -> bool {
        if self.phase.get() != Phase::Idle {
            return false;
        }
        let next = self.space.borrow_mut().pop_unswept(kind);
        let Some(page) = next else { return false };
        let _span = crate::spans::enter(crate::spans::Stop::Sweep, self.id);
        let start = Instant::now();
        let panic = self.sweep_part(Unswept::Page(page));
        self.record_pause(start, start.elapsed(), PauseKind::Sweep);
        if let Some(payload) = panic {
            resume_unwind(payload);
        }
        true
    }

    /// Sweeps the large objects for a large allocation, if a lazy sweep left them and the heap
    /// is idle. (From a busy heap the allocation just takes memory: the new object joins the
    /// swept list, which the pending sweep does not judge.)
    pub(crate) fn sweep_large_for_allocation(&self) {
        if self.phase.get() != Phase::Idle || !self.space.borrow().large_sweep_due() {
            return;
        }
        let _span = crate::spans::enter(crate::spans::Stop::Sweep, self.id);
        let start = Instant::now();
        let panic = self.sweep_part(Unswept::Large);
        self.record_pause(start, start.elapsed(), PauseKind::Sweep);
        if let Some(payload) = panic {
            resume_unwind(payload);
        }
    }
}
