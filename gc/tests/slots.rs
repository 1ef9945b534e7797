//! `GcSlot`: a `Cell` for handles. What it promises beside the barrier rules (tested in
//! `incremental.rs` and `model.rs`): no space beside its value, writes that drop the old
//! value only once the new one is in place, and handles inside it traced as edges.

use std::cell::RefCell;
use std::rc::Rc;

use prologue_gc::{Gc, GcSlot, Heap, SlotValue, Trace, Tracer};

#[test]
fn a_slot_is_exactly_its_value() {
    assert_eq!(std::mem::size_of::<GcSlot<Option<Gc<u8>>>>(), 8);
    assert_eq!(std::mem::size_of::<GcSlot<(u64, Gc<u8>)>>(), 16);
}

#[test]
fn reads_clone_and_writes_replace() {
    let heap = Heap::new();
    let a = heap.alloc(1u32);
    let slot = GcSlot::new(Some(a.clone()));
    assert_eq!(Gc::handle_count(&a), 2);
    let out = slot.get().unwrap();
    assert_eq!(Gc::handle_count(&a), 3, "get clones");
    drop(out);
    let old = slot.replace(None).unwrap();
    assert!(Gc::ptr_eq(&old, &a));
    assert!(slot.get().is_none());
    slot.set(Some(heap.alloc(2)));
    assert_eq!(slot.take().map(|g| *g), Some(2));
    assert!(slot.into_inner().is_none());
}

thread_local! {
    /// What a `Probe`'s destructor found in the slot it watches.
    static SEEN: RefCell<Vec<Option<u32>>> = const { RefCell::new(Vec::new()) };
}

/// Where a probe finds the slot it watches (set once the slot exists).
type Watched = Rc<RefCell<Option<Rc<GcSlot<Option<Probe>>>>>>;

/// A value whose destructor reads the slot it was in (through an `Rc` it was given). Its
/// clones (what `get` returns) read nothing when dropped.
struct Probe {
    n: u32,
    watched: Option<Watched>,
}

impl Clone for Probe {
    fn clone(&self) -> Probe {
        Probe {
            n: self.n,
            watched: None,
        }
    }
}

// SAFETY: the clone copies a number; it writes no slot and allocates nothing on a heap.
unsafe impl SlotValue for Probe {}

// SAFETY: holds no handle.
unsafe impl Trace for Probe {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer) {}
}

impl Drop for Probe {
    fn drop(&mut self) {
        let Some(watched) = &self.watched else { return };
        if let Some(slot) = watched.borrow().as_ref() {
            let now = slot.get().map(|p| p.n);
            SEEN.with(|s| s.borrow_mut().push(now));
        }
    }
}

#[test]
fn a_write_drops_the_old_value_after_the_new_one_is_in_place() {
    let watched = Rc::new(RefCell::new(None));
    let probe = |n| Probe {
        n,
        watched: Some(watched.clone()),
    };
    let slot = Rc::new(GcSlot::new(Some(probe(1))));
    *watched.borrow_mut() = Some(slot.clone());
    SEEN.with(|s| s.borrow_mut().clear());
    slot.set(Some(probe(2)));
    // The old probe's destructor read the slot: it found 2, not a half-dropped 1.
    assert_eq!(SEEN.with(|s| s.borrow().clone()), [Some(2)]);
    *watched.borrow_mut() = None;
}

#[derive(Trace)]
struct Pair {
    car: GcSlot<u64>,
    cdr: GcSlot<Option<Gc<Pair>>>,
}

/// Handles in slots are edges: a cycle through slots is garbage once no local holds it, and a
/// long list held by its head survives every cycle (torture mode collects at each step).
#[test]
fn handles_in_slots_are_traced() {
    let heap = Heap::new();
    let mut head: Option<Gc<Pair>> = None;
    for n in 0..200 {
        head = Some(heap.alloc(Pair {
            car: GcSlot::new(n),
            cdr: GcSlot::new(head.take()),
        }));
    }
    heap.collect();
    let mut sum = 0;
    let mut at = head.clone();
    while let Some(p) = at {
        sum += p.car.get();
        at = p.cdr.get();
    }
    assert_eq!(sum, (0..200).sum::<u64>());
    heap.verify();

    // Close the list into a ring and let go: all 200 pairs are garbage.
    let first = head.clone().unwrap();
    let mut last = first.clone();
    while let Some(next) = last.cdr.get() {
        last = next;
    }
    last.cdr.set(Some(first));
    drop((head, last));
    heap.collect();
    assert_eq!(heap.stats().objects, 0);
}
