//! [`Pool`]: a typed `sync.Pool` shared by every thread.

use crate::guard::Pooled;
use crate::handshake;
use crate::policy::DrainPolicy;
use crate::pool_core::PoolCore;
use crate::registry::{self, Drainable};
use crate::stats::{PoolStats, ThreadCounters};
use crate::thread_index;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

/// A size bound and the function that measures a value (`with_max_size`).
pub(crate) type SizeLimit<T> = (usize, fn(&T) -> usize);

/// How a pool makes a value when it has none.
pub(crate) enum Factory<T> {
    Fn(fn() -> T),
    Closure(Box<dyn Fn() -> T + Send + Sync>),
}

impl<T> Factory<T> {
    fn call(&self) -> T {
        match self {
            Factory::Fn(f) => f(),
            Factory::Closure(f) => f(),
        }
    }
}

/// A set of interchangeable values that may be reused, and may be dropped at any time.
///
/// The Rust counterpart of Go's `sync.Pool`: [`get`](Pool::get) returns a value some thread
/// [`put`](Pool::put) back earlier, or a fresh one from the pool's `new` function. Each thread
/// has its own cache (no atomic read-modify-write on the fast path); a thread whose cache is
/// empty steals from the others, then from the victim caches, then calls `new`.
///
/// Every pool registers itself in one process-wide registry on first use, and
/// [`clear_pools`](crate::clear_pools) (which the collector calls at the start of every cycle)
/// drains them all according to each pool's [`DrainPolicy`]. A dropped pool leaves the registry.
///
/// ```
/// use prologue_pool::Pool;
///
/// static BUFFERS: Pool<Vec<u8>> = Pool::new(|| Vec::with_capacity(4096));
///
/// let mut buf = BUFFERS.get();
/// buf.clear();
/// buf.extend_from_slice(b"hello");
/// BUFFERS.put(buf);
///
/// let again = BUFFERS.get(); // the same buffer, still holding "hello": reset before use
/// assert_eq!(again, b"hello");
/// assert!(again.capacity() >= 4096);
/// ```
pub struct Pool<T: Send + 'static> {
    /// `Arc::into_raw` of the core, null until first use.
    core: AtomicPtr<PoolCore<T>>,
    /// The registry slot, valid once `core` is set.
    slot: AtomicUsize,
    /// Set with `core`; readable by the `const` configuration methods.
    used: AtomicBool,
    new: Factory<T>,
    policy: DrainPolicy,
    max_items: usize,
    max_size: Option<SizeLimit<T>>,
    /// Values are only ever moved in and out, never shared, so a pool is `Sync` whenever
    /// `T: Send` (a `Pool<Cell<u32>>` can be a `static`).
    _values: PhantomData<fn() -> T>,
}

