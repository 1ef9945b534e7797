//! Regression tests for user code that allocates while the heap is not idle: a cycle
//! observer, a finalizer, a destructor run by a sweep, a `Clone` run by `alloc_slice`. Each
//! test reproduces one defect an earlier version of the collector had at such a point (a use
//! after free, or a zombie handle) and fails without its fix: by an assertion in a release build, and under valgrind by an
//! invalid read. The generated matrix of every action at every such point is `user_code.rs`.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use prologue_gc::{Config, Finalize, Gc, Heap, Trace, Trigger, WeakGc};

/// Over 2 KiB: a large object (one system allocation, kept in the space's large list).
#[derive(Trace)]
struct Big {
    pad: [u64; 300],
    name: String,
}

impl Big {
    fn new(name: &str) -> Big {
        Big {
            pad: [7; 300],
            name: name.into(),
        }
    }

    fn check(&self, name: &str) {
        assert_eq!(self.name, name);
        assert!(self.pad.iter().all(|&x| x == 7));
    }
}

impl Finalize for Big {
    fn finalize(&self) {}
}

/// A heap whose every cycle is full, with a small floor so pacing (lazily swept) cycles come
/// quickly.
fn paced_heap() -> Rc<Heap> {
    Rc::new(Heap::with_config(
        Config::default()
            .young_bytes(0)
            .min_heap_bytes(64 << 10)
            .torture(false),
    ))
}

/// Allocates garbage until `done` says so.
fn churn_until(heap: &Heap, done: impl Fn() -> bool) {
    for _ in 0..1_000_000 {
        if done() {
            return;
        }
        drop(heap.alloc([0u64; 4]));
    }
    panic!("the awaited cycle never ran");
}

/// Defect 1: a large object allocated by an observer of a pacing cycle (whose large objects
/// are left to a lazy sweep) joined the list that sweep condemns, and `collect()` freed it
/// while held.
#[test]
fn a_large_object_allocated_by_an_observer_of_a_lazy_cycle_survives_the_next_collect() {
    for finalizable in [false, true] {
        let heap = paced_heap();
        let kept: Rc<RefCell<Option<Gc<Big>>>> = Rc::default();
        let (w, k) = (Rc::downgrade(&heap), kept.clone());
        heap.on_cycle(move |c| {
            if c.trigger == Trigger::Pacing && k.borrow().is_none() {
                let heap = w.upgrade().unwrap();
                let big = if finalizable {
                    heap.alloc_with_finalizer(Big::new("observer"))
                } else {
                    heap.alloc(Big::new("observer"))
                };
                *k.borrow_mut() = Some(big);
            }
        });
        churn_until(&heap, || kept.borrow().is_some());
        let obj = kept.borrow_mut().take().unwrap();
        heap.collect();
        assert!(!Gc::is_dead(&obj), "a held large object was swept");
        obj.check("observer");
        heap.collect();
        obj.check("observer");
        heap.verify();
        drop(obj);
        // (A finalizable object is kept one more cycle after its finalizer runs.)
        heap.collect();
        heap.collect();
        assert_eq!(heap.stats().objects, 0);
    }
}

/// Defect 1, from a finalizer run by a pacing cycle.
#[test]
fn a_large_object_allocated_by_a_finalizer_of_a_lazy_cycle_survives() {
    thread_local! {
        static HEAP: RefCell<Weak<Heap>> = const { RefCell::new(Weak::new()) };
        static KEPT: RefCell<Option<Gc<Big>>> = const { RefCell::new(None) };
    }
    #[derive(Trace)]
    struct Allocates(u64);
    impl Finalize for Allocates {
        fn finalize(&self) {
            let heap = HEAP.with(|h| h.borrow().upgrade()).unwrap();
            KEPT.with(|k| *k.borrow_mut() = Some(heap.alloc(Big::new("finalizer"))));
        }
    }
    let heap = paced_heap();
    HEAP.with(|h| *h.borrow_mut() = Rc::downgrade(&heap));
    drop(heap.alloc_with_finalizer(Allocates(1)));
    churn_until(&heap, || KEPT.with(|k| k.borrow().is_some()));
    let obj = KEPT.with(|k| k.borrow_mut().take()).unwrap();
    heap.collect();
    assert!(!Gc::is_dead(&obj), "a held large object was swept");
    obj.check("finalizer");
    heap.verify();
}

