//! Pins the hazard of lazy sweeping: memory freed by one cycle and reused by new
//! objects must never be touched by the drop of a dead object from that cycle (which would
//! decrement the new occupant's handle count). With eager sweeping this holds trivially; a
//! lazy or deferred sweep must keep it.

use prologue_gc::{Config, Gc, GcCell, Heap, Trace};

mod common;
use common::resurrect::{self, Resurrector};

#[derive(Trace)]
struct Pair {
    other: GcCell<Option<Gc<Pair>>>,
    value: u64,
}

#[test]
fn objects_reusing_freed_memory_keep_exact_handle_counts() {
    let short = std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1");
    let n = if short { 2_000 } else { 50_000 };
    let heap = Heap::with_config(Config::default().torture(false));
    for round in 0..3u64 {
        // Garbage cycles: each dead object's drop decrements its partner.
        for i in 0..n {
            let a = heap.alloc(Pair {
                other: GcCell::new(None),
                value: i,
            });
            let b = heap.alloc(Pair {
                other: GcCell::new(Some(a.clone())),
                value: i,
            });
            *a.other.borrow_mut() = Some(b);
        }
        heap.collect();
        // New objects, likely at the addresses just freed.
        let fresh: Vec<Gc<Pair>> = (0..2 * n)
            .map(|i| {
                heap.alloc(Pair {
                    other: GcCell::new(None),
                    value: round * 1_000_000 + i,
                })
            })
            .collect();
        assert!(fresh.iter().all(|p| Gc::handle_count(p) == 1));
        let cycle = heap.collect();
        assert_eq!(cycle.objects_live, fresh.len());
        assert!(fresh
            .iter()
            .enumerate()
            .all(|(i, p)| p.value == round * 1_000_000 + i as u64));
        heap.verify();
    }
}

/// A heap whose pacing cycles come often (and sweep lazily).
fn lazy_heap() -> Heap {
    Heap::with_config(
        Config::default()
            .min_heap_bytes(64 << 10)
            .torture(false)
            // these tests pin the full cycles' lazy sweep
            .young_bytes(0),
    )
}

/// Allocates `Pair`s until a pacing cycle has run, keeping none, and returns that cycle's
/// statistics.
fn run_pacing_cycle(heap: &Heap) -> prologue_gc::CycleStats {
    let seen = std::rc::Rc::new(std::cell::RefCell::new(None));
    let sink = seen.clone();
    heap.on_cycle(move |c| {
        sink.borrow_mut().get_or_insert_with(|| c.clone());
    });
    let mut i = 0;
    while seen.borrow().is_none() {
        drop(heap.alloc(Pair {
            other: GcCell::new(None),
            value: i,
        }));
        i += 1;
    }
    let cycle = seen.borrow_mut().take().unwrap();
    assert!(cycle.lazy_sweep, "pacing cycles sweep lazily");
    cycle
}

#[test]
fn lazily_swept_slots_reused_while_dead_neighbours_still_point_at_them() {
    let short = std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1");
    let n = if short { 2_000 } else { 20_000 };
    let heap = lazy_heap();
    for round in 0..3u64 {
        // Garbage whose edges cross pages: each object points at one allocated n/2 earlier,
        // and the first half is also pointed at from the second.
        let mut chain: Vec<Gc<Pair>> = Vec::new();
        for i in 0..n {
            let back = (i >= n / 2).then(|| chain[(i - n / 2) as usize].clone());
            chain.push(heap.alloc(Pair {
                other: GcCell::new(back),
                value: i,
            }));
        }
        *chain[0].other.borrow_mut() = Some(chain[(n - 1) as usize].clone());
        drop(chain);
        run_pacing_cycle(&heap);
        // Fresh objects take the slots the allocations sweep, while other pages (whose dead
        // objects point into those slots) are still unswept.
        let fresh: Vec<Gc<Pair>> = (0..n)
            .map(|i| {
                heap.alloc(Pair {
                    other: GcCell::new(None),
                    value: round * 1_000_000 + i,
                })
            })
            .collect();
        assert!(fresh.iter().all(|p| Gc::handle_count(p) == 1));
        let cycle = heap.collect();
        assert!(!cycle.lazy_sweep, "collect() sweeps before it returns");
        assert_eq!(cycle.objects_live, fresh.len());
        assert_eq!(heap.stats().objects, fresh.len());
        assert!(fresh.iter().all(|p| Gc::handle_count(p) == 1));
        assert!(fresh
            .iter()
            .enumerate()
            .all(|(i, p)| p.value == round * 1_000_000 + i as u64));
        heap.verify();
    }
}

#[test]
fn handles_resurrected_during_a_lazy_sweep_never_dangle() {
    let short = std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1");
    let n = if short { 500 } else { 5_000 };
    let heap = lazy_heap();
    // Targets first, then their resurrectors (in other pages: a different size class).
    let targets: Vec<Gc<Pair>> = (0..n)
        .map(|i| {
            heap.alloc(Pair {
                other: GcCell::new(None),
                value: i,
            })
        })
        .collect();
    for target in targets {
        drop(heap.alloc(Resurrector {
            target: Some(target),
        }));
    }
    run_pacing_cycle(&heap);
    // Reuse whatever the allocations sweep, then finish the sweep.
    let fresh: Vec<Gc<Pair>> = (0..2 * n)
        .map(|i| {
            heap.alloc(Pair {
                other: GcCell::new(None),
                value: 7_000_000 + i,
            })
        })
        .collect();
    heap.verify();
    let cycle = heap.collect();
    let resurrected = resurrect::take_all::<Gc<Pair>>();
    assert_eq!(resurrected.len(), n as usize);
    assert_eq!(cycle.zombies, resurrected.len());
    for handle in &resurrected {
        assert!(
            Gc::is_dead(handle),
            "a resurrected handle names a swept object"
        );
        assert_eq!(Gc::handle_count(handle), 1);
    }
    assert!(fresh.iter().all(|p| Gc::handle_count(p) == 1));
    assert!(fresh
        .iter()
        .enumerate()
        .all(|(i, p)| p.value == 7_000_000 + i as u64));
    drop(resurrected);
    let cycle = heap.collect();
    assert_eq!(cycle.zombies, 0);
    assert_eq!(heap.stats().objects, fresh.len());
    heap.verify();
}

