//! The young generation: young cycles look only at objects allocated since the last cycle,
//! need no write barrier (an old object's handle makes its young target look held from
//! outside), leave pools and old garbage alone, and keep every soundness rule of full cycles.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use prologue_gc::{Config, Gc, GcCell, Heap, Trace, Tracer, Trigger};
use prologue_pool::LocalPool;

mod common;
use common::{run_young_cycle, run_young_cycle_with_filler, short};

#[derive(Trace)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    value: u64,
}

fn node(heap: &Heap, value: u64) -> Gc<Node> {
    heap.alloc(Node {
        next: GcCell::new(None),
        value,
    })
}

/// A heap with a small nursery and a pacing goal far away, so only young cycles run; with a
/// long pause target, so every young cycle runs to its sweep however slow the build
/// (valgrind): these tests are about what a whole young cycle does (the last one is about a
/// young cycle out of time).
fn young_heap() -> Heap {
    Heap::with_config(
        Config::default()
            .min_heap_bytes(64 << 20)
            .young_bytes(64 << 10)
            .torture(false)
            .pause_target(std::time::Duration::from_secs(1)),
    )
}

#[test]
fn young_garbage_is_freed_by_young_cycles() {
    let heap = young_heap();
    let kept: Vec<_> = (0..100).map(|i| node(&heap, i)).collect();
    let cycle = run_young_cycle(&heap);
    assert!(cycle.objects_freed > 0);
    assert_eq!(cycle.objects_live, kept.len());
    assert!(kept.iter().enumerate().all(|(i, n)| n.value == i as u64));
    heap.verify();
}

#[test]
fn an_old_object_keeps_a_young_one_alive_without_a_write_barrier() {
    let heap = young_heap();
    let old = node(&heap, 1);
    heap.collect(); // `old` is old now
                    // Store a young object into the old one, and drop every other handle to it.
    *old.next.borrow_mut() = Some(node(&heap, 2));
    for _ in 0..3 {
        run_young_cycle(&heap);
    }
    let young = old.next.borrow().clone().unwrap();
    assert!(!Gc::is_dead(&young));
    assert_eq!(young.value, 2);
    assert_eq!(Gc::handle_count(&young), 2);
    heap.verify();
}

#[test]
fn young_cycles_leave_old_garbage_and_pools_to_full_cycles() {
    let heap = young_heap();
    let pool: LocalPool<Option<Gc<Node>>> = LocalPool::new(|| None);
    let old_garbage = node(&heap, 1);
    let weak = Gc::downgrade(&old_garbage);
    pool.put(Some(node(&heap, 2)));
    heap.collect(); // drains the pool and ages `old_garbage`
    pool.put(Some(node(&heap, 3)));
    drop(old_garbage);
    let cycle = run_young_cycle(&heap);
    assert_eq!(cycle.pools_drained, 0, "young cycles do not drain pools");
    assert!(
        weak.upgrade().is_some(),
        "old garbage waits for a full cycle"
    );
    let pooled = pool
        .get()
        .expect("the pooled handle survived the young cycle");
    assert_eq!(pooled.value, 3);
    drop(pooled);
    let full = heap.collect();
    assert_eq!(full.trigger, Trigger::Explicit);
    assert!(weak.upgrade().is_none());
    assert_eq!(heap.stats().objects, 0);
    heap.verify();
}

#[test]
fn weak_handles_to_young_garbage_stop_upgrading_after_a_young_cycle() {
    let heap = young_heap();
    let weak = Gc::downgrade(&node(&heap, 5));
    run_young_cycle(&heap);
    assert!(weak.upgrade().is_none());
    heap.verify();
}

