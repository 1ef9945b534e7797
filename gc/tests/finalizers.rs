//! Finalizers run once, while every object is intact, before the cycle drops anything; their
//! objects are freed by a later cycle.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use prologue_gc::{Config, Finalize, Gc, GcCell, Heap, Trace, WeakGc};

fn heap() -> Heap {
    Heap::with_config(Config::default().torture(false))
}

/// Reads everything it holds when finalized and logs what it saw.
#[derive(Trace)]
struct Reader {
    peers: GcCell<Vec<Gc<String>>>,
    weak_peer: GcCell<Option<WeakGc<String>>>,
    #[trace(skip)]
    log: Rc<RefCell<Vec<String>>>,
}

impl Finalize for Reader {
    fn finalize(&self) {
        let mut log = self.log.borrow_mut();
        for peer in self.peers.borrow().iter() {
            log.push(peer.as_str().to_owned());
        }
        let weak = self.weak_peer.borrow();
        log.push(format!(
            "weak upgrades: {}",
            weak.as_ref().is_some_and(|w| w.upgrade().is_some())
        ));
    }
}

#[test]
fn a_finalizer_runs_once_with_every_handle_valid_and_its_object_goes_next_cycle() {
    let heap = heap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let garbage_peer = heap.alloc(String::from("condemned"));
    let reader = heap.alloc_with_finalizer(Reader {
        peers: GcCell::new(vec![
            heap.alloc(String::from("a")),
            heap.alloc(String::from("b")),
        ]),
        weak_peer: GcCell::new(Some(Gc::downgrade(&garbage_peer))),
        log: log.clone(),
    });
    drop((reader, garbage_peer));

    let cycle = heap.collect();
    assert_eq!(cycle.finalized, 1);
    // The unrelated garbage string is condemned before finalizers run: its weak handle is dead.
    assert_eq!(*log.borrow(), ["a", "b", "weak upgrades: false"]);
    assert_eq!(
        cycle.objects_freed, 1,
        "only the condemned string; the reader and its peers wait"
    );
    assert_eq!(cycle.objects_live, 3);
    heap.verify();

    let cycle = heap.collect();
    assert_eq!((cycle.finalized, cycle.objects_freed), (0, 3));
    assert_eq!(log.borrow().len(), 3, "finalized once");
    assert_eq!(heap.stats().objects, 0);
}

thread_local! {
    static SAVED: RefCell<Option<Gc<String>>> = const { RefCell::new(None) };
}

#[derive(Trace)]
struct Saver {
    keep: Gc<String>,
}

impl Finalize for Saver {
    fn finalize(&self) {
        SAVED.with(|s| *s.borrow_mut() = Some(self.keep.clone()));
    }
}

#[test]
fn a_finalizer_can_resurrect_what_it_reaches_fully_alive() {
    let heap = heap();
    drop(heap.alloc_with_finalizer(Saver {
        keep: heap.alloc(String::from("saved")),
    }));
    assert_eq!(heap.collect().finalized, 1);
    let saved = SAVED.with(|s| s.borrow_mut().take()).unwrap();
    assert!(!Gc::is_dead(&saved));
    assert_eq!(*saved, "saved");
    let cycle = heap.collect();
    assert_eq!(
        (cycle.objects_freed, cycle.objects_live),
        (1, 1),
        "the saver goes, the string stays"
    );
    assert_eq!(*saved, "saved");
}

struct Misbehaves {
    heap: Rc<Heap>,
    alloc_made: Rc<Cell<bool>>,
    panic: bool,
}

// SAFETY: holds no handles.
unsafe impl Trace for Misbehaves {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut prologue_gc::Tracer) {}
}

impl Finalize for Misbehaves {
    fn finalize(&self) {
        drop(self.heap.alloc(1u8));
        self.alloc_made.set(true);
        if self.panic {
            panic!("finalizer failed on purpose");
        }
        self.heap.collect();
    }
}

#[test]
fn finalizers_may_allocate_but_not_collect_and_their_panics_are_resumed_after_the_cycle() {
    let heap = Rc::new(heap());
    let made = Rc::new(Cell::new(false));
    drop(heap.alloc_with_finalizer(Misbehaves {
        heap: heap.clone(),
        alloc_made: made.clone(),
        panic: false,
    }));
    let result = catch_unwind(AssertUnwindSafe(|| heap.collect()));
    let payload = result.unwrap_err();
    assert!(payload
        .downcast_ref::<String>()
        .unwrap()
        .contains("collect() called re-entrantly"));
    assert!(made.get(), "allocation inside a finalizer works");
    heap.verify();

    drop(heap.alloc_with_finalizer(Misbehaves {
        heap: heap.clone(),
        alloc_made: made.clone(),
        panic: true,
    }));
    let garbage = heap.alloc(String::from("swept anyway"));
    drop(garbage);
    let result = catch_unwind(AssertUnwindSafe(|| heap.collect()));
    assert_eq!(
        *result.unwrap_err().downcast_ref::<&str>().unwrap(),
        "finalizer failed on purpose"
    );
    heap.verify();
    // Everything unreachable is gone after one more cycle.
    heap.collect();
    assert_eq!(heap.stats().objects, 0);
}

#[derive(Trace)]
struct Flag {
    #[trace(skip)]
    ran: Rc<Cell<u32>>,
}

impl Finalize for Flag {
    fn finalize(&self) {
        self.ran.set(self.ran.get() + 1);
    }
}

#[test]
fn dropping_the_heap_runs_pending_finalizers_of_unreachable_objects_only() {
    let heap = heap();
    let ran = Rc::new(Cell::new(0));
    drop(heap.alloc_with_finalizer(Flag { ran: ran.clone() }));
    let held = heap.alloc_with_finalizer(Flag { ran: ran.clone() });
    drop(heap);
    assert_eq!(ran.get(), 1, "the held object is leaked unfinalized");
    assert_eq!(held.ran.get(), 1);
}

#[test]
fn a_reachable_finalizable_object_is_never_finalized() {
    let heap = heap();
    let ran = Rc::new(Cell::new(0));
    let held = heap.alloc_with_finalizer(Flag { ran: ran.clone() });
    for _ in 0..3 {
        assert_eq!(heap.collect().finalized, 0);
    }
    drop(held);
    assert_eq!(heap.collect().finalized, 1);
    assert_eq!(ran.get(), 1);
}
