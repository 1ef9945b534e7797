//! Port of Go's TestPoolDequeue / TestPoolChain for our shard structure: one producer, several
//! thieves and a drainer run at once; every value must be seen exactly once (taken by one
//! consumer, or dropped by one drain, or by the pool at the end), never twice, never lost.

mod common;

use common::{size, Ledger};
use prologue_pool::{DrainPolicy, Pool};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

fn run(policy: DrainPolicy, thieves: usize, with_drains: bool) {
    let n = size(200_000);
    let ledger = Ledger::new(n);
    let p = Arc::new(
        Pool::<common::Token>::from_fn(|| panic!("try_get only: new is never called"))
            .with_policy(policy),
    );
    let done = Arc::new(AtomicBool::new(false));
    let taken = Arc::new(AtomicUsize::new(0));
    let thief_taken = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(thieves + 2));

    let consumers: Vec<_> = (0..thieves)
        .map(|_| {
            let (p, done, start) = (p.clone(), done.clone(), start.clone());
            let (taken, thief_taken) = (taken.clone(), thief_taken.clone());
            std::thread::spawn(move || {
                start.wait();
                let mut mine = 0;
                loop {
                    let finished = done.load(Ordering::Acquire);
                    match p.try_get() {
                        Some(token) => {
                            assert_eq!(
                                ledger.drops(token.id),
                                0,
                                "value {} seen after its drop",
                                token.id
                            );
                            mine += 1;
                            drop(token);
                        }
                        None if finished => break,
                        None => std::hint::spin_loop(),
                    }
                }
                taken.fetch_add(mine, Ordering::Relaxed);
                thief_taken.fetch_add(mine, Ordering::Relaxed);
            })
        })
        .collect();
    let drainer = {
        let (p, done, start) = (p.clone(), done.clone(), start.clone());
        std::thread::spawn(move || {
            start.wait();
            while with_drains && !done.load(Ordering::Acquire) {
                p.clear();
                std::thread::yield_now();
            }
        })
    };

    start.wait();
    // The producer puts in bursts (so values spill to the stash where thieves find them) and
    // takes some back itself (its private cache: LIFO).
    let mut produced = 0;
    while produced < n {
        let burst = (n - produced).min(1 + produced % 97);
        for _ in 0..burst {
            p.put(ledger.token());
        }
        produced += burst;
        for _ in 0..burst / 3 {
            if let Some(token) = p.try_get() {
                taken.fetch_add(1, Ordering::Relaxed);
                drop(token);
            }
        }
    }
    done.store(true, Ordering::Release);
    for c in consumers {
        c.join().unwrap();
    }
    drainer.join().unwrap();

    let stats = p.stats();
    drop(Arc::try_unwrap(p).ok().unwrap()); // drops what is left
    ledger.assert_each_dropped_once();
    assert_eq!(ledger.made(), n);
    let taken = taken.load(Ordering::Relaxed) as u64;
    assert!(
        taken + stats.drained <= n as u64,
        "{taken} taken + {} drained > {n}",
        stats.drained
    );
    if !with_drains {
        assert_eq!(stats.drained, 0);
    }
    // Thieves never put, so each of their takes was a steal or a victim hit.
    let thief_taken = thief_taken.load(Ordering::Relaxed) as u64;
    assert!(
        stats.stolen <= thief_taken && thief_taken <= stats.stolen + stats.victim_hits,
        "{stats:?}"
    );
    if !with_drains {
        // Values spilled past the producer's private cache stay until a thief takes them.
        assert!(thief_taken > 0, "the thieves stole nothing: {stats:?}");
    }
}

#[test]
fn pool_dequeue_one_producer_three_thieves() {
    run(DrainPolicy::Drain, 3, false);
}

#[test]
fn pool_chain_with_concurrent_drains() {
    run(DrainPolicy::Drain, 2, true);
}

#[test]
fn pool_chain_with_concurrent_victim_drains() {
    run(DrainPolicy::Victim, 2, true);
}