#[test]
fn young_cycles_collect_young_garbage_cycles_and_keep_counts_exact() {
    let heap = young_heap();
    let rounds = if short() { 3 } else { 20 };
    let keep = node(&heap, 0);
    for round in 0..rounds {
        for i in 0..500 {
            let a = node(&heap, i);
            let b = node(&heap, i);
            *a.next.borrow_mut() = Some(b.clone());
            *b.next.borrow_mut() = Some(a);
        }
        *keep.next.borrow_mut() = Some(node(&heap, round));
        run_young_cycle(&heap);
        assert_eq!(keep.next.borrow().as_ref().unwrap().value, round);
        heap.verify();
    }
    assert_eq!(Gc::handle_count(&keep), 1);
}

thread_local! {
    static RESURRECTED: RefCell<Vec<Gc<Node>>> = const { RefCell::new(Vec::new()) };
}

/// Moves its handle out into a global when dropped (a manual impl: the derive refuses Drop).
/// `me` can close a loop through itself, so that it is garbage while its count is not zero.
struct Resurrector {
    target: GcCell<Option<Gc<Node>>>,
    me: GcCell<Option<Gc<Resurrector>>>,
}

// SAFETY: visits its two handle cells once each.
unsafe impl Trace for Resurrector {
    fn trace(&self, t: &mut Tracer) {
        self.target.trace(t);
        self.me.trace(t);
    }
}

impl Drop for Resurrector {
    fn drop(&mut self) {
        if let Some(target) = self.target.borrow_mut().take() {
            RESURRECTED.with(|r| r.borrow_mut().push(target));
        }
    }
}

fn resurrector(heap: &Heap, in_a_loop: bool) -> Gc<Resurrector> {
    let holder = heap.alloc(Resurrector {
        target: GcCell::new(None),
        me: GcCell::new(None),
    });
    // The target is allocated after its resurrector, so a newest-first pass reaches it
    // first, while the resurrector still holds a handle: it must not be freed then.
    *holder.target.borrow_mut() = Some(node(heap, 42));
    if in_a_loop {
        *holder.me.borrow_mut() = Some(holder.clone());
    }
    holder
}

#[test]
fn a_handle_resurrected_during_a_young_sweep_never_dangles() {
    let heap = young_heap();
    // In a loop, the resurrector is garbage with a count of one: the sweep finds it, and its
    // destructor moves out a handle to an object the same sweep found dead (a zombie).
    drop(resurrector(&heap, true));
    run_young_cycle(&heap);
    let handle = RESURRECTED
        .with(|r| r.borrow_mut().pop())
        .expect("resurrected");
    assert!(Gc::is_dead(&handle));
    assert_eq!(heap.stats().zombies, 1);
    // Reuse the freed memory; the zombie's slot must not be handed out.
    let fresh: Vec<_> = (0..2_000).map(|i| node(&heap, i)).collect();
    assert!(fresh.iter().all(|n| Gc::handle_count(n) == 1));
    assert_eq!(Gc::handle_count(&handle), 1);
    heap.verify();
    drop(handle);
    heap.collect();
    assert_eq!(heap.stats().zombies, 0);
    heap.verify();
}

#[test]
fn a_handle_resurrected_by_a_released_object_names_a_live_object() {
    let heap = young_heap();
    // No handle names the resurrector: the release step drops it before anything is traced,
    // and the handle its destructor moves out keeps the target alive (not a zombie).
    drop(resurrector(&heap, false));
    let (cycle, filler) = run_young_cycle_with_filler(&heap);
    assert_eq!(
        cycle.objects_released - filler,
        1,
        "the release step, not the sweep, dropped the resurrector"
    );
    let handle = RESURRECTED
        .with(|r| r.borrow_mut().pop())
        .expect("resurrected");
    assert!(!Gc::is_dead(&handle));
    assert_eq!(handle.value, 42);
    assert_eq!(heap.stats().zombies, 0);
    let fresh: Vec<_> = (0..2_000).map(|i| node(&heap, i)).collect();
    assert!(fresh.iter().all(|n| Gc::handle_count(n) == 1));
    assert_eq!(handle.value, 42);
    heap.verify();
    drop(handle);
    heap.collect();
    assert_eq!(heap.stats().objects, fresh.len());
}

