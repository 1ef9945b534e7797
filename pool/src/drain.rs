//! Draining every pool: [`detach_pools`] (inside the collector's pause) and [`clear_pools`].

use crate::detached::Detached;
use crate::{local_registry, registry};
use parking_lot::{const_mutex, Mutex};
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

/// What one drain ([`clear_pools`], or [`detach_pools`] then [`DetachedPools::finish`]) did.
///
/// ```
/// use prologue_pool::{clear_pools, Pool};
///
/// let pool = Pool::new(|| 0u8);
/// pool.put(1);
/// let report = clear_pools();
/// assert!(report.pools >= 1 && report.items >= 1);
/// assert!(report.detach <= report.elapsed);
/// ```
///
/// `#[non_exhaustive]`, like the collector's statistics: a figure added later breaks no code
/// that reads these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DrainReport {
    /// Pools visited: every registered [`Pool`](crate::Pool) and the calling thread's
    /// [`LocalPool`](crate::LocalPool)s.
    pub pools: usize,
    /// Pooled values dropped (values moved to a victim cache are not counted).
    pub items: usize,
    /// Time from the start of the detach to the last value dropped.
    pub elapsed: Duration,
    /// Time spent detaching (the part that runs inside a collection pause).
    pub detach: Duration,
}

/// What [`detach_pools`] took out of the pools, not yet dropped.
///
/// Dropping values can run arbitrary code and take long, so the collector detaches inside its
/// pause (cheap: O(pools + shards)) and drops afterwards: first, still in the pause,
/// [`drop_local`](Self::drop_local) (this thread's `LocalPool` values may hold `Gc` handles, which
/// must be gone before roots are found), then [`finish`](Self::finish) once the world runs.
/// Dropping a `DetachedPools` drops what it still holds.
///
/// `!Send`: it may hold values of this thread's `LocalPool`s.
///
/// ```compile_fail
/// let detached = prologue_pool::detach_pools();
/// std::thread::spawn(move || detached.finish());
/// ```
///
/// ```
/// use prologue_pool::{detach_pools, LocalPool, Pool};
///
/// let shared = Pool::new(|| 0u32);
/// let local = LocalPool::new(|| std::rc::Rc::new(0u32));
/// shared.put(1);
/// local.put(std::rc::Rc::new(2));
///
/// let mut detached = detach_pools();
/// assert!(detached.pools() >= 2);
/// assert_eq!(detached.drop_local(), 1);
/// let report = detached.finish();
/// assert!(report.items >= 2);
/// assert_eq!(shared.try_get(), None);
/// ```
pub struct DetachedPools {
    shared: Vec<Detached>,
    local: Vec<Box<dyn Any>>,
    pools: usize,
    shared_items: usize,
    local_items: usize,
    started: Instant,
    detach: Duration,
    _not_send: PhantomData<*const ()>,
}

/// The list a drain collects the shared pools' detached values in, emptied by the last
/// [`DetachedPools::finish`] and kept with its capacity: the next drain then allocates nothing
/// inside the pause, and the process's allocator does not hand that memory back to the system
/// and fault it in again every cycle.
static SPARE_LIST: Mutex<Vec<Detached>> = const_mutex(Vec::new());

/// Detaches the contents of every registered [`Pool`](crate::Pool) and of the calling thread's
/// [`LocalPool`](crate::LocalPool)s, each by its [`DrainPolicy`](crate::DrainPolicy), without
/// dropping anything. O(pools + shards): no value is touched, nothing is dropped.
///
/// Other threads may keep using the pools meanwhile; while the detach lasts they take a slower
/// path (their shard's stash, behind its lock) instead of their private caches.
///
/// ```
/// use prologue_pool::{detach_pools, Pool};
///
/// let pool = Pool::new(|| 0u8);
/// pool.put(1);
/// let detached = detach_pools();
/// assert_eq!(pool.try_get(), None); // already gone from the pool
/// println!("detached in {:?}", detached.detach_time());
/// drop(detached); // the value is dropped here
/// ```
pub fn detach_pools() -> DetachedPools {
    let started = Instant::now();
    let mut shared = std::mem::take(&mut *SPARE_LIST.lock());
    let (shared_pools, shared_items) = registry::drain_all(&mut shared);
    let mut local = Vec::new();
    let (local_pools, local_items) = local_registry::detach_locals(&mut local);
    DetachedPools {
        shared,
        local,
        pools: shared_pools + local_pools,
        shared_items,
        local_items,
        started,
        detach: started.elapsed(),
        _not_send: PhantomData,
    }
}

