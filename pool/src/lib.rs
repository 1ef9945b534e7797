//! Go's `sync.Pool` for Rust: typed object pools in one process-wide registry, which
//! [`clear_pools`] drains (the garbage collector calls it at the start of every cycle).
//!
//! # When to use a pool, and when not
//! Use a [`Pool`] for values that are costly to build and cheap to reset, used briefly and
//! often from many places: byte buffers, scratch `Vec`s, encoders, per-request state. The pool
//! gives every thread a cache of idle values with no contention, lets idle values flow to
//! threads that need them, and lets the collector drop them when memory matters
//! ([`DrainPolicy`]).
//!
//! Do not use one as a free list for values with identity or state that must survive (a pool
//! may drop any value at any time: a connection pool needs a real bounded pool), for values
//! cheaper to make than to fetch (small `Copy` data, tiny `Box`es: the allocator is already a
//! pool), or to bound memory (it caps nothing unless you ask: [`Pool::with_max_items`],
//! [`Pool::with_max_size`]). Values that are not `Send` (`Rc`, `Gc` handles) go in a
//! [`LocalPool`].
//!
//! ```
//! use prologue_pool::{clear_pools, Pool};
//! use std::io::Write;
//!
//! // Like Go's `var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}`.
//! static BUFFERS: Pool<Vec<u8>> = Pool::new(|| Vec::with_capacity(4096));
//!
//! fn render(n: u32) -> String {
//!     let mut buf = BUFFERS.pull(); // put back when `buf` drops
//!     buf.clear(); // a pooled value keeps its last user's contents
//!     write!(buf, "item #{n}").unwrap();
//!     String::from_utf8_lossy(&buf).into_owned()
//! }
//!
//! assert_eq!(render(1), "item #1");
//! assert_eq!(render(2), "item #2"); // reuses the first buffer
//! assert!(BUFFERS.stats().hits() >= 1);
//! clear_pools(); // what the collector does at the start of a cycle
//! ```
//!
//! # Design
//! - Each thread owns one shard per pool (two 128-byte lines, `crossbeam-utils`' `CachePadded`,
//!   against false sharing): a private cache of up to 32 values touched only by its owner with
//!   plain loads and stores, and a stash behind a `parking_lot` mutex for the overflow and the
//!   victim caches. A thread whose shard is empty steals the oldest value of another shard
//!   (Go's `popTail`), then takes a victim, then calls `new`, outside every lock.
//! - A thread's shard is the same slot in every pool: a small index the thread holds until it
//!   exits, then handed to the next thread that needs one, smallest first. Shard tables (and
//!   drains) therefore grow with the most threads alive at once, not with every thread ever
//!   started; a pool used from a thread-local destructor after the thread gave its index back
//!   borrows one for that call ([`diagnostics::thread_index_high_water`] shows the figure).
//! - A drain ([`detach_pools`]) runs while owners keep going. It opens a process-wide gate and
//!   issues one `membarrier(2)` system call, an asymmetric fence that leaves the owners' side of
//!   the handshake a compiler fence (no instruction at all); owners that see the gate open use
//!   their stash while the drain lasts; the drain waits for any owner still inside its private
//!   cache (a few instructions), then moves whole containers: O(pools + shards), no value
//!   touched, nothing dropped until [`DetachedPools::finish`]. Where `membarrier` is
//!   unavailable (systems other than Linux, kernels before 4.14), or when the environment sets
//!   `PROLOGUE_POOL_FORCE_FENCE=1`, owners use a `SeqCst` fence instead. The first use of
//!   the process's first [`Pool`] decides which, or [`prepare_process`] earlier (registering
//!   a process that already runs several threads for `membarrier` waits for an RCU grace
//!   period, milliseconds); a drain never decides, so a collection in a program that uses no
//!   shared pool pays neither the registration nor the call. Valgrind passes
//!   `membarrier` through to the kernel, so a run under valgrind takes the `membarrier` path
//!   (the pool benchmark's drain report says which path its process took).
//! - The registry holds an `Arc` of each pool's core under a `parking_lot` mutex (no poisoning,
//!   so a panic in user code never wedges it; not on any fast path). A dropped pool leaves it.
//!
//! # How it differs from Go's `sync.Pool`
//! - Typed, and `get` returns a value, never `nil`; `try_get` never calls `new`.
//! - Each thread's private cache holds up to 32 values (Go's holds one) and is LIFO, so a
//!   `put` then `get` returns the same value; other threads cannot steal from it, only from the
//!   overflow behind it. A `get` may therefore call `new` (or take a victim) while another
//!   thread's private cache still holds values, as Go's may while another P's private slot does.
//! - Drains run concurrently with `get`/`put` instead of inside a stop-the-world pause.
//! - Policies Go lacks: [`DrainPolicy::MaxAge`], [`Pool::with_max_items`],
//!   [`Pool::with_max_size`]; and statistics ([`PoolStats`]).
//! - A [`LocalPool`] is drained by [`clear_pools`] / [`detach_pools`] only when its own thread
//!   calls them (or by [`LocalPool::clear`]).
//!
//! # Performance
//! - `get` and `put` on a thread's own shard do no atomic read-modify-write and take no lock:
//!   a thread-local read for the index, two stores of the `busy` flag (relaxed, then release),
//!   a one-byte acquire load of the gate, a counter bumped with a plain load and store, and a
//!   push or pop on the private `Vec`: the work of a bare `thread_local!` `RefCell<Vec<T>>`,
//!   plus the flag and the counter. Locks are taken only when the private cache spills or
//!   refills (half its capacity at a time), by thieves, and during a drain.
//! - Detaching, the part of a drain inside a collection pause, is O(pools + shards) and never
//!   touches a value: per shard it takes the private `Vec` and, only if the stash holds
//!   anything, the stash's deque under its lock; per pool it reads one cache line of the core,
//!   which the drain prefetches a few pools ahead. After the first drains have sized its list it
//!   allocates nothing. Dropping the values happens afterwards ([`DetachedPools::finish`]).
//! - `cargo bench -p prologue-benches --bench pool` measures the round trip against the
//!   `thread_local!` floor, a `parking_lot::Mutex<Vec<T>>`, `object-pool` and
//!   `lockfree-object-pool`, and the detach time by pool count and size (`-- stw`).
//!
//! Why not `crossbeam-epoch`: pinning costs a `SeqCst` fence (or a locked instruction) on every
//! operation, the very cost the handshake keeps off the fast path; an epoch scheme also defers
//! reclamation, while a drain must free memory now. The handshake needs neither. `proptest`
//! and `loom` are test-only: the model test in `tests/model.rs`, the handshake's loom models in
//! `src/loom_tests.rs`, run with
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p prologue-pool --release --lib loom
//! ```

mod detached;
pub mod diagnostics;
mod drain;
mod guard;
mod handshake;
mod local_pool;
mod local_registry;
#[cfg(all(loom, test))]
mod loom_tests;
mod membarrier;
mod policy;
mod pool;
mod pool_core;
mod registry;
mod shard;
mod shard_table;
mod stats;
mod sync;
mod thread_index;

pub use drain::{clear_pools, detach_pools, DetachedPools, DrainReport};
pub use guard::{LocalPooled, Pooled};
pub use handshake::prepare_process;
pub use local_pool::LocalPool;
pub use policy::DrainPolicy;
pub use pool::Pool;
pub use stats::PoolStats;
