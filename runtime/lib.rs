//! prologue: a tracing garbage-collected runtime for Rust with object pools built into the
//! collector.
//!
//! A [`Heap`] owns objects reached through [`Gc`] handles that work anywhere safe Rust puts a
//! value; no rooting discipline is asked of you. Object pools ([`Pool`], [`LocalPool`]) cache
//! values for reuse the way Go's `sync.Pool` does, and every full collection starts by draining
//! them (Go's `clearpools`), so a pool never keeps memory alive across collections longer than
//! its [`DrainPolicy`] says (the young collections in between leave pools alone). This crate is the one to depend on: it re-exports the collector
//! (`prologue-gc`, including `#[derive(Trace)]`) and the pools (`prologue-pool`).
//!
//! # Quick start
//!
//! A heap, a traced type with a cycle in it, a static pool of buffers, and a collection that
//! frees the cycle and drains the pool (the example of Go's `sync.Pool` posts, in Rust):
//!
//! ```
//! use prologue::{Gc, GcCell, Heap, Pool, Trace};
//!
//! // Like Go's `var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}`.
//! static BUFFERS: Pool<Vec<u8>> = Pool::new(|| Vec::with_capacity(4096));
//!
//! #[derive(Trace)]
//! struct Node {
//!     name: String,
//!     next: GcCell<Option<Gc<Node>>>,
//! }
//!
//! let heap = Heap::new();
//! let a = heap.alloc(Node { name: "a".into(), next: GcCell::new(None) });
//! let b = heap.alloc(Node { name: "b".into(), next: GcCell::new(Some(a.clone())) });
//! *a.next.borrow_mut() = Some(b.clone()); // a -> b -> a: a cycle
//! assert_eq!(a.next.borrow().as_ref().unwrap().name, "b");
//!
//! // Borrow a buffer, use it, give it back for the next caller.
//! let mut buf = BUFFERS.get();
//! buf.extend_from_slice(b"hello, pool");
//! buf.clear();
//! BUFFERS.put(buf);
//!
//! drop((a, b)); // the cycle is garbage now
//! let cycle = heap.collect(); // gc_start drains every pool, then roots, mark, sweep
//! assert_eq!(cycle.objects_freed, 2);
//! assert!(cycle.pool_items_drained >= 1);
//! assert!(BUFFERS.try_get().is_none()); // the idle buffer went with the cycle
//! assert_eq!(heap.stats().objects, 0);
//! ```
//!
//! Set `PROLOGUE_GCTRACE=1` to have every heap print one line per cycle on stderr (Go's
//! `GODEBUG=gctrace=1`), or register [`Heap::on_cycle`] to receive the same [`CycleStats`].
//!
//! # Layout
//!
//! - `prologue-pool`: [`Pool`], [`LocalPool`], [`DrainPolicy`], [`clear_pools`]; knows nothing
//!   of the collector.
//! - `prologue-gc`: [`Heap`], [`Gc`], [`GcCell`], [`WeakGc`], [`Trace`], the statistics; its
//!   cycle calls [`clear_pools`] first.
//! - `prologue` (this crate): the facade, nothing else.
//!
//! The `prologue` command line (`bench`, `stress`, `run`) and the workloads it runs are
//! packages of the repository that are not published (`prologue-cli`, `prologue-workloads`).

// The exports, by name (a glob would make every item the two crates add public here by
// accident). tests/facade.rs checks this list against theirs.
pub use prologue_gc::{
    AllocError, BorrowError, BorrowMutError, Census, CensusEntry, Config, CycleStats, Finalize, Gc,
    GcCell, GcRef, GcRefMut, GcSlice, GcSlot, GcStr, Heap, HeapBusy, HeapStats, Pause, PauseKind,
    Retainer, RetainerPath, RetainersError, SlotValue, Tracer, Trigger, WeakGc,
};
pub use prologue_pool::{
    clear_pools, detach_pools, diagnostics, prepare_process, DetachedPools, DrainPolicy,
    DrainReport, LocalPool, LocalPooled, Pool, PoolStats, Pooled,
};

/// The [`Trace`] trait (from `prologue_gc`) and, in the macro namespace, `#[derive(Trace)]`.
/// A `use` names both namespaces at once, so the trait comes in through this module's glob,
/// which the facade's own derive below shadows in the macro namespace only.
mod trace_trait {
    pub use prologue_gc::Trace;
}
pub use trace_trait::*;

/// `#[derive(Trace)]`, as the gc crate documents it, but generating code that names
/// `::prologue`, so a crate whose only dependency is `prologue` can use it.
pub use prologue_gc::PrologueTrace as Trace;

// Lets `::prologue` paths (what the facade's derive generates) resolve inside this crate too.
extern crate self as prologue;

/// The README's Rust examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
