//! The release step of young cycles: objects no handle names are freed before anything is
//! traced, by one trace for values whose drop is their trace (`Trace::DROP_IS_TRACE`) and by
//! their destructor otherwise; old objects whose count that brings to zero go too.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use prologue_gc::{Config, Gc, GcCell, Heap, Trace, Tracer, Trigger};

mod common;
use common::{run_young_cycle, run_young_cycle_with_filler, short};

#[derive(Trace)]
struct Tree {
    children: Option<(Gc<Tree>, Gc<Tree>)>,
    value: u64,
}

fn tree(heap: &Heap, depth: u32) -> Gc<Tree> {
    let children = (depth > 0).then(|| (tree(heap, depth - 1), tree(heap, depth - 1)));
    heap.alloc(Tree {
        children,
        value: u64::from(depth),
    })
}

fn nodes(depth: u32) -> usize {
    (1 << (depth + 1)) - 1
}

/// A heap whose full-cycle goal is far away, so only young cycles run unless asked.
fn young_heap() -> Heap {
    heap_with_nursery(256 << 10)
}

/// [`young_heap`] with a nursery of `young_bytes`. Incremental cycles stay off whatever the
/// environment says: with them on, a release also stops at a deadline, and these tests count
/// exactly what one cycle releases (the deadline has a test of its own).
fn heap_with_nursery(young_bytes: usize) -> Heap {
    Heap::with_config(
        Config::default()
            .min_heap_bytes(256 << 20)
            .young_bytes(young_bytes)
            .torture(false)
            .incremental(false),
    )
}

fn drop_is_trace<T: Trace + ?Sized>() -> bool {
    T::DROP_IS_TRACE
}

#[test]
fn derive_computes_drop_is_trace_from_the_fields() {
    #[derive(Trace)]
    struct Handles {
        _a: Gc<u8>,
        _b: Option<(Gc<u8>, u64)>,
        _c: GcCell<[Option<Gc<u8>>; 2]>,
        #[trace(skip)]
        _d: u32,
    }
    #[derive(Trace)]
    struct WithString {
        _a: Gc<u8>,
        _s: String,
    }
    #[derive(Trace)]
    struct WithVec {
        _v: Vec<Gc<u8>>,
    }
    #[derive(Trace)]
    struct SkippedDrop {
        _a: Gc<u8>,
        #[trace(skip)]
        _s: String,
    }
    #[derive(Trace)]
    enum Shape {
        _Leaf(u8),
        _Pair(Gc<u8>, Gc<u8>),
    }
    assert!(drop_is_trace::<Handles>());
    assert!(drop_is_trace::<Shape>());
    assert!(drop_is_trace::<Tree>());
    assert!(!drop_is_trace::<WithString>());
    assert!(!drop_is_trace::<WithVec>());
    assert!(!drop_is_trace::<SkippedDrop>());
    assert!(drop_is_trace::<u64>());
    assert!(!drop_is_trace::<String>());
    assert!(!drop_is_trace::<Box<Gc<u8>>>());
    assert!(!drop_is_trace::<std::mem::ManuallyDrop<Gc<u8>>>());
}

#[test]
fn a_dead_tree_is_released_without_tracing_the_heap() {
    let heap = young_heap();
    let keep = tree(&heap, 4);
    heap.collect(); // `keep` is old now
    drop(tree(&heap, 10));
    let (cycle, filler) = run_young_cycle_with_filler(&heap);
    assert_eq!(
        cycle.objects_released - filler,
        nodes(10),
        "released the whole {}-node tree",
        nodes(10)
    );
    assert_eq!(
        cycle.objects_freed, cycle.objects_released,
        "nothing left to sweep"
    );
    assert_eq!(heap.stats().objects, nodes(4) + 1);
    assert_eq!(keep.children.as_ref().unwrap().0.value, 3);
    heap.verify();
}

#[test]
fn old_objects_whose_last_handle_a_release_drops_are_released_too() {
    let heap = young_heap();
    let old = tree(&heap, 8);
    heap.collect(); // the whole tree is old now
    let holder = heap.alloc(Tree {
        children: Some((old.clone(), old.clone())),
        value: 99,
    });
    drop(old);
    let before = heap.stats().objects;
    drop(holder);
    let (cycle, filler) = run_young_cycle_with_filler(&heap);
    // The young holder goes, and with it the old tree it held twice.
    assert_eq!(cycle.objects_released - filler, 1 + nodes(8), "{cycle:?}");
    assert_eq!(heap.stats().objects, before - 1 - nodes(8) + 1);
    heap.verify();
    assert_eq!(
        heap.collect().objects_freed,
        1,
        "only the last integer was left"
    );
}

