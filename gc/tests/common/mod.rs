//! Helpers shared by the gc crate's integration tests.

use std::cell::RefCell;
use std::rc::Rc;

use prologue_gc::{CycleStats, Heap, Trigger};

/// Allocates small garbage until a young cycle runs on `heap` (whose pacing goal must be far
/// enough away that no full cycle comes first); returns the cycle's statistics. The allocation
/// that started the cycle is left behind as one garbage object.
pub fn run_young_cycle(heap: &Heap) -> CycleStats {
    let seen = Rc::new(RefCell::new(None));
    let sink = seen.clone();
    heap.on_cycle(move |c| {
        sink.borrow_mut().get_or_insert_with(|| c.clone());
    });
    let mut i = 0u64;
    while seen.borrow().is_none() {
        drop(heap.alloc(i));
        i += 1;
    }
    let cycle = seen.borrow_mut().take().expect("a cycle ran");
    assert_eq!(cycle.trigger, Trigger::Young);
    cycle
}