/// Panics when dropped.
struct Bomb(#[allow(dead_code)] u64);

// SAFETY: holds no handles.
unsafe impl Trace for Bomb {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut prologue_gc::Tracer) {}
}

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("bomb dropped");
    }
}

#[test]
fn a_destructor_panic_in_a_lazy_sweep_surfaces_from_alloc_and_leaves_the_heap_consistent() {
    let heap = lazy_heap();
    drop(heap.alloc(Bomb(1)));
    let keep = heap.alloc(Bomb(2));
    // The pacing loop below allocates Pairs; the bomb's page is swept when an allocation of
    // its class needs a page (or at the latest by verify()).
    let cycle = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_pacing_cycle(&heap)));
    assert!(cycle.is_ok(), "the bombs' class was not allocated into yet");
    let swept = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // Same size class as the bombs (a 32-byte slot), but nothing that panics when the
        // unwinding drops the value being allocated.
        for i in 0..10_000u64 {
            drop(heap.alloc(i));
        }
    }));
    let message = swept.expect_err("the dead bomb's destructor panics during a page sweep");
    assert_eq!(message.downcast_ref::<&str>(), Some(&"bomb dropped"));
    heap.verify();
    assert_eq!(heap.stats().zombies, 0);
    std::mem::forget(keep);
}

/// A node whose destructor allocates on the heap being swept (the new object takes a slot the
/// eager sweep may just have freed) and keeps what it allocated.
struct Noisy {
    next: GcCell<Option<Gc<Noisy>>>,
}

thread_local! {
    static SWEPT_HEAP: std::cell::RefCell<Option<std::rc::Rc<Heap>>> = const { std::cell::RefCell::new(None) };
    static BORN_IN_DROPS: std::cell::RefCell<Vec<Gc<u64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

// SAFETY: `trace` visits the one cell, which owns the only handle; `DROP_IS_TRACE` keeps its
// default (false: the value has a destructor).
unsafe impl Trace for Noisy {
    fn trace(&self, tracer: &mut prologue_gc::Tracer) {
        self.next.trace(tracer);
    }
}

impl Drop for Noisy {
    fn drop(&mut self) {
        SWEPT_HEAP.with(|heap| {
            if let Some(heap) = &*heap.borrow() {
                let born = heap.alloc(7u64);
                BORN_IN_DROPS.with(|b| b.borrow_mut().push(born));
            }
        });
    }
}

#[test]
fn an_eager_sweep_is_exact_for_lists_built_either_way_while_destructors_allocate() {
    // An eager sweep frees a page's unnamed dead objects as soon as the page's values are
    // dropped, last page first, and the rest once every value is dropped. A list built
    // bottom-up (each node allocated after the one it points to) is freed page by page; one
    // built top-down (each node allocated before the one it points to) leaves each node named
    // until the page before it is reached. Either way `collect()` must free all of it, leave
    // no zombie, and keep every object the destructors allocated into freed slots intact.
    let short = std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1");
    let n: u64 = if short { 3_000 } else { 40_000 };
    let heap = std::rc::Rc::new(Heap::with_config(
        Config::default()
            .torture(false)
            .young_bytes(0)
            .min_heap_bytes(usize::MAX),
    ));
    SWEPT_HEAP.with(|h| *h.borrow_mut() = Some(heap.clone()));
    // Bottom-up: each new node holds the previous one.
    let mut bottom_up: Option<Gc<Noisy>> = None;
    for _ in 0..n {
        bottom_up = Some(heap.alloc(Noisy {
            next: GcCell::new(bottom_up.take()),
        }));
    }
    // Top-down: each new node is stored into the previous one.
    let top_down = heap.alloc(Noisy {
        next: GcCell::new(None),
    });
    let mut tail = top_down.clone();
    for _ in 1..n {
        let node = heap.alloc(Noisy {
            next: GcCell::new(None),
        });
        *tail.next.borrow_mut() = Some(node.clone());
        tail = node;
    }
    drop((bottom_up, top_down, tail));
    let stats = heap.collect();
    assert_eq!(stats.objects_freed, 2 * n as usize);
    assert_eq!(
        stats.zombies, 0,
        "every dead node freed in the same collect()"
    );
    let born = BORN_IN_DROPS.with(|b| b.borrow().len());
    assert_eq!(born, 2 * n as usize, "one allocation per destructor");
    assert_eq!(heap.stats().objects, born);
    assert!(BORN_IN_DROPS.with(|b| b.borrow().iter().all(|x| **x == 7)));
    heap.verify();
    SWEPT_HEAP.with(|h| h.borrow_mut().take());
    BORN_IN_DROPS.with(|b| b.borrow_mut().clear());
    assert_eq!(heap.collect().objects_freed, born);
    assert_eq!(heap.stats().objects, 0);
}