/// Defect 1, from a destructor that a lazy page sweep runs (a sweep made by an allocation).
#[test]
fn a_large_object_allocated_by_a_destructor_in_a_lazy_page_sweep_survives() {
    thread_local! {
        static HEAP: RefCell<Weak<Heap>> = const { RefCell::new(Weak::new()) };
        static KEPT: RefCell<Option<Gc<Big>>> = const { RefCell::new(None) };
    }
    /// Allocates a large object when dropped (a field type with `Drop` inside a traced
    /// value, the way a `HashMap`'s hasher puts one there).
    struct OnDrop;
    impl Drop for OnDrop {
        fn drop(&mut self) {
            if KEPT.with(|k| k.borrow().is_some()) {
                return;
            }
            if let Some(heap) = HEAP.with(|h| h.borrow().upgrade()) {
                KEPT.with(|k| *k.borrow_mut() = Some(heap.alloc(Big::new("destructor"))));
            }
        }
    }
    #[derive(Trace)]
    struct Holder {
        #[trace(skip)]
        _on_drop: OnDrop,
        _n: u64,
    }
    let heap = paced_heap();
    HEAP.with(|h| *h.borrow_mut() = Rc::downgrade(&heap));
    // Garbage with destructors, left for a lazy sweep by the pacing cycle that finds it.
    let lazy_cycles = Rc::new(Cell::new(0));
    let seen = lazy_cycles.clone();
    heap.on_cycle(move |c| seen.set(seen.get() + u32::from(c.lazy_sweep)));
    for i in 0..100_000u64 {
        drop(heap.alloc(Holder {
            _on_drop: OnDrop,
            _n: i,
        }));
        if KEPT.with(|k| k.borrow().is_some()) {
            break;
        }
    }
    assert!(lazy_cycles.get() > 0, "no lazily swept cycle ran");
    let obj = KEPT
        .with(|k| k.borrow_mut().take())
        .expect("no destructor ran");
    heap.collect();
    assert!(!Gc::is_dead(&obj), "a held large object was swept");
    obj.check("destructor");
    heap.verify();
    HEAP.with(|h| *h.borrow_mut() = Weak::new());
}

/// An element whose `Clone` allocates, to start cycles while `alloc_slice` is cloning.
#[derive(Trace)]
struct Allocating {
    value: u64,
    #[trace(skip)]
    heap: Weak<Heap>,
    #[trace(skip)]
    per_clone: usize,
}

impl Clone for Allocating {
    fn clone(&self) -> Allocating {
        if let Some(heap) = self.heap.upgrade() {
            for _ in 0..self.per_clone {
                drop(heap.alloc([0u64; 4]));
            }
        }
        Allocating {
            value: self.value,
            heap: self.heap.clone(),
            per_clone: self.per_clone,
        }
    }
}

/// Defect 2: `alloc_slice` ran the elements' `Clone` with the slice half built; a pacing cycle
/// started meanwhile, and the slice was later swept while held (large), or its mark was
/// cleared by a young cycle before its page's lazy sweep (small).
#[test]
fn a_slice_whose_clone_starts_cycles_survives_while_held() {
    for (len, young_bytes) in [(300, 0), (300, 64 << 10), (8, 0), (8, 64 << 10)] {
        let heap = Rc::new(Heap::with_config(
            Config::default()
                .young_bytes(young_bytes)
                .min_heap_bytes(64 << 10)
                .torture(false),
        ));
        let item = Allocating {
            value: 5,
            heap: Rc::downgrade(&heap),
            per_clone: 2_000,
        };
        let items = vec![item; len];
        let before = heap.stats().cycles;
        let slice = heap.alloc_slice(&items);
        assert!(
            heap.stats().cycles > before,
            "no cycle ran during the clones"
        );
        // A few more young and pacing cycles, then an exact one.
        for _ in 0..50_000 {
            drop(heap.alloc([0u64; 4]));
        }
        heap.collect();
        assert!(!Gc::is_dead(&slice), "a held slice was swept ({len} items)");
        assert!(slice.iter().all(|x| x.value == 5));
        heap.verify();
    }
}

