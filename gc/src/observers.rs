//! The code users register to watch the collector: cycle observers ([`Heap::on_cycle`]) and
//! pause observers ([`Heap::on_pause`]), and how a finished pause is recorded and reported.
//!
//! Observers run with the heap busy (rule 1 of the crate docs): they may allocate, which then
//! only takes memory, but `collect()` and `verify()` panic there.

use std::cell::RefCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::heap::{Heap, Phase};
use crate::recorder::{Pause, PauseKind};
use crate::stats::CycleStats;

/// The observers of one kind of event, in registration order.
type List<E> = RefCell<Vec<Box<dyn FnMut(&E)>>>;

/// Observers registered with [`Heap::on_cycle`] and [`Heap::on_pause`].
#[derive(Default)]
pub(crate) struct Observers {
    cycles: List<CycleStats>,
    pauses: List<Pause>,
}

/// Calls every observer of `list` with `event`; observers registered meanwhile come after
/// the existing ones. The first panic is resumed after all have run.
fn notify<E>(list: &List<E>, event: &E) {
    if list.borrow().is_empty() {
        return;
    }
    let mut observers = std::mem::take(&mut *list.borrow_mut());
    let result = catch_unwind(AssertUnwindSafe(|| {
        for observer in observers.iter_mut() {
            observer(event);
        }
    }));
    let mut slot = list.borrow_mut();
    observers.append(&mut slot);
    *slot = observers;
    drop(slot);
    if let Err(payload) = result {
        resume_unwind(payload);
    }
}

impl Heap {
    /// Calls `f` with the statistics of every cycle from now on, right after the cycle (in
    /// registration order). `f` may allocate (that never starts a cycle); calling
    /// [`collect`](Heap::collect) or [`verify`](Heap::verify) from it panics.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let heap = prologue_gc::Heap::new();
    /// let seen = Rc::new(Cell::new(0));
    /// let counter = Rc::clone(&seen);
    /// heap.on_cycle(move |cycle| counter.set(cycle.cycle));
    /// heap.collect();
    /// heap.collect();
    /// assert_eq!(seen.get(), 2);
    /// ```
    pub fn on_cycle(&self, f: impl FnMut(&CycleStats) + 'static) {
        self.observers.cycles.borrow_mut().push(Box::new(f));
    }

    /// Calls `f` after every pause from now on: every time the program waited for the
    /// collector (a cycle, or a page an allocation had to sweep), with when it began, how long
    /// it lasted and what it was. This is how a program times the collector the way it feels
    /// it (minimum mutator utilisation curves, pause timelines). The same rules as for
    /// [`on_cycle`](Heap::on_cycle) apply; a cycle's pause is reported before its statistics.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use prologue_gc::PauseKind;
    /// let heap = prologue_gc::Heap::new();
    /// let pauses = Rc::new(RefCell::new(Vec::new()));
    /// let log = Rc::clone(&pauses);
    /// heap.on_pause(move |pause| log.borrow_mut().push(pause.kind));
    /// heap.collect();
    /// assert_eq!(pauses.borrow().last(), Some(&PauseKind::Full));
    /// ```
    pub fn on_pause(&self, f: impl FnMut(&Pause) + 'static) {
        self.observers.pauses.borrow_mut().push(Box::new(f));
    }

    /// Records a pause that began at `start` and lasted `duration`, and reports it to the
    /// pause observers (with the heap busy).
    pub(crate) fn record_pause(&self, start: Instant, duration: Duration, kind: PauseKind) {
        let pause = Pause {
            start,
            duration,
            kind,
        };
        self.recorder.borrow_mut().record_pause(&pause);
        crate::spans::pause(&pause);
        if !self.observers.pauses.borrow().is_empty() {
            let previous = self.phase.replace(Phase::End);
            let restore = RestorePhase(self, previous);
            notify(&self.observers.pauses, &pause);
            drop(restore);
        }
    }

    /// Reports a finished cycle: gctrace, then the cycle observers. The caller has set the
    /// heap's phase (`End`).
    pub(crate) fn report_cycle(&self, stats: &CycleStats) {
        crate::gctrace::emit(stats);
        crate::spans::cycle_end(stats);
        notify(&self.observers.cycles, stats);
    }
}

/// Puts the heap's phase back when dropped (also while unwinding).
struct RestorePhase<'a>(&'a Heap, Phase);

impl Drop for RestorePhase<'_> {
    fn drop(&mut self) {
        self.0.phase.set(self.1);
    }
}
