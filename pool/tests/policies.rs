//! The policies beyond Go's: item caps, size limits, age limits; and the detach interface the
//! collector uses.

mod common;

use common::{serial, Ledger};
use prologue_pool::{clear_pools, detach_pools, DrainPolicy, LocalPool, Pool};

#[test]
fn max_items_caps_one_threads_cache() {
    let _serial = serial();
    let ledger = Ledger::new(100);
    let p = Pool::from_fn(move || ledger.token()).with_max_items(40);
    let tokens: Vec<_> = (0..100).map(|_| p.get()).collect();
    for t in tokens {
        p.put(t);
    }
    let stats = p.stats();
    assert_eq!(stats.discarded, 60);
    assert_eq!(ledger.dropped(), 60, "discarded values are dropped at once");
    let mut kept = 0;
    while p.try_get().is_some() {
        kept += 1;
    }
    assert_eq!(kept, 40);
}

#[test]
fn max_items_zero_keeps_nothing() {
    let p = Pool::new(|| 0u8).with_max_items(0);
    p.put(1);
    assert_eq!(p.try_get(), None);
    assert_eq!(p.stats().discarded, 1);
}

#[test]
fn max_items_below_private_capacity() {
    let _serial = serial();
    let p = Pool::new(|| 0u32).with_max_items(3);
    for i in 0..10 {
        p.put(i);
    }
    assert_eq!(p.stats().discarded, 7);
    let got: Vec<_> = std::iter::from_fn(|| p.try_get()).collect();
    assert_eq!(got.len(), 3);
}

#[test]
fn max_size_drops_oversized_values() {
    let _serial = serial();
    let p: Pool<Vec<u8>> = Pool::new(Vec::new).with_max_size(1024, Vec::capacity);
    p.put(Vec::with_capacity(1 << 20));
    p.put(Vec::with_capacity(16));
    let stats = p.stats();
    assert_eq!((stats.puts, stats.discarded), (2, 1));
    let kept = p.try_get().expect("the small buffer is kept");
    assert!(kept.capacity() <= 1024);
    assert_eq!(p.try_get(), None);
}

#[test]
fn max_age_keeps_values_for_n_drains() {
    let _serial = serial();
    let p = Pool::new(|| 0u32).with_policy(DrainPolicy::MaxAge(3));
    p.put(1);
    clear_pools();
    p.put(2);
    clear_pools();
    clear_pools();
    // 1 has survived 3 drains, 2 has survived 2.
    assert_eq!(p.stats().drained, 0);
    clear_pools(); // 1 is now 4 drains old
    assert_eq!(p.stats().drained, 1);
    assert_eq!(p.try_get(), Some(2));
    assert_eq!(p.try_get(), None);
    assert_eq!(p.stats().victim_hits, 1);
}

#[test]
fn victims_are_used_only_after_primaries() {
    let _serial = serial();
    let p = Pool::new(|| 0u32).with_policy(DrainPolicy::Victim);
    p.put(1);
    p.clear();
    p.put(2);
    assert_eq!(p.try_get(), Some(2), "primary first");
    assert_eq!(p.try_get(), Some(1), "then the victim");
    assert_eq!(p.try_get(), None);
}

#[test]
#[should_panic(expected = "configure a Pool before its first use")]
fn configuring_a_used_pool_panics() {
    let p = Pool::new(|| 0u8);
    p.put(1);
    let _ = p.with_policy(DrainPolicy::Victim);
}

#[test]
fn detach_takes_contents_and_finish_drops_them() {
    let _serial = serial();
    let ledger = Ledger::new(20);
    let shared = Pool::from_fn(move || ledger.token());
    let local = LocalPool::from_fn(move || ledger.token());
    for _ in 0..10 {
        shared.put(ledger.token());
        local.put(ledger.token());
    }
    let mut detached = detach_pools();
    assert!(detached.pools() >= 2);
    assert!(detached.items() >= 20);
    assert!(
        shared.try_get().is_none() && local.try_get().is_none(),
        "detached at once"
    );
    assert_eq!(ledger.dropped(), 0, "but nothing dropped yet");
    assert_eq!(detached.drop_local(), 10);
    assert_eq!(ledger.dropped(), 10);
    assert_eq!(detached.drop_local(), 0, "only once");
    let report = detached.finish();
    assert_eq!(ledger.dropped(), 20);
    ledger.assert_each_dropped_once();
    assert!(report.items >= 20 && report.pools >= 2);
    assert!(report.detach <= report.elapsed);
}

#[test]
fn dropping_detached_pools_drops_the_values() {
    let _serial = serial();
    let ledger = Ledger::new(5);
    let p = Pool::from_fn(move || ledger.token());
    for _ in 0..5 {
        p.put(ledger.token());
    }
    let detached = detach_pools();
    assert_eq!(ledger.dropped(), 0);
    drop(detached);
    assert_eq!(ledger.dropped(), 5);
}

#[test]
fn many_pools_detach_counts_each() {
    let _serial = serial();
    let pools: Vec<Pool<u64>> = (0..50).map(|_| Pool::new(|| 0)).collect();
    for (i, p) in pools.iter().enumerate() {
        for j in 0..10 {
            p.put((i * 10 + j) as u64);
        }
    }
    let report = clear_pools();
    assert!(report.pools >= 50);
    assert!(report.items >= 500);
    for p in &pools {
        assert_eq!(p.stats().drained, 10);
        assert_eq!(p.try_get(), None);
    }
}