#[test]
fn handles_into_another_heap_are_dropped_by_the_release() {
    let (a, b) = (young_heap(), young_heap());
    let in_b = b.alloc(7u64);
    let holder = a.alloc(Tree {
        children: None,
        value: 0,
    });
    #[derive(Trace)]
    struct Cross {
        _other: Gc<u64>,
        _mine: Gc<Tree>,
    }
    drop(a.alloc(Cross {
        _other: in_b.clone(),
        _mine: holder.clone(),
    }));
    assert_eq!(Gc::handle_count(&in_b), 2);
    run_young_cycle(&a);
    assert_eq!(
        Gc::handle_count(&in_b),
        1,
        "the released object's handle was dropped"
    );
    assert_eq!(Gc::handle_count(&holder), 1);
    drop(in_b);
    assert_eq!(b.collect().objects_freed, 1);
    a.verify();
    b.verify();
}

/// Counts its drops; holds a handle, so it is released through its destructor.
struct Counted {
    target: Option<Gc<Tree>>,
    drops: Rc<Cell<u32>>,
}

// SAFETY: visits its one handle once.
unsafe impl Trace for Counted {
    fn trace(&self, t: &mut Tracer) {
        self.target.trace(t);
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

#[test]
fn values_with_destructors_are_dropped_once_and_release_what_they_held() {
    let heap = young_heap();
    let drops = Rc::new(Cell::new(0));
    let old = tree(&heap, 3);
    heap.collect();
    for _ in 0..10 {
        drop(heap.alloc(Counted {
            target: Some(old.clone()),
            drops: drops.clone(),
        }));
    }
    drop(old);
    let before = heap.stats().objects;
    let (cycle, filler) = run_young_cycle_with_filler(&heap);
    assert_eq!(drops.get(), 10);
    assert_eq!(cycle.objects_released - filler, 10 + nodes(3));
    assert_eq!(heap.stats().objects, before - 10 - nodes(3) + 1);
    heap.collect();
    assert_eq!(drops.get(), 10, "dropped exactly once");
    heap.verify();
}

#[test]
fn weak_handles_to_released_objects_stop_upgrading() {
    let heap = young_heap();
    let strong = tree(&heap, 2);
    let weak = Gc::downgrade(&strong);
    assert!(weak.upgrade().is_some());
    drop(strong);
    let (cycle, filler) = run_young_cycle_with_filler(&heap);
    // Released, not swept: the release step empties the weak slot itself.
    assert_eq!(cycle.objects_released - filler, nodes(2));
    assert_eq!(cycle.objects_freed, cycle.objects_released);
    assert!(weak.upgrade().is_none());
    heap.verify();
}

/// Panics when dropped.
struct Exploding;

// SAFETY: holds no handles.
unsafe impl Trace for Exploding {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer) {}
}

impl Drop for Exploding {
    fn drop(&mut self) {
        panic!("boom in a released value");
    }
}

#[test]
fn a_destructor_panic_during_the_release_is_resumed_after_the_cycle() {
    let heap = young_heap();
    let kept = tree(&heap, 3);
    drop(heap.alloc(Exploding));
    drop(tree(&heap, 6));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_young_cycle(&heap);
    }));
    let payload = result.expect_err("the destructor's panic is resumed");
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"boom in a released value")
    );
    // The cycle completed: the tree went too, and the heap is consistent and usable.
    // (The allocation that started the cycle did not happen: the panic came first.)
    assert_eq!(heap.stats().objects, nodes(3));
    heap.verify();
    assert_eq!(kept.value, 3);
    drop(kept);
    heap.collect();
    assert_eq!(heap.stats().objects, 0);
}

