//! Stepping into an incremental cycle, for the tests that put a program's move (or a census,
//! or a retainers walk) between two particular steps of one: a heap in incremental torture
//! mode, where every allocation takes the smallest step (three objects counted, checked or
//! traced, one at a time) and cycles run back to back.
#![allow(dead_code)] // not every test file uses every helper

use std::cell::Cell;
use std::rc::Rc;

use prologue_gc::{Config, Gc, GcCell, Heap, PauseKind, Trace};

/// A leaf object.
#[derive(Trace)]
pub struct Leaf(pub u64);

/// A holder whose handle sits in a cell.
#[derive(Trace)]
pub struct CellHolder {
    pub child: GcCell<Option<Gc<Leaf>>>,
    /// Puts holders in a size class of their own, so their page is walked after the leaves'.
    pub _pad: [u64; 6],
}

/// Filler garbage of a third size class: allocating it is one step.
pub type Filler = [u64; 12];

/// A heap in incremental torture mode, without a young generation.
pub fn torture_heap() -> Heap {
    Heap::with_config(
        Config::default()
            .incremental(true)
            .torture(true)
            .young_bytes(0),
    )
}

/// A heap in incremental torture mode with a young generation: while a cycle marks, every
/// allocation also runs a young cycle's release (rule 13) before its step.
pub fn torture_young_heap() -> Heap {
    Heap::with_config(Config::default().incremental(true).torture(true))
}

/// Counts the stops of kind `kind` on `heap`.
fn count_pauses(heap: &Heap, kind: PauseKind) -> Rc<Cell<u64>> {
    let seen = Rc::new(Cell::new(0));
    let counter = seen.clone();
    heap.on_pause(move |p| {
        if p.kind == kind {
            counter.set(counter.get() + 1);
        }
    });
    seen
}

/// Counts the incremental cycles that start on `heap`.
pub fn count_starts(heap: &Heap) -> Rc<Cell<u64>> {
    count_pauses(heap, PauseKind::Start)
}

/// Counts the incremental cycles that finish on `heap` (their final pause).
pub fn count_finishes(heap: &Heap) -> Rc<Cell<u64>> {
    count_pauses(heap, PauseKind::Finish)
}

/// [`finish_two_cycles`] for a heap with a young generation, whose young cycles count as
/// cycles too: runs until two more incremental cycles have finished (`finished` comes from
/// [`count_finishes`]).
pub fn finish_two_full_cycles(heap: &Heap, finished: &Cell<u64>) {
    let target = finished.get() + 2;
    while finished.get() < target {
        drop(heap.alloc::<Filler>([0; 12]));
    }
}

/// Allocates filler until an incremental cycle has started, then `k` more (steps).
pub fn step_into_a_cycle(heap: &Heap, started: &Cell<u64>, k: usize) {
    let before = started.get();
    while started.get() == before {
        drop(heap.alloc::<Filler>([0; 12]));
    }
    for _ in 0..k {
        drop(heap.alloc::<Filler>([0; 12]));
    }
}

/// Runs until two more cycles have completed, so the cycle the move fell into has ended and
/// swept (torture sweeps and verifies at every cycle's end).
pub fn finish_two_cycles(heap: &Heap) {
    let target = heap.stats().cycles + 2;
    while heap.stats().cycles < target {
        drop(heap.alloc::<Filler>([0; 12]));
    }
}
