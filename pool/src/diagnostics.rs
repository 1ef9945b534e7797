//! A look inside the pool runtime: how many pools are registered and how many thread indices
//! exist.
//!
//! Supported API, for tests, benchmarks and leak hunts: none of it is needed to use a pool.
//! Each function takes a lock or reads a counter, so call them from tests and reports, not
//! from a hot path. (Two more functions here are hidden from the docs and are not API: they
//! exist for this workspace's own tests and benchmarks.)
//!
//! ```
//! use prologue_pool::{diagnostics, Pool};
//!
//! let pool = Pool::new(|| 0u8);
//! pool.put(0); // first use registers the pool and gives this thread an index
//! assert!(diagnostics::registered_pools() >= 1);
//! assert!(diagnostics::thread_index_high_water() >= 1);
//! ```

/// How many pools are registered now: every live [`Pool`](crate::Pool) that has been used, on
/// any thread. A drain visits each of them.
///
/// ```
/// let pool = prologue_pool::Pool::new(|| 0u8);
/// pool.put(0); // first use registers it
/// assert!(prologue_pool::diagnostics::registered_pools() >= 1);
/// ```
pub fn registered_pools() -> usize {
    crate::registry::registered()
}

/// Whether the process has decided how pool owners fence (a `membarrier(2)` registration on
/// Linux): the first [`Pool`](crate::Pool) used decides, a drain never does.
///
/// Not API: for the workspace's tests (pool/tests/first_drain.rs checks that a collection
/// in a process without shared pools does not pay for the registration).
#[doc(hidden)]
pub fn fence_mode_decided() -> bool {
    crate::handshake::mode_decided()
}

/// How many [`LocalPool`](crate::LocalPool)s the calling thread has.
///
/// Not API: for the workspace's tests (pool/tests/local_pool.rs checks that a dropped
/// `LocalPool` leaves its thread's registry). A user cannot leak a `LocalPool` from that
/// registry short of `mem::forget`, so this answers no question of theirs.
///
/// ```
/// use prologue_pool::{diagnostics, LocalPool};
///
/// let before = diagnostics::registered_local_pools();
/// let pool = LocalPool::new(|| 0u8);
/// assert_eq!(diagnostics::registered_local_pools(), before + 1);
/// drop(pool);
/// assert_eq!(diagnostics::registered_local_pools(), before);
/// ```
#[doc(hidden)]
pub fn registered_local_pools() -> usize {
    crate::local_registry::registered_locals()
}

/// How many distinct thread indices the process has handed out so far.
///
/// Every thread that uses a pool holds one index (the same in every pool) until it exits, and
/// an exited thread's index goes to the next thread that needs one, smallest first. So this is
/// the most threads that ever used pools at the same time, and it bounds every pool's shard
/// table: a drain walks at most about twice this many shards per pool. A figure that keeps
/// growing while the number of live threads does not is a leak.
///
/// ```
/// use prologue_pool::{diagnostics, Pool};
///
/// static POOL: Pool<u8> = Pool::new(|| 0);
/// POOL.put(0);
/// let high = diagnostics::thread_index_high_water();
/// for _ in 0..10 {
///     std::thread::spawn(|| POOL.put(0)).join().unwrap();
/// }
/// // One thread at a time: each reuses an index an earlier one gave back.
/// assert!(diagnostics::thread_index_high_water() <= high + 1);
/// ```
pub fn thread_index_high_water() -> usize {
    crate::thread_index::high_water()
}

/// Whether drains use the `membarrier(2)` system call, which lets `get`/`put` skip a hardware
/// fence. False where the system lacks it (owners then use a `SeqCst` fence), and in a process
/// started with the environment variable `PROLOGUE_POOL_FORCE_FENCE=1`, which forces that
/// fallback (read once, at the first pool's first use). True under valgrind on Linux, which
/// passes the system call through.
///
/// Not API: for the workspace's pool benchmark, which labels its drain timings with the path
/// taken. It names a mechanism rather than a guarantee, and goes if the handshake changes.
///
/// ```
/// let fast = prologue_pool::diagnostics::uses_membarrier();
/// if std::env::var_os("PROLOGUE_POOL_FORCE_FENCE").is_some_and(|v| v == "1") {
///     assert!(!fast);
/// }
/// ```
#[doc(hidden)]
pub fn uses_membarrier() -> bool {
    crate::handshake::uses_membarrier()
}
