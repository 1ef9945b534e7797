//! gc_start drains the pools: what only a pool held is collected by the cycle that drained it.

use std::cell::Cell;
use std::rc::Rc;

use prologue_gc::{Config, Gc, Heap, Trace};
use prologue_pool::LocalPool;

struct Flag(Rc<Cell<bool>>);

impl Drop for Flag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[derive(Trace)]
struct Payload {
    #[trace(skip)]
    _dropped: Flag,
}

fn heap() -> Heap {
    // Exact cycle counts are asserted: no torture.
    Heap::with_config(Config::default().torture(false))
}

#[test]
fn an_object_only_a_local_pool_holds_is_collected_by_the_cycle_that_drains_the_pool() {
    let heap = heap();
    let pool: LocalPool<Option<Gc<Payload>>> = LocalPool::new(|| None);
    let dropped = Rc::new(Cell::new(false));
    pool.put(Some(heap.alloc(Payload {
        _dropped: Flag(dropped.clone()),
    })));
    assert_eq!(heap.stats().objects, 1);

    let cycle = heap.collect();
    assert!(dropped.get(), "collected in the same cycle");
    assert_eq!(cycle.objects_freed, 1);
    assert_eq!(cycle.cycle, 1);
    assert!(cycle.pools_drained >= 1);
    assert!(cycle.pool_items_drained >= 1);
    assert!(pool.try_get().is_none(), "the pool was drained");
    assert_eq!(heap.stats().objects, 0);
}

#[test]
fn a_pooled_value_that_is_also_held_elsewhere_survives_the_drain() {
    let heap = heap();
    let pool: LocalPool<Option<Gc<u32>>> = LocalPool::new(|| None);
    let kept = heap.alloc(7u32);
    pool.put(Some(kept.clone()));
    let cycle = heap.collect();
    assert_eq!((cycle.objects_freed, cycle.objects_live), (0, 1));
    assert_eq!(
        Gc::handle_count(&kept),
        1,
        "the pooled clone was dropped by the drain"
    );
}

#[test]
fn pacing_cycles_drain_pools_too() {
    let heap = Heap::with_config(
        Config::default()
            .min_heap_bytes(16 << 10)
            .torture(false)
            // full cycles only: they drain the pools
            .young_bytes(0),
    );
    let pool: LocalPool<Option<Gc<Payload>>> = LocalPool::new(|| None);
    let dropped = Rc::new(Cell::new(false));
    let payload = heap.alloc(Payload {
        _dropped: Flag(dropped.clone()),
    });
    let weak = Gc::downgrade(&payload);
    pool.put(Some(payload));
    let mut n = 0u64;
    while heap.stats().cycles == 0 {
        drop(heap.alloc([n; 8]));
        n += 1;
    }
    // The pacing cycle found the object unreachable (its weak slot is empty at once); its
    // value is dropped when the lazy sweep reaches its page, at the latest by `verify`.
    assert!(weak.upgrade().is_none());
    heap.verify();
    assert!(dropped.get());
}
