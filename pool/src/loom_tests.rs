//! loom models of the shard protocol: an owner using its private cache, a thief, and a drainer
//! detaching, with every interleaving explored. Each value must be seen exactly once: returned
//! by a `get`/`steal`, detached by the drain, or left in the shard at the end.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p prologue-pool --release --lib loom`

use crate::handshake::Gate;
use crate::shard::{Generation, Limits, Shard};
use loom::sync::Arc;
use loom::thread;

/// Explores interleavings with at most `bound` preemptions: every bug loom has found in
/// practice needs 2-3, and the unbounded search of a three-thread model takes hours.
fn model(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.check(f);
}

/// Owner puts `puts` values then gets `gets` times; returns what it got.
fn owner(shard: &Shard<u32>, gate: &Gate, limits: &Limits, puts: &[u32], gets: usize) -> Vec<u32> {
    for &v in puts {
        // SAFETY: the owner thread is the only one calling owner_* on this shard.
        if let Err(v) = unsafe { shard.owner_put(gate, limits, v) } {
            panic!("no cap configured, yet {v} was refused");
        }
    }
    // The fast path (`owner_get_or`, as `Pool::get` uses it) falling back to `owner_get`.
    const MISS: u32 = u32::MAX;
    (0..gets)
        .map(|_| {
            // SAFETY: as above.
            unsafe { shard.owner_get_or(gate, || shard.owner_get(gate, limits).unwrap_or(MISS)) }
        })
        .filter(|&v| v != MISS)
        .collect()
}

fn drain(shard: &Shard<u32>, gate: &Gate, generations: usize) -> Vec<u32> {
    let mut dropped: Vec<Generation<u32>> = Vec::new();
    gate.open();
    // SAFETY: the gate is open and this is the only drainer.
    let count = unsafe { shard.detach(generations, |old| dropped.push(old)) };
    gate.close();
    let values: Vec<u32> = dropped
        .into_iter()
        .flat_map(Generation::into_values)
        .collect();
    assert_eq!(values.len(), count);
    values
}

fn check_exactly_once(expected: &[u32], mut seen: Vec<u32>) {
    seen.sort_unstable();
    assert_eq!(seen, expected, "a value was lost or duplicated");
}

#[test]
fn loom_owner_and_drainer() {
    model(3, || {
        let shard = Arc::new(Shard::new());
        let gate = Arc::new(Gate::new());
        let limits = Limits {
            private_cap: 1,
            max_items: usize::MAX,
        };
        let (s, g) = (shard.clone(), gate.clone());
        let owner = thread::spawn(move || owner(&s, &g, &limits, &[1, 2], 1));
        let drained = drain(&shard, &gate, 0);
        let mut seen = owner.join().unwrap();
        seen.extend(drained);
        let mut shard = Arc::try_unwrap(shard).unwrap();
        seen.extend(shard.take_all());
        check_exactly_once(&[1, 2], seen);
    });
}

#[test]
fn loom_owner_thief_and_victim_drain() {
    model(2, || {
        let shard = Arc::new(Shard::new());
        let gate = Arc::new(Gate::new());
        // private_cap 1: the second put spills the first into the stash, where the thief looks.
        let limits = Limits {
            private_cap: 1,
            max_items: usize::MAX,
        };
        let (s, g) = (shard.clone(), gate.clone());
        let owner = thread::spawn(move || owner(&s, &g, &limits, &[1, 2], 1));
        let s = shard.clone();
        let thief = thread::spawn(move || {
            s.steal()
                .into_iter()
                .chain(s.take_victim())
                .collect::<Vec<_>>()
        });
        let drained = drain(&shard, &gate, 1); // victim policy: nothing dropped yet
        assert!(drained.is_empty());
        let mut seen = owner.join().unwrap();
        seen.extend(thief.join().unwrap());
        let mut shard = Arc::try_unwrap(shard).unwrap();
        seen.extend(shard.take_all());
        check_exactly_once(&[1, 2], seen);
    });
}

#[test]
fn loom_owner_during_two_drains() {
    model(3, || {
        let shard = Arc::new(Shard::new());
        let gate = Arc::new(Gate::new());
        let limits = Limits {
            private_cap: 4,
            max_items: usize::MAX,
        };
        let (s, g) = (shard.clone(), gate.clone());
        let owner = thread::spawn(move || owner(&s, &g, &limits, &[1], 1));
        let mut seen = drain(&shard, &gate, 1);
        seen.extend(drain(&shard, &gate, 1));
        seen.extend(owner.join().unwrap());
        let mut shard = Arc::try_unwrap(shard).unwrap();
        seen.extend(shard.take_all());
        check_exactly_once(&[1], seen);
    });
}

/// The drain skips the stash lock when the stash hints say empty: values an owner or a thief
/// moves through the stash meanwhile must still be seen exactly once (left for the next drain).
#[test]
fn loom_drain_policy_skipping_an_empty_stash() {
    model(2, || {
        let shard = Arc::new(Shard::new());
        let gate = Arc::new(Gate::new());
        let limits = Limits {
            private_cap: 1,
            max_items: usize::MAX,
        };
        let (s, g) = (shard.clone(), gate.clone());
        let owner = thread::spawn(move || owner(&s, &g, &limits, &[1, 2], 0));
        let s = shard.clone();
        let thief = thread::spawn(move || s.steal().into_iter().collect::<Vec<_>>());
        let mut seen = drain(&shard, &gate, 0);
        seen.extend(owner.join().unwrap());
        seen.extend(thief.join().unwrap());
        let mut shard = Arc::try_unwrap(shard).unwrap();
        seen.extend(shard.take_all());
        check_exactly_once(&[1, 2], seen);
    });
}