/// Counts its drops, and panics on the first one.
struct Fragile(Rc<Cell<u32>>);

// SAFETY: holds no handles.
unsafe impl Trace for Fragile {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer) {}
}

impl Drop for Fragile {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
        if self.0.get() == 1 {
            panic!("fragile");
        }
    }
}

#[test]
fn a_destructor_panic_in_a_young_sweep_is_resumed_after_the_sweep() {
    let heap = young_heap();
    let drops = Rc::new(Cell::new(0));
    drop(heap.alloc(Fragile(drops.clone())));
    drop(heap.alloc(Fragile(drops.clone())));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_young_cycle(&heap);
    }));
    assert!(result.is_err());
    assert_eq!(drops.get(), 2, "the sweep went on after the panic");
    heap.verify();
    assert_eq!(heap.stats().zombies, 0);
}

/// With incremental cycles on, a young cycle's release walk stops at half the pause target:
/// the oldest entries, which it has not reached, stay young (unreleased, unpromoted) for the
/// next cycle, so a nursery sized too large for the machine's speed still makes a short stop.
#[test]
fn a_young_release_out_of_time_leaves_the_oldest_entries_young() {
    let heap = Heap::with_config(
        Config::default()
            .incremental(true)
            .torture(false)
            .min_heap_bytes(64 << 20)
            .young_bytes(64 << 10)
            .pause_target(std::time::Duration::ZERO),
    );
    let kept: Vec<Gc<Node>> = (0..100).map(|i| node(&heap, i)).collect();
    // Garbage older than the filler: the walk, newest first, does not get to it.
    for i in 0..300 {
        drop(node(&heap, 1000 + i));
    }
    let objects = heap.stats().objects;
    let (cycle, filler) = run_young_cycle_with_filler(&heap);
    assert!(cycle.outrun, "{cycle}");
    assert!(
        cycle.objects_released < filler + 300,
        "the walk went through all {} entries: {cycle}",
        filler + 300
    );
    // Nothing the walk did not reach was freed: the old garbage is all there.
    assert!(heap.stats().objects >= objects - filler.min(cycle.objects_released));
    heap.verify();
    // Later cycles reach the rest; every kept node is intact, and a full cycle leaves just them.
    for _ in 0..20 {
        run_young_cycle(&heap);
        heap.verify();
    }
    heap.collect();
    assert_eq!(heap.stats().objects, kept.len());
    assert!(kept.iter().zip(0..).all(|(n, i)| n.value == i));
}

/// With incremental cycles on, a young cycle's mark gives up at the pause target and promotes
/// every young object as it stands (`outrun`): nothing is freed that a whole mark would keep,
/// and the young garbage cycle it had no time to prove dead waits for a full cycle. (A whole
/// young mark frees the pair, and takes as long as the young survivors are many.)
#[test]
fn a_young_cycle_out_of_time_promotes_what_it_has_not_proven_dead() {
    let heap = Heap::with_config(
        Config::default()
            .incremental(true)
            .torture(false)
            .min_heap_bytes(64 << 20)
            .young_bytes(1 << 20)
            .pause_target(std::time::Duration::ZERO),
    );
    let a = node(&heap, 1);
    let b = node(&heap, 2);
    *a.next.borrow_mut() = Some(b.clone());
    *b.next.borrow_mut() = Some(a);
    drop(b); // a two-node garbage cycle: no young release can free it, only a mark
    let mut head = node(&heap, 0);
    for i in 1..2_000 {
        let next = node(&heap, i);
        *next.next.borrow_mut() = Some(head);
        head = next;
    }
    let cycle = run_young_cycle(&heap);
    assert!(cycle.outrun, "{cycle}");
    assert_eq!(cycle.objects_freed, cycle.objects_released, "{cycle}");
    heap.verify();
    let full = heap.collect();
    assert!(full.objects_freed >= 2, "{full}");
    let mut expected = 1_999;
    let mut at = Some(head);
    while let Some(n) = at {
        assert_eq!(n.value, expected);
        expected = expected.wrapping_sub(1);
        at = n.next.borrow().clone();
    }
    assert_eq!(expected, u64::MAX);
    heap.verify();
}

