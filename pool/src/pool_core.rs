//! The heap part of a [`Pool`](crate::Pool): its shards and its drain policy, shared with the
//! registry through an `Arc` so that the registry never points at a dropped pool.

use crate::detached::Detached;
use crate::registry::Drainable;
use crate::shard::{Limits, Shard};
use crate::shard_table::ShardTable;
use crate::stats::PoolStats;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// How many shards of a pool a drain prefetches ahead of detaching it.
const PREFETCH_SHARDS: usize = 4;

/// `repr(C, align(64))`: what a drain reads (`generations`, `drained`, then the shard table's
/// `used` and first bucket pointers) and what `put` reads (`limits`) share the first cache line,
/// so that a drain costs one miss per pool here, which it prefetches ahead (`registry::drain_all`).
#[repr(C, align(64))]
pub(crate) struct PoolCore<T> {
    generations: usize,
    drained: AtomicU64,
    pub(crate) limits: Limits,
    pub(crate) shards: ShardTable<T>,
}

impl<T: Send + 'static> PoolCore<T> {
    pub(crate) fn new(generations: usize, max_items: usize) -> Self {
        crate::handshake::prepare();
        PoolCore {
            generations,
            drained: AtomicU64::new(0),
            limits: Limits::new(max_items),
            shards: ShardTable::new(),
        }
    }

    /// The first shard after `mine` (in index order, wrapping) for which `f` finds a value.
    pub(crate) fn find_elsewhere(
        &self,
        mine: &Shard<T>,
        f: impl Fn(&Shard<T>) -> Option<T>,
    ) -> Option<T> {
        // Shards after our own first (spreads thieves over victims), then those before it.
        let mut found = None;
        let mut seen_mine = false;
        self.shards.for_each(|s| {
            if std::ptr::eq(s, mine) {
                seen_mine = true;
            } else if seen_mine && found.is_none() {
                found = f(s);
            }
        });
        if found.is_none() {
            let mut seen_mine = false;
            self.shards.for_each(|s| {
                if std::ptr::eq(s, mine) {
                    seen_mine = true;
                } else if !seen_mine && found.is_none() {
                    found = f(s);
                }
            });
        }
        found
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let mut stats = PoolStats {
            drained: self.drained.load(Relaxed),
            ..PoolStats::default()
        };
        self.shards.for_each(|s| s.counters().add_to(&mut stats));
        stats
    }
}

impl<T: Send + 'static> Drainable for PoolCore<T> {
    unsafe fn detach(&self, sink: &mut Vec<Detached>) -> usize {
        let mut count = 0;
        self.shards.for_each(|shard| {
            // SAFETY: the caller holds the drainers' lock and opened the gate (trait contract);
            // the shards' owners check that same gate (`handshake::gate`).
            count += unsafe { shard.detach(self.generations, |old| sink.push(Detached::new(old))) };
        });
        // Drainers are serialised (the trait contract), so a load and a store suffice: no
        // locked instruction per pool in the pause.
        let drained = self.drained.load(Relaxed);
        self.drained.store(drained + count as u64, Relaxed);
        count
    }

    fn prefetch_shards(&self) {
        self.shards.prefetch(PREFETCH_SHARDS);
    }
}
