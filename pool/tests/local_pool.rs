//! LocalPool: the same semantics for values that are not `Send`, registered per thread.

use prologue_pool::diagnostics::registered_local_pools;
use prologue_pool::{clear_pools, detach_pools, DrainPolicy, LocalPool, LocalPooled};
use std::cell::Cell;
use std::rc::Rc;

thread_local! {
    static DROPS: Cell<usize> = const { Cell::new(0) };
}

struct Counted;

impl Drop for Counted {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
    }
}

fn drops() -> usize {
    DROPS.with(Cell::get)
}

#[test]
fn local_pool_order_and_victims() {
    let p = LocalPool::new(|| 0u32).with_policy(DrainPolicy::Victim);
    assert_eq!(p.get(), 0);
    p.put(1);
    p.put(2);
    assert_eq!((p.get(), p.get(), p.try_get()), (2, 1, None));
    p.put(3);
    p.clear();
    assert_eq!(p.try_get(), Some(3), "survives one drain");
    p.put(4);
    p.clear();
    p.clear();
    assert_eq!(p.try_get(), None, "gone after two");
    let stats = p.stats();
    assert_eq!(
        (
            stats.gets,
            stats.news,
            stats.puts,
            stats.drained,
            stats.victim_hits
        ),
        (3, 1, 4, 1, 1)
    );
}

#[test]
fn clear_pools_drains_only_this_threads_local_pools() {
    let here = LocalPool::new(|| Rc::new(Counted));
    here.put(Rc::new(Counted));
    let before = drops();
    let other = std::thread::spawn(|| {
        let there = LocalPool::new(|| 0u8);
        there.put(1);
        std::thread::sleep(std::time::Duration::from_millis(50));
        there.try_get() // the main thread's clear_pools does not reach it
    });
    std::thread::sleep(std::time::Duration::from_millis(10));
    clear_pools();
    assert_eq!(drops(), before + 1);
    assert_eq!(other.join().unwrap(), Some(1));
}

#[test]
fn registration_follows_the_pool_lifetime() {
    let before = registered_local_pools();
    let a = LocalPool::new(|| 0u8);
    let b = LocalPool::new(|| 0u16);
    assert_eq!(registered_local_pools(), before + 2);
    drop(a);
    assert_eq!(registered_local_pools(), before + 1);
    drop(b);
    assert_eq!(registered_local_pools(), before);
}

#[test]
fn drop_local_runs_before_finish() {
    let p = LocalPool::new(|| Counted);
    for _ in 0..3 {
        p.put(Counted);
    }
    let before = drops();
    let mut detached = detach_pools();
    assert_eq!(drops(), before);
    assert_eq!(detached.drop_local(), 3);
    assert_eq!(drops(), before + 3);
    detached.finish();
    assert_eq!(drops(), before + 3);
}

#[test]
fn caps_and_guards() {
    let p = LocalPool::new(String::new)
        .with_max_items(2)
        .with_max_size(10, String::capacity);
    p.put(String::with_capacity(100));
    p.put("a".into());
    p.put("b".into());
    p.put("c".into());
    assert_eq!(p.stats().discarded, 2);
    {
        let mut g = p.pull();
        g.push('!');
    }
    let g = p.pull();
    assert!(g.ends_with('!'));
    let s = LocalPooled::into_inner(g);
    assert!(s.ends_with('!'));
    assert_eq!(p.try_get().as_deref(), Some("a"));
    assert_eq!(p.try_get(), None);
}

#[test]
fn a_value_dropped_by_a_drain_may_use_the_pool() {
    // A value whose Drop puts a fresh value into its own pool: the drain must not hold any
    // borrow while dropping.
    struct Returns(Rc<LocalPool<Option<Returns>>>);
    impl Drop for Returns {
        fn drop(&mut self) {
            self.0.put(None);
        }
    }
    let pool = Rc::new(LocalPool::new(|| None));
    pool.put(Some(Returns(pool.clone())));
    pool.clear();
    assert!(matches!(pool.try_get(), Some(None)));
    // Break the Rc cycle.
    while pool.try_get().is_some() {}
}
