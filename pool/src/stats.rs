//! Counters a pool keeps about itself.

use crate::sync::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

/// A snapshot of a pool's counters ([`Pool::stats`](crate::Pool::stats),
/// [`LocalPool::stats`](crate::LocalPool::stats)).
///
/// The counters are kept per thread and summed when read, so a snapshot taken while other
/// threads use the pool is a consistent-enough estimate, not an atomic picture.
///
/// ```
/// use prologue_pool::Pool;
///
/// let pool = Pool::new(|| 0u32);
/// let x = pool.get(); // empty: calls new
/// pool.put(x);
/// let _ = pool.get(); // reuses it
/// let stats = pool.stats();
/// assert_eq!((stats.gets, stats.news, stats.puts), (2, 1, 1));
/// assert_eq!(stats.hits(), 1);
/// ```
///
/// `#[non_exhaustive]`, like the collector's statistics: a counter added later breaks no code
/// that reads these. Code that needs one of its own starts from `PoolStats::default()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// Calls of `get` and `pull` (not `try_get`).
    pub gets: u64,
    /// Calls of the pool's `new` function.
    pub news: u64,
    /// Calls of `put`, including guards put back on drop.
    pub puts: u64,
    /// Values dropped by drains (`clear`, `clear_pools`).
    pub drained: u64,
    /// Values `put` dropped instead of keeping (over the item cap or the size limit).
    pub discarded: u64,
    /// Values taken from another thread's cache.
    pub stolen: u64,
    /// Values taken from a victim cache.
    pub victim_hits: u64,
}

impl PoolStats {
    /// Calls of `get`/`pull` served from the pool rather than by `new`.
    pub fn hits(&self) -> u64 {
        self.gets.saturating_sub(self.news)
    }
}

/// One thread's counters. Only the owning thread writes them (a load and a store, no
/// read-modify-write), any thread may read them.
#[derive(Debug)]
pub(crate) struct ThreadCounters {
    pub(crate) gets: AtomicU64,
    pub(crate) news: AtomicU64,
    pub(crate) puts: AtomicU64,
    pub(crate) discarded: AtomicU64,
    pub(crate) stolen: AtomicU64,
    pub(crate) victim_hits: AtomicU64,
}

impl ThreadCounters {
    pub(crate) fn new() -> Self {
        ThreadCounters {
            gets: AtomicU64::new(0),
            news: AtomicU64::new(0),
            puts: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
            stolen: AtomicU64::new(0),
            victim_hits: AtomicU64::new(0),
        }
    }

    /// Adds one to a counter of the calling thread's own shard.
    #[inline(always)]
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.store(counter.load(Relaxed).wrapping_add(1), Relaxed);
    }

    /// Adds these counters into `stats`.
    pub(crate) fn add_to(&self, stats: &mut PoolStats) {
        stats.gets += self.gets.load(Relaxed);
        stats.news += self.news.load(Relaxed);
        stats.puts += self.puts.load(Relaxed);
        stats.discarded += self.discarded.load(Relaxed);
        stats.stolen += self.stolen.load(Relaxed);
        stats.victim_hits += self.victim_hits.load(Relaxed);
    }
}