/// Empties every registered pool (and the calling thread's local pools), by their policies:
/// [`detach_pools`] then [`DetachedPools::finish`]. The collector calls this (or the two steps)
/// at the start of every cycle.
///
/// ```
/// use prologue_pool::{clear_pools, Pool};
///
/// static POOL: Pool<Vec<u8>> = Pool::new(Vec::new);
/// POOL.put(vec![1]);
/// clear_pools();
/// assert_eq!(POOL.try_get(), None);
/// ```
pub fn clear_pools() -> DrainReport {
    detach_pools().finish()
}

impl DetachedPools {
    /// Drops now the values taken from this thread's `LocalPool`s; returns how many (0 when
    /// called again). The collector calls it inside its pause: those values may hold `Gc`
    /// handles, which must be gone before it looks for roots.
    ///
    /// ```
    /// use prologue_pool::{detach_pools, LocalPool};
    /// use std::rc::Rc;
    ///
    /// let pool = LocalPool::new(|| Rc::new(()));
    /// let handle = Rc::new(());
    /// pool.put(handle.clone());
    /// let mut detached = detach_pools();
    /// assert_eq!(Rc::strong_count(&handle), 2); // detached, not dropped yet
    /// assert_eq!(detached.drop_local(), 1);
    /// assert_eq!(Rc::strong_count(&handle), 1);
    /// assert_eq!(detached.drop_local(), 0);
    /// ```
    pub fn drop_local(&mut self) -> usize {
        let local = std::mem::take(&mut self.local);
        // `local` is non-empty exactly when it holds values not yet dropped.
        let dropped = if local.is_empty() {
            0
        } else {
            self.local_items
        };
        drop(local);
        dropped
    }

    /// How long [`detach_pools`] took.
    ///
    /// ```
    /// let detached = prologue_pool::detach_pools();
    /// assert!(detached.detach_time() < std::time::Duration::from_secs(1));
    /// ```
    pub fn detach_time(&self) -> Duration {
        self.detach
    }

    /// How many pools were visited: every registered `Pool` and this thread's `LocalPool`s.
    ///
    /// ```
    /// let pool = prologue_pool::Pool::new(|| 0u8);
    /// pool.put(0); // registers it
    /// assert!(prologue_pool::detach_pools().pools() >= 1);
    /// ```
    pub fn pools(&self) -> usize {
        self.pools
    }

    /// How many values the drain drops in all (already dropped by `drop_local` or not).
    ///
    /// ```
    /// let pool = prologue_pool::Pool::new(|| 0u8);
    /// pool.put(1);
    /// assert!(prologue_pool::detach_pools().items() >= 1);
    /// ```
    pub fn items(&self) -> usize {
        self.shared_items + self.local_items
    }

    /// Drops everything still held and reports the whole drain.
    ///
    /// ```
    /// let pool = prologue_pool::Pool::new(|| 0u8);
    /// pool.put(1);
    /// let report = prologue_pool::detach_pools().finish();
    /// assert!(report.items >= 1);
    /// assert!(report.detach <= report.elapsed);
    /// ```
    pub fn finish(mut self) -> DrainReport {
        drop(std::mem::take(&mut self.local));
        let mut shared = std::mem::take(&mut self.shared);
        shared.clear(); // drops the values, outside every lock
        let mut spare = SPARE_LIST.lock();
        if spare.capacity() < shared.capacity() {
            // What is dropped under the lock is an empty list: no user code runs.
            *spare = shared;
        }
        DrainReport {
            pools: self.pools,
            items: self.items(),
            elapsed: self.started.elapsed(),
            detach: self.detach,
        }
    }
}

impl fmt::Debug for DetachedPools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DetachedPools")
            .field("pools", &self.pools)
            .field("items", &self.items())
            .field("detach", &self.detach)
            .finish_non_exhaustive()
    }
}
