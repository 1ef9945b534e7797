//! One test per soundness requirement of the collector that the type system cannot enforce
//! (the rules of the crate docs' "What the collector relies on", and what `Trace`'s `# Panics`
//! section promises); the requirements the type system does enforce are compile-fail cases in
//! gc/ui. Each must also run clean under valgrind.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use prologue_gc::{Config, Gc, GcCell, Heap, Trace, Tracer};

mod common;
use common::{
    panic_message,
    resurrect::{self, Resurrector},
};

fn heap() -> Heap {
    Heap::with_config(Config::default().torture(false))
}

/// A value with a destructor that reads another handle: allowed only through a manual
/// `unsafe impl Trace` (the derive refuses `Drop`).
struct Peeker {
    other: GcCell<Option<Gc<Peeker>>>,
    value: u32,
    seen: Rc<Cell<Option<u32>>>,
}

// SAFETY: visits its one traced field once.
unsafe impl Trace for Peeker {
    fn trace(&self, t: &mut Tracer) {
        self.other.trace(t);
    }
}

impl Drop for Peeker {
    fn drop(&mut self) {
        if let Some(other) = self.other.borrow().as_ref() {
            // The other object is dead too: this must panic, not read a dropped value.
            self.seen.set(Some(other.value));
        }
    }
}

#[test]
fn destructor_reaching_a_dead_object_panics_instead_of_reading_it() {
    let heap = heap();
    let seen = Rc::new(Cell::new(None));
    let a = heap.alloc(Peeker {
        other: GcCell::new(None),
        value: 1,
        seen: seen.clone(),
    });
    let b = heap.alloc(Peeker {
        other: GcCell::new(Some(a.clone())),
        value: 2,
        seen: seen.clone(),
    });
    *a.other.borrow_mut() = Some(b.clone());
    drop((a, b));
    let result = catch_unwind(AssertUnwindSafe(|| heap.collect()));
    let message = panic_message(result.expect_err("the destructor's dereference must panic"));
    assert!(message.contains("already swept"), "{message}");
    assert_eq!(seen.get(), None, "no destructor read a dead value");
    // The sweep finished despite the panics: both objects are gone and the heap is consistent.
    assert_eq!(heap.stats().objects, 0);
    assert_eq!(heap.stats().zombies, 0);
    heap.verify();
    assert_eq!(heap.collect().objects_freed, 0);
}

#[derive(Debug)]
struct Target(u64);

// SAFETY: holds no handles.
unsafe impl Trace for Target {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer) {}
}

#[test]
fn a_handle_resurrected_by_a_destructor_never_dangles() {
    let heap = heap();
    let target = heap.alloc(Target(42));
    let _holder = heap.alloc(Resurrector {
        target: Some(target),
    });
    drop(_holder);
    let cycle = heap.collect();
    assert_eq!(cycle.objects_freed, 2);
    assert_eq!(
        cycle.zombies, 1,
        "the target's memory is kept for the resurrected handle"
    );
    let stats = heap.stats();
    assert_eq!((stats.objects, stats.zombies), (0, 1));
    heap.verify();

    let handle = resurrect::take_all::<Gc<Target>>().pop().unwrap();
    assert!(Gc::is_dead(&handle));
    assert!(Gc::try_get(&handle).is_none());
    assert!(Gc::downgrade(&handle).upgrade().is_none());
    let deref = catch_unwind(AssertUnwindSafe(|| handle.0));
    assert!(panic_message(deref.unwrap_err()).contains("dereferenced a Gc"));
    let clone = catch_unwind(AssertUnwindSafe(|| handle.clone()));
    assert!(panic_message(clone.unwrap_err()).contains("cloned a Gc"));
    // Still held: a second cycle keeps the zombie.
    assert_eq!(heap.collect().zombies, 1);

    drop(handle);
    let cycle = heap.collect();
    assert_eq!(cycle.zombies, 0);
    assert!(
        cycle.bytes_freed > 0,
        "the zombie is freed once its last handle is gone"
    );
    assert_eq!(heap.stats().bytes, 0);
    heap.verify();
}

