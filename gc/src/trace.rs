//! The [`Trace`] trait, whose impls tell the collector where a value's handles are, and the
//! [`Tracer`] that visits them.

use std::ptr::NonNull;

use crate::header::{Header, DEAD, MARKED, OLD, VISITED};

/// A type whose [`Gc`](crate::Gc) handles the collector can enumerate.
///
/// Every value stored in a [`Heap`](crate::Heap) implements `Trace`. A full cycle calls
/// [`trace`](Trace::trace) on an object up to twice: once to count the handles that live
/// inside the heap (root discovery), once to mark what the roots reach; a young cycle does the
/// same for young objects only, and may free an object by one `trace` instead of its drop
/// ([`DROP_IS_TRACE`](Trace::DROP_IS_TRACE)). So a cycle costs about two `trace` calls per
/// object it examines.
///
/// Write it with `#[derive(Trace)]` when you can: the derive visits every field (skipping
/// those marked `#[trace(skip)]`, which then count as held from outside the heap), computes
/// `NEEDS_TRACE` and `DROP_IS_TRACE` from the fields, refuses types that implement `Drop`, and
/// fails to compile for a field behind `Rc` or `Arc` (neither implements `Trace`): so it keeps
/// every rule below, and deriving is always sound. A manual impl looks like
/// `unsafe impl Trace for X { fn trace(&self, t: &mut Tracer) { self.field.trace(t); } }`.
///
/// # Safety
///
/// An implementation must keep these rules; breaking one lets the collector free an object
/// that is still reachable (a use after free) or count a handle twice.
///
/// 1. `trace` calls `trace` on every [`Gc`](crate::Gc), `GcCell` and other `Trace` value that
///    `self` owns and that may (transitively) hold a `Gc`, exactly once each, and on nothing
///    else: not on a handle `self` merely points to through a reference, not on a value
///    owned by someone else.
/// 2. `trace` visits the same handles every time it is called while no user code runs in
///    between: it mutates nothing (no interior mutability, no allocation, no dropping of
///    handles) and depends on nothing but `self`'s contents.
/// 3. Handles are owned *by value* in `self` (directly, or inside owned containers such as
///    `Box`, `Vec` or `HashMap`), never behind shared ownership such as `Rc<T>` or `Arc<T>`:
///    several owners share one handle, so counting it once per owner breaks the
///    internal-reference count. (This crate implements `Trace` for neither, on purpose.)
/// 4. `NEEDS_TRACE` is `false` only when no value of the type can hold a `Gc`, directly or
///    transitively; the collector then never calls `trace`.
/// 5. `DROP_IS_TRACE` is `true` only when dropping a value does nothing but drop, once each,
///    the handles `trace` visits, and `trace` visits no handle the drop would not drop. The
///    collector then frees such a value without running its drop glue: it decrements the
///    count of each handle `trace` visits instead. (A `trace` that skips some owned handles,
///    like a mutably borrowed `GcCell`'s, only leaks their objects.)
///
/// # Panics
///
/// What the collector checks at run time instead of trusting the implementation:
///
/// - `trace` that calls [`Heap::collect`](crate::Heap::collect) or
///   [`Heap::verify`](crate::Heap::verify), or allocates on the heap it is traced for, panics:
///   the heap is busy during a cycle.
/// - A panic inside `trace` (that one, or the implementation's own) undoes the cycle's marks
///   and counts before it propagates out of the call that was running the cycle or its step
///   (`collect()` or an allocation); the heap stays usable and the next cycle starts afresh.
/// - A destructor of a traced type runs while its sweep frees other objects, so it may meet
///   an object the same sweep has already found dead: dereferencing that handle panics (it
///   never reads freed memory). Cleanup that needs the object graph belongs in a
///   [`Finalize`](crate::Finalize) impl, allocated with
///   [`Heap::alloc_with_finalizer`](crate::Heap::alloc_with_finalizer), which runs while
///   everything the object reaches is intact; that is why the derive refuses `Drop`.
pub unsafe trait Trace {
    /// `false` when a value of this type can never hold a `Gc`: the collector then skips it.
    const NEEDS_TRACE: bool = true;

    /// `true` when dropping a value only drops the handles `trace` visits (rule 5): a
    /// struct of `Gc`s, `Option`s, tuples and plain numbers, for instance. The release step of
    /// a young cycle then frees the object by one trace, without calling its destructor.
    /// `#[derive(Trace)]` computes it from the fields; the default, `true` only for types that
    /// hold no handle and have no drop glue, is always sound.
    const DROP_IS_TRACE: bool = !Self::NEEDS_TRACE && !std::mem::needs_drop::<Self>();

