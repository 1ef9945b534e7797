//! Ports of Go's src/sync/pool_test.go: TestPool, TestPoolNew, TestPoolGC/TestPoolRelease,
//! TestPoolStress. Each test has its own pools; the tests that drain take `serial()` so that
//! another test's `clear_pools` cannot add a drain to theirs.

mod common;

use common::{serial, size, Ledger, Token};
use prologue_pool::{clear_pools, DrainPolicy, Pool};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// TestPool. Go's private slot makes its first two gets FIFO; ours are LIFO throughout.
#[test]
fn test_pool_order_and_victim_survival() {
    let _serial = serial();
    let p: Pool<Option<&'static str>> = Pool::new(|| None).with_policy(DrainPolicy::Victim);
    assert_eq!(p.get(), None, "expected empty");
    p.put(Some("a"));
    p.put(Some("b"));
    assert_eq!(p.get(), Some("b"));
    assert_eq!(p.get(), Some("a"));
    assert_eq!(p.get(), None);

    // Enough values to spill beyond the private cache.
    for _ in 0..100 {
        p.put(Some("c"));
    }
    // After one drain the victim cache keeps them alive...
    clear_pools();
    assert_eq!(p.get(), Some("c"), "want c after one drain");
    // ...a second drain drops the victim cache.
    clear_pools();
    assert_eq!(p.get(), None, "want nothing after the second drain");
}

/// TestPool with the default policy (Go before 1.13): one drain empties the pool.
#[test]
fn test_pool_drain_policy_empties_at_once() {
    let _serial = serial();
    let p: Pool<u32> = Pool::new(|| 0);
    for i in 1..=100 {
        p.put(i);
    }
    let report = clear_pools();
    assert!(report.items >= 100, "{report:?}");
    assert_eq!(p.try_get(), None);
    assert_eq!(p.stats().drained, 100);
}

/// TestPoolNew: `new` is called only when the pool is empty.
#[test]
fn test_pool_new() {
    let _serial = serial();
    static NEWS: AtomicUsize = AtomicUsize::new(0);
    let p = Pool::new(|| NEWS.fetch_add(1, Ordering::Relaxed) + 1);
    assert_eq!(p.get(), 1);
    assert_eq!(p.get(), 2);
    p.put(42);
    assert_eq!(p.get(), 42);
    assert_eq!(p.get(), 3);
    let stats = p.stats();
    assert_eq!((stats.gets, stats.news, stats.puts), (4, 3, 1));
    assert_eq!(p.try_get(), None);
    assert_eq!(p.stats().news, 3, "try_get never calls new");
}

/// TestPoolGC / TestPoolRelease: drained values are really dropped, within one drain (Drain)
/// or two (Victim).
#[test]
fn test_pool_release() {
    for (policy, drains) in [
        (DrainPolicy::Drain, 1),
        (DrainPolicy::Victim, 2),
        (DrainPolicy::MaxAge(3), 4),
    ] {
        let _serial = serial();
        let ledger = Ledger::new(100);
        let p = Pool::from_fn(move || ledger.token()).with_policy(policy);
        let tokens: Vec<Token> = (0..100).map(|_| p.get()).collect();
        for t in tokens {
            p.put(t);
        }
        assert_eq!(ledger.dropped(), 0);
        for _ in 1..drains {
            clear_pools();
            assert_eq!(ledger.dropped(), 0, "{policy:?} dropped too early");
        }
        clear_pools();
        assert_eq!(ledger.dropped(), 100, "{policy:?} kept values past its age");
        ledger.assert_each_dropped_once();
        assert_eq!(p.stats().drained, 100);
    }
}

/// A dropped pool drops what it holds and leaves the registry.
#[test]
fn dropped_pool_releases_values_and_registration() {
    let _serial = serial(); // another test counts registrations
    let ledger = Ledger::new(20);
    let p = Pool::from_fn(move || ledger.token());
    for _ in 0..10 {
        let t = p.get();
        p.put(t);
        p.put(ledger.token());
    }
    assert!(prologue_pool::diagnostics::registered_pools() >= 1);
    drop(p);
    ledger.assert_each_dropped_once();
}