#[derive(Trace)]
struct Holder {
    slot: GcCell<Option<Gc<Vec<u64>>>>,
}

#[test]
fn a_mutably_borrowed_cell_keeps_its_contents_alive_through_an_explicit_collect() {
    let heap = heap();
    let holder = heap.alloc(Holder {
        slot: GcCell::new(None),
    });
    {
        let mut slot = holder.slot.borrow_mut();
        // The only handle to the vector lives inside the mutably borrowed cell.
        *slot = Some(heap.alloc(vec![1, 2, 3]));
        let cycle = heap.collect();
        assert_eq!(cycle.objects_freed, 0);
        assert_eq!(cycle.objects_live, 2);
        assert_eq!(**slot.as_ref().unwrap(), [1, 2, 3]);
        slot.as_ref().unwrap();
    }
    heap.verify();
    // Released: the vector is now an ordinary internal edge.
    assert_eq!(heap.collect().roots_found, 1);
    drop(holder);
    assert_eq!(heap.collect().objects_freed, 2);
}

#[test]
fn a_mutably_borrowed_cell_survives_collections_triggered_by_allocation() {
    let heap = Heap::with_config(
        Config::default()
            // every allocation below collects
            .torture(true),
    );
    let holder = heap.alloc(Holder {
        slot: GcCell::new(None),
    });
    let mut slot = holder.slot.borrow_mut();
    *slot = Some(heap.alloc(vec![7]));
    // Until 20 more cycles have completed (one an allocation in stop-the-world torture; an
    // incremental torture cycle takes a step at every allocation).
    let target = heap.stats().cycles + 20;
    for i in 0..100_000u64 {
        if heap.stats().cycles >= target {
            break;
        }
        let garbage = heap.alloc(vec![i]);
        drop(garbage);
        assert_eq!(**slot.as_ref().unwrap(), [7]);
    }
    drop(slot);
    heap.verify();
    assert!(heap.stats().cycles >= target);
}

#[test]
fn dropping_the_heap_leaves_outside_handles_valid() {
    let heap = heap();
    let list = heap.alloc(vec![
        heap.alloc(String::from("kept")),
        heap.alloc(String::from("too")),
    ]);
    drop(heap.alloc(String::from("garbage")));
    let weak = Gc::downgrade(&list[0]);
    drop(heap);
    // The final collection freed the garbage and leaked what `list` reaches.
    assert_eq!(*list[0], "kept");
    assert_eq!(*list[1], "too");
    let clone = list.clone();
    assert_eq!(clone.len(), 2);
    assert_eq!(weak.upgrade().as_deref().map(String::as_str), Some("kept"));
    assert!(Gc::downgrade(&list[1]).upgrade().is_some());
    drop((list, clone));
}

#[derive(Trace)]
struct Foreign {
    other: Gc<String>,
}

#[test]
fn a_handle_from_another_heap_keeps_its_object_alive() {
    let a = heap();
    let b = heap();
    let in_a = a.alloc(String::from("from a"));
    let in_b = b.alloc(Foreign {
        other: in_a.clone(),
    });
    drop(in_a);
    // For heap A, the handle inside B's object is held from outside: a root.
    let cycle = a.collect();
    assert_eq!((cycle.objects_freed, cycle.roots_found), (0, 1));
    // Heap B does not count or mark A's object.
    let cycle = b.collect();
    assert_eq!((cycle.objects_live, cycle.objects_freed), (1, 0));
    a.verify();
    b.verify();
    assert_eq!(*in_b.other, "from a");
    drop(in_b);
    assert_eq!(b.collect().objects_freed, 1);
    assert_eq!(a.collect().objects_freed, 1);
}