    /// Calls `trace` on every traceable value `self` owns (see the rules above).
    fn trace(&self, tracer: &mut Tracer);
}

/// What a [`Tracer`] does with each edge it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TraceMode {
    /// Root discovery: count edges into this heap's live objects.
    Count,
    /// Mark: mark unmarked live targets and push them on the mark stack.
    Mark,
    /// Verification: record every edge into this heap.
    Collect,
    /// The release step (`release.rs`) on a value whose drop is its trace: decrement each
    /// target's count (the drop the collector skips), and list the objects of this heap whose
    /// count reaches zero and that the release walk will not reach: old ones, and young ones
    /// it has passed (`MARKED`).
    Release,
    /// The release step on a value that is dropped normally: list the live objects of this
    /// heap it points to that the walk will not reach (as for `Release`), to check their
    /// counts after the drop.
    Candidates,
    /// The write barrier (`barrier.rs`): grey every target whose heap marks incrementally.
    Grey,
}

/// Visits handles on behalf of the collector. Only the collector creates one; user code
/// receives `&mut Tracer` in [`Trace::trace`] and passes it on to its fields.
pub struct Tracer {
    pub(crate) mode: TraceMode,
    pub(crate) heap_id: u32,
    /// Mark mode: the gray objects. Collect mode: the edges seen.
    pub(crate) stack: Vec<NonNull<Header>>,
    /// Edges seen into other heaps (statistics and verification).
    pub(crate) foreign_edges: usize,
    /// Mark: bytes of the objects marked so far (for pacing).
    pub(crate) marked_bytes: usize,
    /// A young cycle: edges into old objects are neither counted nor followed, and marking
    /// an object promotes it (sets `OLD`, which also keeps it from being pushed twice)
    /// instead of setting `MARKED`.
    pub(crate) young_only: bool,
    /// Counting for an incremental cycle that began at this barrier epoch: cells written since
    /// are skipped (rule 11). `None` for stop-the-world cycles.
    pub(crate) epoch: Option<u32>,
}

impl Tracer {
    pub(crate) fn new(heap_id: u32) -> Tracer {
        Tracer {
            mode: TraceMode::Count,
            heap_id,
            stack: Vec::new(),
            foreign_edges: 0,
            marked_bytes: 0,
            young_only: false,
            epoch: None,
        }
    }

    /// A tracer for the write barrier: it greys what it is shown (any heap).
    pub(crate) fn greying() -> Tracer {
        Tracer {
            mode: TraceMode::Grey,
            ..Tracer::new(0)
        }
    }

    /// Visits one handle's target.
    #[inline(always)]
    pub(crate) fn edge(&mut self, target: NonNull<Header>) {
        // SAFETY: `target` comes from a live handle, and an object with a live handle is never
        // freed, so its header is readable.
        let header = unsafe { target.as_ref() };
        match self.mode {
            TraceMode::Release => {
                // The handle is dropped here, in place of the skipped drop glue: every heap.
                header.dec_handles();
                if header.handles() == 0
                    && header.heap_id == self.heap_id
                    && header.has(OLD | VISITED)
                    && !header.has(DEAD)
                {
                    self.stack.push(target);
                }
                return;
            }
            TraceMode::Candidates => {
                if header.heap_id == self.heap_id && header.has(OLD | VISITED) && !header.has(DEAD)
                {
                    self.stack.push(target);
                }
                return;
            }
            TraceMode::Grey => {
                crate::barrier::grey(target);
                return;
            }
            TraceMode::Count | TraceMode::Mark | TraceMode::Collect => {}
        }
        if header.heap_id != self.heap_id {
            // Held from another heap's object: from this heap's point of view that is an
            // outside reference, so it is neither counted nor marked here.
            self.foreign_edges += 1;
            return;
        }
        if self.young_only && header.has(OLD) {
            // A young cycle counts only edges between young objects: an old object's handle
            // makes its young target look held from outside (no write barrier needed), and
            // old objects are not collected.
            return;
        }
        match self.mode {
            TraceMode::Count => {
                if !header.has(DEAD) {
                    header.add_internal();
                }
            }
            TraceMode::Mark => {
                if !header.has(MARKED | DEAD) {
                    // A young target is not `OLD` here (returned above): promote it.
                    header.set(if self.young_only { OLD } else { MARKED });
                    self.stack.push(target);
                }
            }
            TraceMode::Collect => self.stack.push(target),
            TraceMode::Release | TraceMode::Candidates | TraceMode::Grey => {
                unreachable!("handled above")
            }
        }
    }
}

impl std::fmt::Debug for Tracer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer")
            .field("mode", &self.mode)
            .field("heap_id", &self.heap_id)
            .finish_non_exhaustive()
    }
}
