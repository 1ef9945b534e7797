//! `Heap::verify` accepts consistent heaps and reports a broken `Trace` impl.

use std::panic::{catch_unwind, AssertUnwindSafe};

use prologue_gc::{Config, Gc, GcCell, Heap, Trace, Tracer};

fn heap() -> Heap {
    Heap::with_config(Config::default().torture(false))
}

#[derive(Trace)]
struct Node {
    next: GcCell<Vec<Gc<Node>>>,
}

#[test]
fn a_consistent_heap_passes_before_and_after_cycles() {
    let heap = heap();
    let a = heap.alloc(Node {
        next: GcCell::new(vec![]),
    });
    let b = heap.alloc(Node {
        next: GcCell::new(vec![a.clone(), a.clone()]),
    });
    a.next.borrow_mut().push(b.clone());
    heap.alloc_str("str");
    heap.verify();
    heap.collect();
    heap.verify();
    drop((a, b));
    heap.verify();
    heap.collect();
    heap.verify();
}

/// Breaks rule 1 on purpose: visits its handle twice.
struct TracesTwice {
    target: Gc<u32>,
}

// SAFETY: deliberately wrong (it double-counts), to show verify() catches it. Double counting
// only ever makes an object look *less* held from outside; it stays reachable here through
// the holder, so the heap is not corrupted by this test.
unsafe impl Trace for TracesTwice {
    fn trace(&self, t: &mut Tracer) {
        self.target.trace(t);
        self.target.trace(t);
    }
}

#[test]
fn verify_reports_an_object_with_more_internal_references_than_handles() {
    let heap = heap();
    let holder = heap.alloc(TracesTwice {
        target: heap.alloc(7),
    });
    let result = catch_unwind(AssertUnwindSafe(|| heap.verify()));
    let payload = result.unwrap_err();
    let message = payload.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("1 handles but 2 references from inside the heap"),
        "{message}"
    );
    assert_eq!(*holder.target, 7);
}
