//! Everything a user needs comes from `prologue` alone: the collector, the derive, the pools and
//! the statistics, working together.

use prologue::{
    clear_pools, detach_pools, AllocError, Config, CycleStats, DrainPolicy, DrainReport, Gc,
    GcCell, Heap, HeapStats, LocalPool, Pool, PoolStats, Pooled, Trace, Tracer, WeakGc,
};
use std::sync::{Mutex, MutexGuard};

/// Every collection drains every pool in the process, so the tests here, which count what
/// pools hold, run one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Trace)]
struct Node {
    label: String,
    next: GcCell<Option<Gc<Node>>>,
}

/// A hand-written impl through the re-exported trait and tracer.
struct Pair(Gc<Node>, Gc<Node>);

// SAFETY: visits both owned handles exactly once and nothing else (rules 1 and 2).
unsafe impl Trace for Pair {
    fn trace(&self, tracer: &mut Tracer) {
        self.0.trace(tracer);
        self.1.trace(tracer);
    }
}

static BUFFERS: Pool<Vec<u8>> = Pool::new(Vec::new);
static KEPT: Pool<Vec<u8>> = Pool::new(Vec::new).with_policy(DrainPolicy::Victim);

#[test]
fn heap_handles_cells_and_weak_handles() {
    let _serial = serial();
    let heap = Heap::with_config(Config::default().gc_percent(50));
    let a = heap.alloc(Node {
        label: "a".into(),
        next: GcCell::new(None),
    });
    let b = heap.alloc(Node {
        label: "b".into(),
        next: GcCell::new(Some(a.clone())),
    });
    *a.next.borrow_mut() = Some(b.clone());
    let pair = heap.alloc(Pair(a.clone(), b.clone()));
    assert_eq!(pair.1.next.borrow().as_ref().unwrap().label, "a");

    let weak: WeakGc<Node> = Gc::downgrade(&a);
    drop((a, b));
    heap.collect();
    assert!(weak.upgrade().is_some(), "the pair still holds the cycle");
    drop(pair);
    let cycle: CycleStats = heap.collect();
    assert_eq!(cycle.objects_freed, 3);
    assert!(weak.upgrade().is_none());
    let stats: HeapStats = heap.stats();
    assert_eq!(stats.objects, 0);
    assert!(stats.cycles >= 2);
}

#[test]
fn try_alloc_reports_the_limit() {
    let _serial = serial();
    let heap = Heap::with_config(Config::default().max_heap_bytes(64 << 10));
    let mut kept = Vec::new();
    let error: AllocError = loop {
        match heap.try_alloc([0u64; 128]) {
            Ok(handle) => kept.push(handle),
            Err(e) => break e,
        }
        assert!(kept.len() < 10_000, "the limit was never reached");
    };
    assert!(!error.to_string().is_empty());
}

#[test]
fn pools_and_the_drain_through_the_facade() {
    let _serial = serial();
    let mut guard: Pooled<'_, Vec<u8>> = BUFFERS.pull();
    guard.extend_from_slice(b"pooled");
    drop(guard);
    KEPT.put(vec![1, 2, 3]);
    let before: PoolStats = BUFFERS.stats();
    assert!(before.puts >= 1);

    let report: DrainReport = clear_pools();
    assert!(report.pools >= 2);
    assert!(BUFFERS.try_get().is_none(), "drain policy empties the pool");
    assert_eq!(
        KEPT.try_get(),
        Some(vec![1, 2, 3]),
        "victim keeps it one cycle"
    );

    // The two-step drain a collector uses: detach inside the pause, drop afterwards.
    BUFFERS.put(vec![7; 16]);
    let detached = detach_pools();
    assert!(detached.items() >= 1);
    assert!(
        BUFFERS.try_get().is_none(),
        "detached values are out of the pool"
    );
    let report = detached.finish();
    assert!(report.items >= 1);
}

#[test]
fn local_pools_hold_handles_until_the_next_collection() {
    let _serial = serial();
    let heap = Heap::new();
    let pool: LocalPool<Option<Gc<Node>>> = LocalPool::new(|| None);
    pool.put(Some(heap.alloc(Node {
        label: "parked".into(),
        next: GcCell::new(None),
    })));
    assert_eq!(heap.stats().objects, 1);
    let cycle = heap.collect();
    assert_eq!(cycle.objects_freed, 1, "gc_start dropped the pooled handle");
    assert!(pool.try_get().is_none());
}
