//! The process-wide registry of pools, and the one place that detaches them.
//!
//! A [`Pool`](crate::Pool) registers its core here on first use and leaves when dropped. The
//! registry holds an `Arc` of every core, so a pool dropped on one thread while another thread
//! drains never leaves a dangling entry: removal waits for the registry lock, which a drain holds
//! for its whole (short, O(pools + shards)) detach phase.
//!
//! Locks (`parking_lot`: no poisoning, so a panic elsewhere never wedges the registry): the
//! drainers' lock ([`handshake::lock_drainers`]: one drainer at a time), then `REGISTRY`, which
//! guards the list. Neither is held while user code (a `new` function, a value's `Drop`) runs.

use crate::detached::Detached;
use crate::handshake;
use parking_lot::{const_mutex, Mutex};
use std::sync::Arc;

/// A pool as the registry sees it: something whose contents can be detached.
pub(crate) trait Drainable: Send + Sync {
    /// Applies the pool's drain policy: moves its primary cache to the victims and pushes what
    /// must be dropped onto `sink`. Returns how many values that holds. Touches no value.
    ///
    /// # Safety
    /// The caller holds the drainers' lock and keeps the process's gate open
    /// ([`handshake::OpenGate`]) for the whole call.
    unsafe fn detach(&self, sink: &mut Vec<Detached>) -> usize;

    /// Prefetches the pool's first shards (its core must be in cache already: the drain
    /// prefetched it earlier). A hint: no effect but speed.
    fn prefetch_shards(&self);
}

struct Registry {
    slots: Vec<Option<Arc<dyn Drainable>>>,
    free: Vec<usize>,
}

static REGISTRY: Mutex<Registry> = const_mutex(Registry {
    slots: Vec::new(),
    free: Vec::new(),
});

/// Runs `make` under the registry lock and registers what it returns, if anything; returns
/// the slot. `make` must not call into the registry (it runs under its lock).
pub(crate) fn register_once(make: impl FnOnce() -> Option<Arc<dyn Drainable>>) -> Option<usize> {
    let mut reg = REGISTRY.lock();
    let pool = make()?;
    Some(match reg.free.pop() {
        Some(slot) => {
            reg.slots[slot] = Some(pool);
            slot
        }
        None => {
            reg.slots.push(Some(pool));
            reg.slots.len() - 1
        }
    })
}

/// Removes a registration; the caller drops the returned `Arc` after the lock is released.
pub(crate) fn unregister(slot: usize) -> Option<Arc<dyn Drainable>> {
    let mut reg = REGISTRY.lock();
    let pool = reg.slots.get_mut(slot)?.take();
    if pool.is_some() {
        reg.free.push(slot);
    }
    pool
}

/// How many pools are registered (all threads' `Pool`s; not `LocalPool`s).
pub(crate) fn registered() -> usize {
    let reg = REGISTRY.lock();
    reg.slots.len() - reg.free.len()
}

/// Detaches every registered pool. Returns (pools visited, values to drop).
pub(crate) fn drain_all(sink: &mut Vec<Detached>) -> (usize, usize) {
    let drainer = handshake::lock_drainers();
    let reg = REGISTRY.lock();
    let live = reg.slots.len() - reg.free.len();
    sink.reserve(live);
    let _open = drainer.open_gate();
    // The pools' cores and shards are scattered and, in a collection pause, cold: one cache
    // miss after another if visited in turn. So the loop runs a software pipeline: it prefetches
    // the core of the pool `2 * AHEAD` places ahead, then (its core has arrived meanwhile) the
    // shards of the pool `AHEAD` places ahead, then detaches the current pool.
    const AHEAD: usize = 4;
    let pools = reg.slots.iter().flatten();
    let mut cores = pools.clone();
    for pool in cores.by_ref().take(2 * AHEAD) {
        crate::sync::prefetch(Arc::as_ptr(pool).cast::<u8>());
    }
    let mut shards = pools.clone();
    for pool in shards.by_ref().take(AHEAD) {
        pool.prefetch_shards();
    }
    let mut items = 0;
    for pool in pools {
        if let Some(next) = cores.next() {
            crate::sync::prefetch(Arc::as_ptr(next).cast::<u8>());
        }
        if let Some(next) = shards.next() {
            next.prefetch_shards();
        }
        // SAFETY: `drainer` is held and the gate open until `_open` drops, after this loop.
        items += unsafe { pool.detach(sink) };
    }
    (live, items)
}

/// Detaches one pool (`Pool::clear`). Returns how many values `sink` received.
pub(crate) fn drain_one(pool: &dyn Drainable, sink: &mut Vec<Detached>) -> usize {
    let drainer = handshake::lock_drainers();
    let _open = drainer.open_gate();
    // SAFETY: `drainer` is held and the gate open until `_open` drops.
    unsafe { pool.detach(sink) }
}
