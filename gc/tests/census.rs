//! `Heap::census`: exact counts per type, what "live" means, the table, and where it may be
//! called (observers yes, destructors no, between incremental steps yes, without disturbing
//! the cycle).

use std::any::type_name;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use prologue_gc::{Census, Config, Gc, GcCell, Heap, HeapBusy, Trace, Tracer};

mod common;
use common::stepping::{count_starts, finish_two_cycles, step_into_a_cycle, torture_heap};
use common::stepping::{CellHolder as Holder, Leaf};

#[derive(Trace)]
struct Small(#[allow(dead_code)] u64);

#[derive(Trace)]
struct Big(#[allow(dead_code)] [u64; 8]);

fn entry(census: &Census, name: &str) -> (usize, usize) {
    census.get(name).map_or((0, 0), |e| (e.objects, e.bytes))
}

/// A heap that runs no cycle unless asked (whatever the environment says).
fn quiet_heap() -> Heap {
    let config = Config::default()
        .torture(false)
        .incremental(false)
        .young_bytes(64 << 20)
        .min_heap_bytes(64 << 20);
    Heap::with_config(config)
}

#[test]
fn census_counts_each_type_exactly_after_allocations_and_frees() {
    let heap = Heap::new();
    let smalls: Vec<Gc<Small>> = (0..10).map(|i| heap.alloc(Small(i))).collect();
    let mut bigs: Vec<Gc<Big>> = (0..4).map(|_| heap.alloc(Big([0; 8]))).collect();
    let strs: Vec<Gc<str>> = ["a", "bb", "ccc"]
        .iter()
        .map(|s| heap.alloc_str(s))
        .collect();
    let holder = heap.alloc(smalls[..5].to_vec());
    drop(smalls);
    bigs.truncate(2);
    heap.collect();

    let census = heap.census().unwrap();
    let small = entry(&census, type_name::<Small>());
    let big = entry(&census, type_name::<Big>());
    assert_eq!(small.0, 5);
    assert_eq!(big.0, 2);
    assert_eq!(entry(&census, "str").0, 3);
    assert_eq!(entry(&census, type_name::<Vec<Gc<Small>>>()).0, 1);
    assert_eq!(census.len(), 4);
    assert_eq!(census.objects(), 11);
    assert_eq!(census.objects(), heap.stats().objects);
    assert_eq!(census.bytes() + census.zombie_bytes(), heap.stats().bytes);
    assert_eq!(census.zombies(), 0);
    // Objects of one sized type take equal slots, each at least header plus value.
    assert_eq!(small.1 % 5, 0);
    assert!(small.1 / 5 >= 16 + 8);
    assert_eq!(big.1 % 2, 0);
    assert!(big.1 / 2 >= 16 + 64);
    // Largest first.
    let bytes: Vec<usize> = census.iter().map(|e| e.bytes).collect();
    assert!(bytes.windows(2).all(|w| w[0] >= w[1]), "{bytes:?}");
    assert_eq!(census.top(2), &census.entries()[..2]);
    assert_eq!(census.top(100).len(), 4);

    drop(holder);
    drop(strs);
    heap.collect();
    let census = heap.census().unwrap();
    assert_eq!(entry(&census, type_name::<Small>()).0, 0);
    assert_eq!(entry(&census, type_name::<Big>()), big);
    assert_eq!((census.len(), census.objects()), (1, 2));
    drop(bigs);
    heap.collect();
    assert!(heap.census().unwrap().is_empty());
}

#[test]
fn census_counts_what_the_heap_holds_garbage_included_until_a_cycle() {
    let heap = quiet_heap();
    let keep = heap.alloc(Small(1));
    for i in 0..3 {
        drop(heap.alloc(Small(i)));
    }
    // No cycle has run: the garbage is still held, and counted, as in `stats()`.
    let census = heap.census().unwrap();
    assert_eq!(entry(&census, type_name::<Small>()).0, 4);
    assert_eq!(census.objects(), heap.stats().objects);
    heap.collect();
    assert_eq!(entry(&heap.census().unwrap(), type_name::<Small>()).0, 1);
    drop(keep);
}

#[test]
fn census_merges_the_vtables_of_one_type() {
    // A finalizable object has its own vtable; the census is by type.
    #[derive(Trace)]
    struct Fin(#[allow(dead_code)] u32);
    impl prologue_gc::Finalize for Fin {
        fn finalize(&self) {}
    }
    let heap = Heap::new();
    let _a = heap.alloc(Fin(1));
    let _b = heap.alloc_with_finalizer(Fin(2));
    let census = heap.census().unwrap();
    assert_eq!(entry(&census, type_name::<Fin>()).0, 2);
    assert_eq!(census.len(), 1);
}

#[test]
fn census_display_is_a_histogram_and_its_precision_limits_the_rows() {
    let heap = Heap::new();
    let _smalls: Vec<Gc<Small>> = (0..3).map(|i| heap.alloc(Small(i))).collect();
    let _big = heap.alloc(Big([0; 8]));
    let _s = heap.alloc_str("x");
    let census = heap.census().unwrap();
    let full = census.to_string();
    let lines: Vec<&str> = full.lines().collect();
    assert_eq!(lines.len(), 1 + 3 + 1, "{full}");
    assert!(lines[0].contains("objects") && lines[0].contains("bytes"));
    assert!(lines[1].trim_start().starts_with("1 "), "{full}");
    assert!(full.contains(type_name::<Small>()));
    assert!(lines[4].starts_with("total"), "{full}");
    assert!(lines[4].contains(" 5 "), "{full}");
    let top = format!("{census:.1}");
    assert_eq!(top.lines().count(), 1 + 1 + 1 + 1, "{top}");
    assert!(top.contains("(2 more types)"), "{top}");
}

/// A value whose destructor tries a census of its heap.
struct Prober {
    heap: *const Heap,
    seen: Rc<RefCell<Vec<Result<usize, HeapBusy>>>>,
}

// SAFETY: a `Prober` holds no handle.
unsafe impl Trace for Prober {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer) {}
}

impl Drop for Prober {
    fn drop(&mut self) {
        // SAFETY: the tests below keep the heap alive while its objects are dropped.
        let heap = unsafe { &*self.heap };
        self.seen
            .borrow_mut()
            .push(heap.census().map(|c| c.objects()));
    }
}

#[test]
fn census_from_a_destructor_run_by_a_sweep_is_refused_with_a_clear_error() {
    let heap = Heap::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    drop(heap.alloc(Prober {
        heap: &heap,
        seen: seen.clone(),
    }));
    heap.collect();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1);
    let err = seen[0].clone().unwrap_err();
    assert!(err.to_string().contains("busy"), "{err}");
    heap.verify();
}

#[test]
fn census_works_in_cycle_and_pause_observers() {
    let heap = Heap::new();
    let counts = Rc::new(RefCell::new(Vec::new()));
    let sink = counts.clone();
    let heap_ptr: *const Heap = &heap;
    heap.on_cycle(move |_| {
        // SAFETY: the heap runs its observers while it lives.
        let heap = unsafe { &*heap_ptr };
        sink.borrow_mut().push(heap.census().unwrap().objects());
    });
    let pauses = Rc::new(Cell::new(0));
    let pause_sink = pauses.clone();
    heap.on_pause(move |_| {
        // SAFETY: as above.
        let heap = unsafe { &*heap_ptr };
        heap.census().unwrap();
        pause_sink.set(pause_sink.get() + 1);
    });
    let _keep: Vec<Gc<Small>> = (0..5).map(|i| heap.alloc(Small(i))).collect();
    drop(heap.alloc(Small(9)));
    heap.collect();
    assert_eq!(counts.borrow().last(), Some(&5));
    assert!(pauses.get() >= 1);
    heap.verify();
}

// ---- during an incremental cycle (see tests/incremental.rs for the stepping) ----

/// The trap of tests/incremental.rs with a census between the two root checks: if the census
/// touched a mark bit or an internal count, the cycle would free X while `x` holds it (or
/// `verify` would find a leftover).
#[test]
fn census_between_incremental_steps_leaves_the_cycle_correct() {
    for k in 0..40 {
        let heap = torture_heap();
        let started = count_starts(&heap);
        let x = heap.alloc(Leaf(7));
        let spacers: Vec<Gc<Leaf>> = (0..12).map(|i| heap.alloc(Leaf(100 + i))).collect();
        let a = heap.alloc(Holder {
            child: GcCell::new(Some(x)),
            _pad: [0; 6],
        });
        step_into_a_cycle(&heap, &started, k);
        let census = heap.census().unwrap();
        assert_eq!(entry(&census, type_name::<Leaf>()).0, 13, "step {k}");
        assert_eq!(entry(&census, type_name::<Holder>()).0, 1, "step {k}");
        let x = a.child.borrow().clone().unwrap();
        drop(a);
        heap.census().unwrap();
        finish_two_cycles(&heap);
        assert!(!Gc::is_dead(&x), "step {k}: X was swept while held");
        assert_eq!(x.0, 7);
        assert!(spacers.iter().all(|s| !Gc::is_dead(s)));
        heap.verify();
        let census = heap.census().unwrap();
        assert_eq!(entry(&census, type_name::<Leaf>()).0, 13, "step {k}");
        assert_eq!(entry(&census, type_name::<Holder>()).0, 0, "step {k}");
    }
}

/// Census and retainers from every observer call (every kind of pause: young, start, step,
/// finish, sweep; and every cycle's end) of a heap running young and incremental cycles with
/// lazy sweeps: nothing reachable is lost, every call succeeds, and the heap verifies.
#[test]
fn census_and_retainers_in_every_observer_leave_the_cycles_correct() {
    // A long pause target: steps do what they owe however slow the build (valgrind), so
    // cycles finish before their goal and every kind of stop happens within the rounds.
    let config = Config::default()
        .torture(false)
        .young_bytes(64 << 10)
        .min_heap_bytes(1 << 20)
        .incremental(true)
        .pause_target(std::time::Duration::from_secs(1));
    let heap = Rc::new(Heap::with_config(config));
    let kept: Vec<Gc<Leaf>> = (0..500).map(|i| heap.alloc(Leaf(i))).collect();
    let probe = Rc::new(RefCell::new(Some(heap.alloc(Holder {
        child: GcCell::new(Some(kept[7].clone())),
        _pad: [0; 6],
    }))));
    let calls = Rc::new(Cell::new(0u64));
    let kinds = Rc::new(RefCell::new(std::collections::HashSet::new()));
    let observe = {
        let (heap, probe, calls) = (Rc::downgrade(&heap), probe.clone(), calls.clone());
        move || {
            // The final cycle of the heap's drop runs with the `Rc` already gone.
            let Some(heap) = heap.upgrade() else { return };
            let census = heap.census().expect("a census from an observer");
            assert!(entry(&census, type_name::<Leaf>()).0 >= 500);
            if let Some(holder) = probe.borrow().as_ref() {
                let path = heap.retainers(holder).expect("retainers from an observer");
                assert_eq!(path.len(), 1);
            }
            calls.set(calls.get() + 1);
        }
    };
    let on_pause = observe.clone();
    let kinds_sink = kinds.clone();
    heap.on_pause(move |p| {
        kinds_sink.borrow_mut().insert(format!("{:?}", p.kind));
        on_pause();
    });
    let on_cycle = observe;
    heap.on_cycle(move |_| on_cycle());
    // Young cycles promote what the ring holds, which dies old: full cycles start, step and
    // finish, and leave lazy sweeps.
    let mut ring = std::collections::VecDeque::new();
    let rounds = if std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1") {
        40_000
    } else {
        150_000
    };
    for i in 0..rounds {
        ring.push_back(heap.alloc(Leaf(i)));
        if ring.len() > 3000 {
            ring.pop_front();
        }
    }
    drop(ring);
    assert!(calls.get() > 0);
    let kinds = kinds.borrow();
    if !heap.config().torture {
        for kind in ["Young", "Start", "Step", "Finish"] {
            assert!(kinds.contains(kind), "no {kind} pause in {kinds:?}");
        }
    }
    assert!(kept.iter().enumerate().all(|(i, k)| k.0 == i as u64));
    heap.verify();
    *probe.borrow_mut() = None;
}
