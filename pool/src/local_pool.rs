//! [`LocalPool`]: a pool for values that must stay on one thread (`Rc`, `Gc` handles).

use crate::guard::LocalPooled;
use crate::local_registry::{self, LocalDrainable};
use crate::policy::DrainPolicy;
use crate::pool::SizeLimit;
use crate::stats::PoolStats;
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::mem;
use std::rc::{Rc, Weak};

struct LocalState<T> {
    primary: Vec<T>,
    /// Victim generations, newest first.
    victims: VecDeque<Vec<T>>,
}

struct LocalCore<T> {
    new: Box<dyn Fn() -> T>,
    policy: Cell<DrainPolicy>,
    max_items: Cell<usize>,
    max_size: Cell<Option<SizeLimit<T>>>,
    state: RefCell<LocalState<T>>,
    stats: Cell<PoolStats>,
}

impl<T> LocalCore<T> {
    fn count(&self, f: impl FnOnce(&mut PoolStats)) {
        let mut stats = self.stats.get();
        f(&mut stats);
        self.stats.set(stats);
    }
}

impl<T: 'static> LocalDrainable for LocalCore<T> {
    fn detach(&self, sink: &mut Vec<Box<dyn Any>>) -> usize {
        let Ok(mut state) = self.state.try_borrow_mut() else {
            return 0; // unreachable in practice: no borrow outlives a LocalPool method
        };
        let generations = self.policy.get().generations();
        let fresh = mem::take(&mut state.primary);
        let mut dropped = Vec::new();
        if generations == 0 {
            dropped.push(fresh);
        } else {
            state.victims.push_front(fresh);
        }
        while state.victims.len() > generations {
            dropped.extend(state.victims.pop_back());
        }
        drop(state);
        dropped.retain(|generation| !generation.is_empty());
        let count: usize = dropped.iter().map(Vec::len).sum();
        self.count(|s| s.drained += count as u64);
        if !dropped.is_empty() {
            sink.push(Box::new(dropped));
        }
        count
    }
}

/// A pool for values that are not `Send`, with the same API as [`Pool`](crate::Pool).
///
/// It lives on one thread (it is `!Send` itself), registers in that thread's registry when
/// created, and [`clear_pools`](crate::clear_pools) / [`detach_pools`](crate::detach_pools)
/// drain the calling thread's local pools along with every [`Pool`](crate::Pool). Values that
/// hold garbage-collected handles belong here: the collector drops them (through
/// [`DetachedPools::drop_local`](crate::DetachedPools::drop_local)) before it looks for roots.
///
/// ```
/// use prologue_pool::{clear_pools, LocalPool};
/// use std::rc::Rc;
///
/// let pool = LocalPool::new(|| Rc::new(String::from("fresh")));
/// let s = pool.get();
/// pool.put(s.clone());
/// assert!(Rc::ptr_eq(&pool.get(), &s));
/// pool.put(s);
/// clear_pools(); // drains this thread's local pools too
/// assert!(pool.try_get().is_none());
/// ```
///
/// A `LocalPool` cannot leave its thread:
///
/// ```compile_fail
/// let pool = prologue_pool::LocalPool::new(|| 0u8);
/// std::thread::spawn(move || pool.get());
/// ```
pub struct LocalPool<T: 'static> {
    core: Rc<LocalCore<T>>,
    slot: usize,
}