#[test]
fn heaps_pointing_at_each_other_in_a_cycle_are_each_kept_alive_by_the_other() {
    // A cross-heap cycle is held from outside by each heap; it is collected only when one
    // edge is cut. (The documented price of per-heap collection.)
    #[derive(Trace)]
    struct Link {
        to: GcCell<Option<Gc<Link>>>,
    }
    let a = heap();
    let b = heap();
    let x = a.alloc(Link {
        to: GcCell::new(None),
    });
    let y = b.alloc(Link {
        to: GcCell::new(Some(x.clone())),
    });
    *x.to.borrow_mut() = Some(y.clone());
    let xw = Gc::downgrade(&x);
    drop((x, y));
    assert_eq!(a.collect().objects_freed, 0);
    assert_eq!(b.collect().objects_freed, 0);
    *xw.upgrade().unwrap().to.borrow_mut() = None;
    assert_eq!(b.collect().objects_freed, 1);
    assert_eq!(a.collect().objects_freed, 1);
}

thread_local! {
    static HEAP: Heap = heap();
}

/// Calls `collect()` on the thread's heap from inside `trace` while armed. (Root discovery
/// traces unreachable objects too, so it must be disarmed before it can be collected.)
struct CollectsInTrace {
    armed: Cell<bool>,
}

// SAFETY: holds no handles (the collect call inside `trace` panics on purpose: `Trace`'s
// `# Panics`).
unsafe impl Trace for CollectsInTrace {
    fn trace(&self, _: &mut Tracer) {
        if self.armed.get() {
            HEAP.with(|h| h.collect());
        }
    }
}

#[test]
fn collect_from_inside_trace_panics_clearly_and_leaves_the_heap_usable() {
    HEAP.with(|heap| {
        let kept = heap.alloc(5u32);
        let bad = heap.alloc(CollectsInTrace {
            armed: Cell::new(true),
        });
        let result = catch_unwind(AssertUnwindSafe(|| heap.collect()));
        let message = panic_message(result.unwrap_err());
        assert!(
            message.contains("collect() called re-entrantly"),
            "{message}"
        );
        bad.armed.set(false);
        drop(bad);
        heap.verify();
        let cycle = heap.collect();
        assert_eq!((cycle.objects_freed, cycle.objects_live), (1, 1));
        assert_eq!(*kept, 5);
    });
}

/// Calls `collect()` from its destructor.
struct CollectsInDrop {
    heap: Rc<Heap>,
}

// SAFETY: holds no handles.
unsafe impl Trace for CollectsInDrop {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer) {}
}

impl Drop for CollectsInDrop {
    fn drop(&mut self) {
        self.heap.collect();
    }
}

#[test]
fn collect_from_a_destructor_panics_clearly_after_the_sweep_completes() {
    let heap = Rc::new(heap());
    let other = heap.alloc(String::from("garbage too"));
    drop(heap.alloc(CollectsInDrop { heap: heap.clone() }));
    drop(other);
    let result = catch_unwind(AssertUnwindSafe(|| heap.collect()));
    let message = panic_message(result.unwrap_err());
    assert!(
        message.contains("collect() called re-entrantly"),
        "{message}"
    );
    // Both garbage objects were swept before the panic was resumed.
    assert_eq!(heap.stats().objects, 0);
    heap.verify();
    assert_eq!(heap.collect().objects_freed, 0);
}

/// Allocates from its destructor.
struct AllocatesInDrop {
    heap: Rc<Heap>,
    made: Rc<RefCell<Option<Gc<u64>>>>,
}

// SAFETY: holds no handles of its own heap's objects by value.
unsafe impl Trace for AllocatesInDrop {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer) {}
}

impl Drop for AllocatesInDrop {
    fn drop(&mut self) {
        *self.made.borrow_mut() = Some(self.heap.alloc(99));
    }
}