#[test]
fn a_lazily_swept_heap_releases_old_objects_in_unswept_pages_safely() {
    // Pacing cycles sweep lazily: old objects sit in unswept pages next to unswept garbage
    // when the next young cycle releases some of them.
    let heap = Heap::with_config(
        Config::default()
            .min_heap_bytes(64 << 10)
            .young_bytes(128 << 10)
            .torture(false),
    );
    let triggers = Rc::new(RefCell::new(Vec::new()));
    let sink = triggers.clone();
    heap.on_cycle(move |c| sink.borrow_mut().push(c.trigger));
    let rounds = if short() { 20 } else { 200 };
    let mut kept: Vec<Gc<Tree>> = Vec::new();
    // Trees that die old with no young holder: only a full cycle frees them, so the old
    // generation grows and pacing starts (lazily swept) full cycles.
    let mut dies_old: Vec<Gc<Tree>> = Vec::new();
    for round in 0..rounds {
        kept.push(tree(&heap, 6));
        drop(tree(&heap, 8));
        dies_old.push(tree(&heap, 7));
        if round % 4 == 3 {
            dies_old.clear();
        }
        if kept.len() > 8 {
            // An old tree loses its last handle through a young holder: the next young
            // cycle releases the holder and, through it, the old tree.
            let old = kept.remove(round % kept.len());
            drop(heap.alloc(Tree {
                children: Some((old.clone(), old)),
                value: 0,
            }));
        }
        if round % 16 == 0 {
            heap.verify();
        }
    }
    for t in &kept {
        assert_eq!(t.value, 6);
        assert_eq!(t.children.as_ref().unwrap().1.value, 5);
    }
    let triggers = triggers.borrow();
    let count = |trigger| triggers.iter().filter(|&&t| t == trigger).count();
    assert!(
        count(Trigger::Pacing) > 0,
        "no lazily swept cycle: {triggers:?}"
    );
    assert!(count(Trigger::Young) > 0, "no young cycle: {triggers:?}");
    drop(triggers);
    heap.verify();
    drop(kept);
    heap.collect();
    assert_eq!(heap.stats().objects, 0);
}

thread_local! {
    static ALLOCATING_HEAP: RefCell<Option<(Rc<Heap>, Gc<Holder>)>> = const { RefCell::new(None) };
}

#[derive(Trace)]
struct Holder {
    slot: GcCell<Option<Gc<Tree>>>,
}

/// When dropped, allocates a new object in the heap and stores it in a live holder.
struct AllocatesWhenDropped;

// SAFETY: holds no handles.
unsafe impl Trace for AllocatesWhenDropped {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut Tracer) {}
}

impl Drop for AllocatesWhenDropped {
    fn drop(&mut self) {
        ALLOCATING_HEAP.with(|h| {
            if let Some((heap, holder)) = &*h.borrow() {
                let fresh = heap.alloc(Tree {
                    children: None,
                    value: 77,
                });
                *holder.slot.borrow_mut() = Some(fresh);
            }
        });
    }
}

#[test]
fn an_object_a_released_destructor_allocates_survives_while_reachable() {
    let heap = Rc::new(young_heap());
    // The holder is young and reachable from a local when the release step runs.
    let holder = heap.alloc(Holder {
        slot: GcCell::new(None),
    });
    ALLOCATING_HEAP.with(|h| *h.borrow_mut() = Some((heap.clone(), holder.clone())));
    drop(heap.alloc(AllocatesWhenDropped));
    run_young_cycle(&heap);
    ALLOCATING_HEAP.with(|h| *h.borrow_mut() = None);
    heap.verify();
    // The new object's only handle is inside the holder: several young cycles and a full one
    // must keep it, with its count exact.
    for _ in 0..3 {
        run_young_cycle(&heap);
        heap.verify();
        let slot = holder.slot.borrow();
        let fresh = slot.as_ref().expect("stored by the destructor");
        assert_eq!(fresh.value, 77);
        assert_eq!(Gc::handle_count(fresh), 1);
    }
    heap.collect();
    heap.verify();
    assert_eq!(holder.slot.borrow().as_ref().unwrap().value, 77);
}

#[derive(Trace)]
struct TopDown {
    children: GcCell<Option<(Gc<TopDown>, Gc<TopDown>)>>,
}

/// A tree built top-down, as GCBench's `Populate` does: each parent is allocated before its
/// children, so the walk (newest first) meets the children before the parent that holds them.
fn top_down(heap: &Heap, depth: u32) -> Gc<TopDown> {
    let node = heap.alloc(TopDown {
        children: GcCell::new(None),
    });
    populate(heap, &node, depth);
    node
}

fn populate(heap: &Heap, node: &Gc<TopDown>, depth: u32) {
    if depth == 0 {
        return;
    }
    let left = heap.alloc(TopDown {
        children: GcCell::new(None),
    });
    let right = heap.alloc(TopDown {
        children: GcCell::new(None),
    });
    *node.children.borrow_mut() = Some((left.clone(), right.clone()));
    populate(heap, &left, depth - 1);
    populate(heap, &right, depth - 1);
}