impl<T: 'static> LocalPool<T> {
    /// A local pool whose `get` calls `new` when it holds no value.
    ///
    /// ```
    /// use prologue_pool::LocalPool;
    ///
    /// let pool = LocalPool::new(Vec::<u8>::new);
    /// assert!(pool.get().is_empty());
    /// ```
    pub fn new(new: fn() -> T) -> LocalPool<T> {
        LocalPool::from_fn(new)
    }

    /// A local pool whose `get` calls the closure `new` when it holds no value.
    ///
    /// ```
    /// use prologue_pool::LocalPool;
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    ///
    /// let made = Rc::new(Cell::new(0));
    /// let counter = made.clone();
    /// let pool = LocalPool::from_fn(move || counter.set(counter.get() + 1));
    /// pool.get();
    /// assert_eq!(made.get(), 1);
    /// ```
    pub fn from_fn(new: impl Fn() -> T + 'static) -> LocalPool<T> {
        let core = Rc::new(LocalCore {
            new: Box::new(new),
            policy: Cell::new(DrainPolicy::Drain),
            max_items: Cell::new(usize::MAX),
            max_size: Cell::new(None),
            state: RefCell::new(LocalState {
                primary: Vec::new(),
                victims: VecDeque::new(),
            }),
            stats: Cell::new(PoolStats::default()),
        });
        let weak: Weak<dyn LocalDrainable> = Rc::downgrade(&core) as Weak<dyn LocalDrainable>;
        let slot = local_registry::register(weak);
        LocalPool { core, slot }
    }

    /// Sets the drain policy (default [`DrainPolicy::Drain`]); applies from the next drain.
    ///
    /// ```
    /// use prologue_pool::{DrainPolicy, LocalPool};
    ///
    /// let pool = LocalPool::new(|| 0).with_policy(DrainPolicy::Victim);
    /// pool.put(1);
    /// pool.clear();
    /// assert_eq!(pool.try_get(), Some(1));
    /// ```
    pub fn with_policy(self, policy: DrainPolicy) -> LocalPool<T> {
        self.core.policy.set(policy);
        self
    }

    /// Caps how many idle values the pool keeps: a `put` beyond it drops the value.
    ///
    /// ```
    /// use prologue_pool::LocalPool;
    ///
    /// let pool = LocalPool::new(|| 0).with_max_items(1);
    /// pool.put(1);
    /// pool.put(2); // dropped
    /// assert_eq!(pool.stats().discarded, 1);
    /// ```
    pub fn with_max_items(self, max_items: usize) -> LocalPool<T> {
        self.core.max_items.set(max_items);
        self
    }

    /// Drops instead of keeping any value whose `size` exceeds `max`.
    ///
    /// ```
    /// use prologue_pool::LocalPool;
    ///
    /// let pool = LocalPool::new(String::new).with_max_size(8, String::capacity);
    /// pool.put(String::with_capacity(100));
    /// assert_eq!(pool.try_get(), None);
    /// ```
    pub fn with_max_size(self, max: usize, size: fn(&T) -> usize) -> LocalPool<T> {
        self.core.max_size.set(Some((max, size)));
        self
    }

    /// The drain policy.
    pub fn policy(&self) -> DrainPolicy {
        self.core.policy.get()
    }

    /// A pooled value (newest first, then the victims), else a new one from `new`.
    ///
    /// ```
    /// use prologue_pool::LocalPool;
    ///
    /// let pool = LocalPool::new(|| 'n');
    /// pool.put('p');
    /// assert_eq!((pool.get(), pool.get()), ('p', 'n'));
    /// ```
    pub fn get(&self) -> T {
        self.core.count(|s| s.gets += 1);
        match self.try_get() {
            Some(value) => value,
            None => {
                self.core.count(|s| s.news += 1);
                (self.core.new)()
            }
        }
    }

    /// A pooled value if there is one; never calls `new`.
    ///
    /// ```
    /// use prologue_pool::LocalPool;
    ///
    /// let pool = LocalPool::new(|| 0);
    /// assert_eq!(pool.try_get(), None);
    /// ```
    pub fn try_get(&self) -> Option<T> {
        let mut state = self.core.state.borrow_mut();
        if let Some(value) = state.primary.pop() {
            return Some(value);
        }
        let victim = state.victims.iter_mut().find_map(Vec::pop);
        drop(state);
        if victim.is_some() {
            self.core.count(|s| s.victim_hits += 1);
        }
        victim
    }

    /// Gives `value` to the pool for reuse (or drops it, if the pool's caps say so).
    ///
    /// ```
    /// use prologue_pool::LocalPool;
    ///
    /// let pool = LocalPool::new(|| 0);
    /// pool.put(5);
    /// assert_eq!(pool.get(), 5);
    /// ```
    pub fn put(&self, value: T) {
        self.core.count(|s| s.puts += 1);
        if let Some((max, size)) = self.core.max_size.get() {
            if size(&value) > max {
                self.core.count(|s| s.discarded += 1);
                return drop(value);
            }
        }
        let mut state = self.core.state.borrow_mut();
        if state.primary.len() >= self.core.max_items.get() {
            drop(state);
            self.core.count(|s| s.discarded += 1);
            return drop(value);
        }
        state.primary.push(value);
    }

    /// A value (as [`get`](LocalPool::get)) in a guard that puts it back when dropped.
    ///
    /// ```
    /// use prologue_pool::LocalPool;
    ///
    /// let pool = LocalPool::new(String::new);
    /// pool.pull().push('x');
    /// assert_eq!(pool.get(), "x");
    /// ```
    pub fn pull(&self) -> LocalPooled<'_, T> {
        LocalPooled::new(self, self.get())
    }

    /// Drains this pool now, by its policy.
    ///
    /// ```
    /// use prologue_pool::LocalPool;
    ///
    /// let pool = LocalPool::new(|| 0);
    /// pool.put(1);
    /// pool.clear();
    /// assert_eq!(pool.stats().drained, 1);
    /// ```
    pub fn clear(&self) {
        let mut sink = Vec::new();
        self.core.detach(&mut sink);
        drop(sink); // the values, after the state borrow ended
    }

    /// The pool's counters.
    ///
    /// ```
    /// use prologue_pool::LocalPool;
    ///
    /// let pool = LocalPool::new(|| 0);
    /// pool.get();
    /// assert_eq!(pool.stats().news, 1);
    /// ```
    pub fn stats(&self) -> PoolStats {
        self.core.stats.get()
    }
}

impl<T: 'static> Drop for LocalPool<T> {
    fn drop(&mut self) {
        local_registry::unregister(self.slot);
    }
}

impl<T: 'static> fmt::Debug for LocalPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalPool")
            .field("policy", &self.policy())
            .field("stats", &self.stats())
            .finish()
    }
}