#[test]
fn allocating_from_a_destructor_during_the_sweep_works() {
    let heap = Rc::new(heap());
    let made = Rc::new(RefCell::new(None));
    drop(heap.alloc(AllocatesInDrop {
        heap: heap.clone(),
        made: made.clone(),
    }));
    let cycle = heap.collect();
    assert_eq!(cycle.objects_freed, 1);
    assert_eq!(**made.borrow().as_ref().unwrap(), 99);
    assert_eq!(heap.stats().objects, 1);
    heap.verify();
    made.borrow_mut().take();
    assert_eq!(heap.collect().objects_freed, 1);
}

/// Panics in `trace` while `fail` is set.
struct FailingTrace {
    fail: Rc<Cell<bool>>,
    child: Gc<u64>,
}

// SAFETY: visits its one handle once (a panic in `trace` is allowed: `Trace`'s `# Panics`).
unsafe impl Trace for FailingTrace {
    fn trace(&self, t: &mut Tracer) {
        assert!(!self.fail.get(), "trace failed on purpose");
        self.child.trace(t);
    }
}

#[test]
fn a_panic_inside_trace_resets_the_cycle_and_leaves_the_heap_usable() {
    let heap = heap();
    let fail = Rc::new(Cell::new(false));
    let parent = heap.alloc(FailingTrace {
        fail: fail.clone(),
        child: heap.alloc(11),
    });
    let garbage: Vec<_> = (0..10u64).map(|i| heap.alloc(i)).collect();
    drop(garbage);
    fail.set(true);
    let result = catch_unwind(AssertUnwindSafe(|| heap.collect()));
    assert!(panic_message(result.unwrap_err()).contains("trace failed on purpose"));
    // Nothing was swept, every count and mark was reset.
    assert_eq!(heap.stats().objects, 12);
    fail.set(false);
    heap.verify();
    let cycle = heap.collect();
    assert_eq!((cycle.objects_freed, cycle.objects_live), (10, 2));
    assert_eq!(*parent.child, 11);
}

/// Allocates from inside `trace` while armed.
struct AllocatesInTrace {
    armed: Cell<bool>,
}

// SAFETY: holds no handles (allocating breaks rule 2 on purpose).
unsafe impl Trace for AllocatesInTrace {
    fn trace(&self, _: &mut Tracer) {
        if self.armed.get() {
            HEAP.with(|h| drop(h.alloc(1u8)));
        }
    }
}

#[test]
fn allocating_from_inside_trace_panics_clearly() {
    HEAP.with(|heap| {
        let bad = heap.alloc(AllocatesInTrace {
            armed: Cell::new(true),
        });
        let result = catch_unwind(AssertUnwindSafe(|| heap.collect()));
        let message = panic_message(result.unwrap_err());
        assert!(
            message.contains("allocation during root discovery"),
            "{message}"
        );
        bad.armed.set(false);
        drop(bad);
        heap.collect();
        heap.verify();
    });
}

#[test]
fn collect_from_an_observer_panics_clearly() {
    let heap = Rc::new(heap());
    let inner = Rc::downgrade(&heap);
    heap.on_cycle(move |_| {
        if let Some(h) = inner.upgrade() {
            h.collect();
        }
    });
    let result = catch_unwind(AssertUnwindSafe(|| heap.collect()));
    assert!(panic_message(result.unwrap_err()).contains("re-entrantly"));
}

#[test]
fn verify_from_inside_trace_cannot_start_a_cycle() {
    // verify() runs user trace code too; a collect() from there must be refused as well.
    HEAP.with(|heap| {
        let bad = heap.alloc(CollectsInTrace {
            armed: Cell::new(true),
        });
        let result = catch_unwind(AssertUnwindSafe(|| heap.verify()));
        assert!(panic_message(result.unwrap_err()).contains("re-entrantly"));
        bad.armed.set(false);
        drop(bad);
        heap.collect();
        heap.verify();
    });
}