impl<T: Send + 'static> Pool<T> {
    /// A pool whose `get` calls `new` when it holds no value. `const`, so a pool can be a
    /// `static`, like Go's `var bufPool = sync.Pool{New: ...}`.
    ///
    /// ```
    /// use prologue_pool::Pool;
    ///
    /// static NAMES: Pool<String> = Pool::new(String::new);
    /// assert_eq!(NAMES.get(), "");
    /// ```
    pub const fn new(new: fn() -> T) -> Pool<T> {
        Pool::with_factory(Factory::Fn(new))
    }

    const fn with_factory(new: Factory<T>) -> Pool<T> {
        Pool {
            core: AtomicPtr::new(std::ptr::null_mut()),
            slot: AtomicUsize::new(0),
            used: AtomicBool::new(false),
            new,
            policy: DrainPolicy::Drain,
            max_items: usize::MAX,
            max_size: None,
            _values: PhantomData,
        }
    }

    /// A pool whose `get` calls the closure `new` when it holds no value.
    ///
    /// ```
    /// use prologue_pool::Pool;
    ///
    /// let size = 1 << 16;
    /// let pool = Pool::from_fn(move || vec![0u8; size]);
    /// assert_eq!(pool.get().len(), 1 << 16);
    /// ```
    pub fn from_fn(new: impl Fn() -> T + Send + Sync + 'static) -> Pool<T> {
        Pool::with_factory(Factory::Closure(Box::new(new)))
    }

    /// Sets the drain policy (default [`DrainPolicy::Drain`]).
    ///
    /// # Panics
    /// If the pool has been used already: configure a pool before its first `get` or `put`.
    ///
    /// ```
    /// use prologue_pool::{clear_pools, DrainPolicy, Pool};
    ///
    /// let pool = Pool::new(|| 0u64).with_policy(DrainPolicy::Victim);
    /// pool.put(7);
    /// pool.clear(); // 7 moves to the victim cache
    /// assert_eq!(pool.try_get(), Some(7));
    /// ```
    pub const fn with_policy(mut self, policy: DrainPolicy) -> Pool<T> {
        self.assert_unused();
        self.policy = policy;
        self
    }

    /// Caps how many idle values each thread's cache keeps: a `put` beyond it drops the value
    /// (counted in [`PoolStats::discarded`]). Victim caches do not count. Default: no cap.
    ///
    /// # Panics
    /// If the pool has been used already.
    ///
    /// ```
    /// use prologue_pool::Pool;
    ///
    /// let pool = Pool::new(|| 0u8).with_max_items(2);
    /// for i in 0..5 {
    ///     pool.put(i);
    /// }
    /// assert_eq!(pool.stats().discarded, 3);
    /// ```
    pub const fn with_max_items(mut self, max_items: usize) -> Pool<T> {
        self.assert_unused();
        self.max_items = max_items;
        self
    }

    /// Drops instead of keeping any value whose `size` exceeds `max`: the fix Go's `fmt`
    /// package applies by hand so that one huge buffer is not pinned forever (golang/go#23199).
    /// Counted in [`PoolStats::discarded`].
    ///
    /// # Panics
    /// If the pool has been used already.
    ///
    /// ```
    /// use prologue_pool::Pool;
    ///
    /// static BUFS: Pool<Vec<u8>> = Pool::new(Vec::new).with_max_size(64 * 1024, Vec::capacity);
    /// BUFS.put(Vec::with_capacity(1 << 20)); // too big: dropped
    /// assert_eq!(BUFS.try_get(), None);
    /// ```
    pub const fn with_max_size(mut self, max: usize, size: fn(&T) -> usize) -> Pool<T> {
        self.assert_unused();
        self.max_size = Some((max, size));
        self
    }

    const fn assert_unused(&self) {
        // SAFETY: the const configuration methods own `self`, so no other thread can be
        // accessing the flag; reading it through its pointer is a plain read of a `bool`.
        if unsafe { *self.used.as_ptr() } {
            panic!("configure a Pool before its first use");
        }
    }

    /// The drain policy.
    pub const fn policy(&self) -> DrainPolicy {
        self.policy
    }

    #[inline(always)]
    fn core(&self) -> &PoolCore<T> {
        let core = self.core.load(Ordering::Acquire);
        if core.is_null() {
            self.init()
        } else {
            // SAFETY: set once by `init` from `Arc::into_raw`; the Arc is released only by
            // `Drop`, which cannot run while `&self` is borrowed.
            unsafe { &*core }
        }
    }

    /// First use: creates the core and registers it (once, under the registry lock).
    #[cold]
    fn init(&self) -> &PoolCore<T> {
        let slot = registry::register_once(|| {
            if !self.core.load(Ordering::Acquire).is_null() {
                return None; // another thread got here first
            }
            let core = Arc::new(PoolCore::<T>::new(
                self.policy.generations(),
                self.max_items,
            ));
            let shared: Arc<dyn Drainable> = core.clone();
            self.used.store(true, Ordering::Relaxed);
            self.core
                .store(Arc::into_raw(core) as *mut PoolCore<T>, Ordering::Release);
            Some(shared)
        });
        if let Some(slot) = slot {
            // Read only by `Drop`, which has `&mut self` and so comes after this.
            self.slot.store(slot, Ordering::Relaxed);
        }
        // SAFETY: published above or by the thread that won; see `core`.
        unsafe { &*self.core.load(Ordering::Acquire) }
    }

    /// A pooled value if there is one (this thread's, another thread's, then a victim), else
    /// a new one from the pool's `new` function, called outside any lock.
    ///
    /// The value is in whatever state its last user left it: reset it before use.
    ///
    /// ```
    /// use prologue_pool::Pool;
    ///
    /// let pool = Pool::new(|| String::from("fresh"));
    /// assert_eq!(pool.get(), "fresh");
    /// pool.put(String::from("reused"));
    /// assert_eq!(pool.get(), "reused");
    /// ```
    #[inline]
    pub fn get(&self) -> T {
        let core = self.core();
        thread_index::with(|index| {
            let shard = core.shards.get_or_alloc(index);
            ThreadCounters::bump(&shard.counters().gets);
            // SAFETY: no other live thread holds `index` until this closure returns, so this
            // thread is the shard's only owner; `owner_get_or` runs no user code before
            // `leave`, so it cannot re-enter.
            unsafe { shard.owner_get_or(handshake::gate(), || self.get_miss(core, shard)) }
        })
    }

    /// Private cache empty (or a drain under way): own stash, other threads, victims, `new`.
    #[cold]
    fn get_miss(&self, core: &PoolCore<T>, shard: &crate::shard::Shard<T>) -> T {
        // SAFETY: as in `get`.
        match unsafe { shard.owner_get(handshake::gate(), &core.limits) } {
            Some(value) => value,
            None => self.get_slow(core, shard).unwrap_or_else(|| {
                ThreadCounters::bump(&shard.counters().news);
                self.new.call()
            }),
        }
    }

    /// A pooled value if there is one; never calls `new`.
    ///
    /// ```
    /// use prologue_pool::Pool;
    ///
    /// let pool = Pool::new(|| 1u32);
    /// assert_eq!(pool.try_get(), None);
    /// pool.put(2);
    /// assert_eq!(pool.try_get(), Some(2));
    /// assert_eq!(pool.stats().news, 0);
    /// ```
    #[inline]
    pub fn try_get(&self) -> Option<T> {
        let core = self.core();
        thread_index::with(|index| {
            let shard = core.shards.get_or_alloc(index);
            // SAFETY: as in `get`.
            match unsafe { shard.owner_get(handshake::gate(), &core.limits) } {
                Some(value) => Some(value),
                None => self.get_slow(core, shard),
            }
        })
    }

    /// Own cache empty: steal another thread's oldest value, else take a victim (own first).
    #[cold]
    fn get_slow(&self, core: &PoolCore<T>, mine: &crate::shard::Shard<T>) -> Option<T> {
        if let Some(value) = core.find_elsewhere(mine, |s| s.steal()) {
            ThreadCounters::bump(&mine.counters().stolen);
            return Some(value);
        }
        let victim = mine
            .take_victim()
            .or_else(|| core.find_elsewhere(mine, |s| s.take_victim()));
        if victim.is_some() {
            ThreadCounters::bump(&mine.counters().victim_hits);
        }
        victim
    }

    /// Gives `value` to the pool for reuse (or drops it, if the pool's caps say so).
    ///
    /// ```
    /// use prologue_pool::Pool;
    ///
    /// let pool = Pool::new(Vec::<u8>::new);
    /// pool.put(vec![1, 2, 3]);
    /// assert_eq!(pool.get(), [1, 2, 3]);
    /// ```
    #[inline]
    pub fn put(&self, value: T) {
        if self.max_size.is_some() {
            // Measuring takes the value's address; kept out of line so that the common path
            // can keep the value in registers.
            return self.put_measured(value);
        }
        self.keep(value);
    }

    /// `put` for a pool with a size limit.
    #[inline(never)]
    fn put_measured(&self, value: T) {
        if let Some((max, size)) = self.max_size {
            if size(&value) > max {
                let core = self.core();
                thread_index::with(|index| {
                    let counters = core.shards.get_or_alloc(index).counters();
                    ThreadCounters::bump(&counters.puts);
                    ThreadCounters::bump(&counters.discarded);
                });
                return drop(value);
            }
        }
        self.keep(value);
    }

    /// Counts the `put` and keeps the value (or drops it at the item cap).
    #[inline(always)]
    fn keep(&self, value: T) {
        let core = self.core();
        thread_index::with(|index| {
            let shard = core.shards.get_or_alloc(index);
            ThreadCounters::bump(&shard.counters().puts);
            // SAFETY: as in `get`.
            if let Err(value) = unsafe { shard.owner_put(handshake::gate(), &core.limits, value) } {
                ThreadCounters::bump(&shard.counters().discarded);
                drop(value);
            }
        })
    }

    /// A value (as [`get`](Pool::get)) in a guard that puts it back when dropped, like the
    /// `pull` of the `object-pool` and `lockfree-object-pool` crates.
    ///
    /// ```
    /// use prologue_pool::{Pool, Pooled};
    ///
    /// let pool = Pool::new(String::new);
    /// {
    ///     let mut s = pool.pull();
    ///     s.push_str("scratch");
    /// } // back in the pool
    /// let s = pool.pull();
    /// assert_eq!(*s, "scratch");
    /// let kept: String = Pooled::into_inner(s); // leaves the pool for good
    /// assert_eq!(kept, "scratch");
    /// ```
    pub fn pull(&self) -> Pooled<'_, T> {
        Pooled::new(self, self.get())
    }

    /// Drains this pool now, by its policy (other pools are untouched).
    ///
    /// ```
    /// use prologue_pool::Pool;
    ///
    /// let pool = Pool::new(|| 0u8);
    /// pool.put(1);
    /// pool.clear();
    /// assert_eq!(pool.try_get(), None);
    /// assert_eq!(pool.stats().drained, 1);
    /// ```
    pub fn clear(&self) {
        let core = self.core.load(Ordering::Acquire);
        if core.is_null() {
            return;
        }
        // SAFETY: as in `core`.
        let core: &PoolCore<T> = unsafe { &*core };
        let mut sink = Vec::new();
        registry::drain_one(core, &mut sink);
        drop(sink); // the values, outside every lock
    }

    /// The pool's counters, summed over threads.
    ///
    /// ```
    /// use prologue_pool::Pool;
    ///
    /// let pool = Pool::new(|| 0u8);
    /// pool.put(pool.get());
    /// assert_eq!(pool.stats().puts, 1);
    /// ```
    pub fn stats(&self) -> PoolStats {
        let core = self.core.load(Ordering::Acquire);
        if core.is_null() {
            return PoolStats::default();
        }
        // SAFETY: as in `core`.
        unsafe { &*core }.stats()
    }
}

impl<T: Send + 'static> Drop for Pool<T> {
    fn drop(&mut self) {
        let core = *self.core.get_mut();
        if core.is_null() {
            return;
        }
        let registered = registry::unregister(*self.slot.get_mut());
        drop(registered);
        // SAFETY: from `Arc::into_raw` in `init`; this is the pool's own reference.
        drop(unsafe { Arc::from_raw(core) });
    }
}

impl<T: Send + 'static> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("policy", &self.policy)
            .field("max_items", &self.max_items)
            .field("max_size", &self.max_size.map(|(max, _)| max))
            .field("stats", &self.stats())
            .finish()
    }
}