#[test]
fn a_dead_tree_built_top_down_is_released_too() {
    let heap = young_heap();
    let keep = top_down(&heap, 3);
    drop(top_down(&heap, 9));
    let (cycle, filler) = run_young_cycle_with_filler(&heap);
    // Released, every node (none left for the young sweep), though the walk met each child
    // before the parent holding it.
    assert_eq!(
        cycle.objects_released - filler,
        nodes(9),
        "released the whole {}-node tree built top-down",
        nodes(9)
    );
    assert_eq!(cycle.objects_freed, cycle.objects_released);
    assert_eq!(heap.stats().objects, nodes(3) + 1);
    assert!(keep.children.borrow().is_some());
    heap.verify();
}

#[test]
fn a_large_old_structure_is_released_over_several_young_cycles() {
    // A 64 KiB nursery holds about 2,700 small objects, so one young cycle releases at most
    // the budget's minimum (16 Ki old objects); a 2^17-node tree takes several cycles.
    let heap = heap_with_nursery(64 << 10);
    let depth = 16;
    let old = tree(&heap, depth);
    heap.collect(); // old now
    let before = heap.stats().objects;
    assert_eq!(before, nodes(depth));
    // The last handle goes from a young holder, released by the next young cycle.
    drop(heap.alloc(Tree {
        children: Some((old.clone(), old)),
        value: 0,
    }));
    let mut released = Vec::new();
    while heap.stats().objects > 16 {
        let cycle = run_young_cycle(&heap);
        released.push(cycle.objects_released);
        heap.verify();
        assert!(
            released.len() < 100,
            "the release makes progress: {released:?}"
        );
    }
    assert!(
        released.len() >= 4,
        "spread over several cycles: {released:?}"
    );
    assert!(
        released.iter().all(|&n| n <= 16 * 1024 + 4096),
        "each cycle's release is bounded: {released:?}"
    );
    // What is left is garbage the young cycles' own allocations left behind.
    heap.collect();
    assert_eq!(heap.stats().objects, 0);
    heap.verify();
}

#[test]
fn with_incremental_cycles_on_the_old_release_also_stops_at_its_deadline() {
    // With a pause target of zero the deadline has passed when the release starts: it looks
    // at the clock every 256 listed objects and stops at the first look, so a 2^13-node old
    // tree (within the 16 Ki count budget of one cycle) takes many young cycles. (The young
    // walk stops at its first look too: the first cycles walk the filler before reaching the
    // tree's young root.)
    let heap = Heap::with_config(
        Config::default()
            .min_heap_bytes(256 << 20)
            .young_bytes(64 << 10)
            .torture(false)
            .incremental(true)
            .pause_target(std::time::Duration::ZERO),
    );
    let depth = 12;
    let old = tree(&heap, depth);
    heap.collect();
    assert_eq!(heap.stats().objects, nodes(depth));
    drop(heap.alloc(Tree {
        children: Some((old.clone(), old)),
        value: 0,
    }));
    let mut released_old: Vec<usize> = Vec::new();
    while released_old.iter().sum::<usize>() < nodes(depth) {
        let (cycle, filler) = run_young_cycle_with_filler(&heap);
        released_old.push(cycle.objects_released.saturating_sub(filler + 1));
        heap.verify();
        assert!(
            released_old.len() <= nodes(depth) / 128,
            "the release makes progress: {released_old:?}"
        );
    }
    assert!(
        released_old.iter().all(|&n| n <= 256),
        "each cycle stops at its first look at the clock: {released_old:?}"
    );
    assert!(
        released_old.len() >= nodes(depth) / 256,
        "spread over many cycles: {released_old:?}"
    );
    heap.collect();
    assert_eq!(heap.stats().objects, 0);
}

#[test]
fn a_full_cycle_frees_what_a_release_left_listed() {
    let heap = heap_with_nursery(64 << 10);
    let old = tree(&heap, 16);
    heap.collect();
    drop(heap.alloc(Tree {
        children: Some((old.clone(), old)),
        value: 0,
    }));
    let cycle = run_young_cycle(&heap);
    assert!(
        cycle.objects_released < nodes(16),
        "the budget stopped the release"
    );
    // The rest is garbage a full cycle frees; the list the release left is forgotten first.
    heap.collect();
    assert_eq!(heap.stats().objects, 0);
    heap.verify();
    // Young cycles afterwards find nothing stale to release.
    run_young_cycle(&heap);
    heap.verify();
}