/// A heap for the unexamined-promotion tests: young cycles only, incremental cycles as asked.
fn skipping_heap(incremental: bool) -> Heap {
    Heap::with_config(
        Config::default()
            .min_heap_bytes(256 << 20)
            .young_bytes(64 << 10)
            .torture(false)
            .incremental(incremental)
            .pause_target(std::time::Duration::from_secs(1)),
    )
}

/// Runs a young cycle after allocating `survivors` nodes the caller keeps (a list built
/// bottom-up, as a structure half built when the cycle comes) and `garbage_cycles` pairs
/// of nodes that point at each other and are dropped; returns whether the cycle examined
/// what its release left.
fn young_cycle_with(
    heap: &Heap,
    kept: &mut Vec<Gc<Node>>,
    survivors: u64,
    garbage_cycles: u64,
) -> bool {
    for i in 0..garbage_cycles {
        let a = node(heap, i);
        let b = node(heap, i);
        *a.next.borrow_mut() = Some(b.clone());
        *b.next.borrow_mut() = Some(a);
    }
    for i in 0..survivors {
        let n = node(heap, i);
        *n.next.borrow_mut() = kept.last().cloned();
        kept.push(n);
    }
    !run_young_cycle(heap).unexamined
}

#[test]
fn young_cycles_that_find_no_garbage_cycles_skip_seven_marks() {
    for incremental in [false, true] {
        young_cycles_skip_seven_marks(skipping_heap(incremental));
    }
}

fn young_cycles_skip_seven_marks(heap: Heap) {
    let mut kept = Vec::new();
    let examined: Vec<bool> = (0..17)
        .map(|_| young_cycle_with(&heap, &mut kept, 200, 0))
        .collect();
    let mut expected = vec![true];
    for _ in 0..2 {
        expected.extend([false; 7]);
        expected.push(true);
    }
    assert_eq!(examined, expected);
    heap.verify();
    // Promoted unexamined or marked, every survivor is intact.
    assert!(kept
        .iter()
        .enumerate()
        .all(|(i, n)| n.value == i as u64 % 200));
}

#[test]
fn young_garbage_cycles_keep_every_young_cycle_examined_and_freed_young() {
    let heap = skipping_heap(false);
    let mut kept = Vec::new();
    let before = heap.stats().objects;
    for _ in 0..10 {
        // 20 garbage pairs among 200 survivors: more than one in 32.
        assert!(
            young_cycle_with(&heap, &mut kept, 200, 20),
            "a young cycle skipped its mark"
        );
    }
    heap.verify();
    // Only the survivors (and the filler each cycle leaves) remain: the pairs were freed young.
    assert!(heap.stats().objects - before <= kept.len() + 10);
}

#[test]
fn an_unexamined_young_cycle_promotes_garbage_cycles_for_a_full_cycle_to_free() {
    let heap = skipping_heap(false);
    let mut kept = Vec::new();
    assert!(young_cycle_with(&heap, &mut kept, 200, 0));
    // The next cycle promotes without looking: its one garbage pair survives it, promoted.
    let before = heap.stats().objects;
    assert!(!young_cycle_with(&heap, &mut kept, 0, 1));
    // (The filler the last cycle left is released; this one leaves its own.)
    assert_eq!(heap.stats().objects, before + 2, "the pair promoted");
    heap.verify();
    // A full cycle frees the pair (and the fillers); nothing reachable goes.
    heap.collect();
    assert_eq!(heap.stats().objects, kept.len());
    assert!(kept.iter().enumerate().all(|(i, n)| n.value == i as u64));
}