/// Defect 2: `verify()` called from an element's `Clone` traced the elements not yet written.
#[test]
fn verify_from_a_clone_inside_alloc_slice_sees_no_half_built_object() {
    #[derive(Trace)]
    struct Verifies {
        inner: Option<Gc<u64>>,
        #[trace(skip)]
        heap: Weak<Heap>,
    }
    impl Clone for Verifies {
        fn clone(&self) -> Verifies {
            let heap = self.heap.upgrade().unwrap();
            heap.verify();
            drop(heap.alloc(1u8));
            Verifies {
                inner: self.inner.clone(),
                heap: self.heap.clone(),
            }
        }
    }
    for torture in [false, true] {
        let heap = Rc::new(Heap::with_config(Config::default().torture(torture)));
        let target = heap.alloc(9u64);
        let items = vec![
            Verifies {
                inner: Some(target.clone()),
                heap: Rc::downgrade(&heap),
            };
            6
        ];
        let slice = heap.alloc_slice(&items);
        drop(items);
        heap.verify();
        assert!(slice.iter().all(|x| **x.inner.as_ref().unwrap() == 9));
        assert_eq!(Gc::handle_count(&target), 7);
    }
}

/// Defect 3: a destructor run by a young cycle's sweep upgraded a weak handle to another
/// object the same sweep kills and got a zombie handle; eager and lazy sweeps give `None`.
#[test]
fn weak_upgrade_in_a_destructor_during_a_young_sweep_gives_none_for_the_dying() {
    thread_local! {
        static UPGRADED: Cell<Option<bool>> = const { Cell::new(None) };
    }
    /// Upgrades its weak handle when dropped and notes whether that gave a handle.
    struct Upgrader(RefCell<Option<WeakGc<Node>>>);
    impl Drop for Upgrader {
        fn drop(&mut self) {
            if let Some(weak) = self.0.borrow_mut().take() {
                let strong = weak.upgrade();
                UPGRADED.with(|u| u.set(Some(strong.is_some())));
            }
        }
    }
    #[derive(Trace)]
    struct Node {
        next: prologue_gc::GcCell<Option<Gc<Node>>>,
        #[trace(skip)]
        upgrader: Upgrader,
    }
    for order in [false, true] {
        // A long pause target: the young cycle must get to its sweep (a young mark out of
        // time promotes the pair instead, and no destructor runs).
        let heap = Heap::with_config(
            Config::default()
                .torture(false)
                .young_bytes(256 << 10)
                .pause_target(std::time::Duration::from_secs(1)),
        );
        // A young garbage cycle a <-> b (the release step cannot free it: each has a handle),
        // where one side's destructor upgrades a weak handle to the other.
        let a = heap.alloc(Node {
            next: Default::default(),
            upgrader: Upgrader(RefCell::new(None)),
        });
        let b = heap.alloc(Node {
            next: Default::default(),
            upgrader: Upgrader(RefCell::new(None)),
        });
        *a.next.borrow_mut() = Some(b.clone());
        *b.next.borrow_mut() = Some(a.clone());
        let (upgrading, target) = if order { (&a, &b) } else { (&b, &a) };
        *upgrading.upgrader.0.borrow_mut() = Some(Gc::downgrade(target));
        UPGRADED.with(|u| u.set(None));
        drop((a, b));
        let cycle = common::run_young_cycle(&heap);
        assert!(cycle.objects_freed >= 2);
        assert_eq!(
            UPGRADED.with(|u| u.get()),
            Some(false),
            "a weak handle to an object the same sweep kills upgraded"
        );
        heap.verify();
    }
}

mod common;