/// TestPoolStress: threads doing put/get while another thread drains every pool; every value
/// is returned or dropped exactly once, never both, never twice.
#[test]
fn test_pool_stress() {
    const THREADS: usize = 10;
    let n = size(100_000);
    for policy in [DrainPolicy::Drain, DrainPolicy::Victim] {
        let _serial = serial();
        let ledger = Ledger::new(THREADS * n + 1);
        let p = Arc::new(Pool::from_fn(move || ledger.token()).with_policy(policy));
        let stop = Arc::new(AtomicBool::new(false));
        let drainer = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                // At least one drain, however fast the workers are.
                let mut drains = 0;
                loop {
                    clear_pools();
                    drains += 1;
                    if stop.load(Ordering::Relaxed) {
                        return drains;
                    }
                    std::thread::yield_now();
                }
            })
        };
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                let p = p.clone();
                std::thread::spawn(move || {
                    let mut held = vec![p.get()];
                    for j in 0..n {
                        if j % 3 == 0 {
                            held.push(p.get());
                        }
                        if let Some(t) = held.pop() {
                            p.put(t);
                        }
                        held.push(p.get());
                        if j % 7 == 0 {
                            drop(held.pop()); // some values die in use
                        }
                    }
                    for t in held {
                        p.put(t);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        assert!(drainer.join().unwrap() > 0);
        let before = ledger.dropped();
        drop(Arc::try_unwrap(p).ok().unwrap());
        assert!(ledger.dropped() >= before);
        ledger.assert_each_dropped_once();
        assert!(ledger.made() >= THREADS);
    }
}

/// Values are moved, never shared: a pool of `Send + !Sync` values is `Sync`, so it can be a
/// `static` (this test does not compile otherwise).
#[test]
fn pool_of_send_but_not_sync_values_can_be_static() {
    use std::cell::Cell;
    static CELLS: Pool<Cell<u32>> = Pool::new(|| Cell::new(0));
    let _serial = serial();
    CELLS.put(Cell::new(3));
    assert_eq!(CELLS.get().get(), 3);
    assert_eq!(CELLS.get().get(), 0);
}

/// Pools created, used and dropped on several threads while another thread drains every pool
/// in a loop: no drain may reach a dropped pool, and every value is dropped exactly once.
#[test]
fn pools_dropped_while_draining() {
    let _serial = serial();
    let rounds = size(2_000);
    let ledger = Ledger::new(4 * rounds * 3 + 1);
    let stop = Arc::new(AtomicBool::new(false));
    let start = Arc::new(std::sync::Barrier::new(5));
    let drainer = {
        let (stop, start) = (stop.clone(), start.clone());
        std::thread::spawn(move || {
            start.wait();
            let mut drains = 0u64;
            loop {
                clear_pools();
                drains += 1;
                if stop.load(Ordering::Relaxed) {
                    return drains;
                }
                // (Under valgrind, one thread runs at a time: let the workers in.)
                std::thread::yield_now();
            }
        })
    };
    let registered = prologue_pool::diagnostics::registered_pools();
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                for _ in 0..rounds {
                    let policy = if i % 2 == 0 {
                        DrainPolicy::Drain
                    } else {
                        DrainPolicy::Victim
                    };
                    let p = Pool::from_fn(move || ledger.token()).with_policy(policy);
                    p.put(ledger.token());
                    p.put(ledger.token());
                    drop(p.get());
                    // `p` drops here, maybe in the middle of a drain on the other thread.
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    drainer.join().unwrap();
    ledger.assert_each_dropped_once();
    assert_eq!(
        prologue_pool::diagnostics::registered_pools(),
        registered,
        "every dropped pool left the registry"
    );
}
