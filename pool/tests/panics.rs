//! A panic in `new`, in a `from_fn` closure, or in a value's `Drop` during a drain leaves the
//! pool and the registry usable.

mod common;

use common::serial;
use prologue_pool::diagnostics::registered_pools;
use prologue_pool::{clear_pools, DrainPolicy, LocalPool, Pool};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[test]
fn panic_in_new_leaves_pool_usable() {
    fn boom() -> u32 {
        panic!("new failed")
    }
    let _serial = serial(); // no other test's drain between the put and the get
    let p = Pool::new(boom);
    assert!(catch_unwind(AssertUnwindSafe(|| p.get())).is_err());
    p.put(5);
    assert_eq!(p.get(), 5);
    let stats = p.stats();
    assert_eq!((stats.gets, stats.news, stats.puts), (2, 1, 1));
    clear_pools();
}

#[test]
fn panic_in_closure_leaves_pool_usable() {
    // Its pool registers and, when dropped, deregisters: another test counts registrations.
    let _serial = serial();
    let fail = AtomicBool::new(true);
    let fail: &'static AtomicBool = Box::leak(Box::new(fail));
    let p = Pool::from_fn(move || {
        if fail.swap(false, Ordering::Relaxed) {
            panic!("first call fails");
        }
        7u32
    });
    assert!(catch_unwind(AssertUnwindSafe(|| p.get())).is_err());
    assert_eq!(p.get(), 7);
    let local = LocalPool::from_fn(|| -> u8 { panic!("local new fails") });
    assert!(catch_unwind(AssertUnwindSafe(|| local.get())).is_err());
    local.put(1);
    assert_eq!(local.get(), 1);
}

static DROPS: AtomicUsize = AtomicUsize::new(0);

struct Bomb(bool);

impl Drop for Bomb {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::Relaxed);
        if self.0 {
            panic!("drop failed");
        }
    }
}

#[test]
fn panic_in_drop_during_drain_leaves_registry_usable() {
    let _serial = serial();
    DROPS.store(0, Ordering::Relaxed);
    let p = Pool::new(|| Bomb(false)).with_policy(DrainPolicy::Drain);
    let other = Pool::new(|| 0u8);
    other.put(1);
    p.put(Bomb(false));
    p.put(Bomb(true));
    p.put(Bomb(false));
    let registered = registered_pools();
    assert!(
        catch_unwind(clear_pools).is_err(),
        "the Drop panic propagates"
    );
    assert_eq!(
        DROPS.load(Ordering::Relaxed),
        3,
        "the other values were still dropped"
    );
    assert_eq!(other.try_get(), None, "the other pool was drained too");
    assert_eq!(p.stats().drained, 3, "bookkeeping done before dropping");
    // Everything still works: the locks were released, the gate closed.
    p.put(Bomb(false));
    assert!(p.try_get().is_some());
    p.put(Bomb(false));
    let report = clear_pools();
    assert!(report.items >= 1);
    assert_eq!(registered_pools(), registered);
    let fresh = Pool::new(|| 1u8);
    assert_eq!(fresh.get(), 1);
}

#[test]
fn panic_in_drop_during_clear_leaves_pool_usable() {
    let _serial = serial();
    let p = Pool::new(|| Bomb(false));
    p.put(Bomb(true));
    assert!(catch_unwind(AssertUnwindSafe(|| p.clear())).is_err());
    p.put(Bomb(false));
    assert!(p.try_get().is_some());
    let local = LocalPool::new(|| Bomb(false));
    local.put(Bomb(true));
    assert!(catch_unwind(AssertUnwindSafe(|| local.clear())).is_err());
    local.put(Bomb(false));
    assert!(local.try_get().is_some());
}

#[test]
fn panic_in_size_function_leaves_pool_usable() {
    fn size(v: &u32) -> usize {
        if *v == 13 {
            panic!("cannot measure 13");
        }
        *v as usize
    }
    let _serial = serial(); // no other test's drain between the put and the get
    let p = Pool::new(|| 0u32).with_max_size(100, size);
    assert!(catch_unwind(AssertUnwindSafe(|| p.put(13))).is_err());
    p.put(7);
    p.put(1000); // over the limit: dropped
    assert_eq!(p.try_get(), Some(7));
    assert_eq!(p.try_get(), None);
    let stats = p.stats();
    assert_eq!(
        (stats.puts, stats.discarded),
        (2, 1),
        "the panicking put is not counted"
    );
}
