//! Finalizers: a hook that runs while every object is still intact, the safe alternative to
//! `Drop` on traced types.
//!
//! An object allocated with [`Heap::alloc_with_finalizer`](crate::Heap::alloc_with_finalizer)
//! is, once unreachable, *not* swept by the cycle that finds it so. That cycle instead:
//!
//! 1. marks it and everything it reaches (they survive this cycle, as in Java and Go);
//! 2. condemns the other unreachable objects (flags them dead, empties their weak slots)
//!    without dropping or freeing anything;
//! 3. calls [`Finalize::finalize`] on it, once, inside the pause: every handle it holds names
//!    a live, intact object, and a weak handle to a condemned object no longer upgrades;
//! 4. drops and frees the condemned objects.
//!
//! A later cycle frees the object (without finalizing it again) if it is still unreachable;
//! a finalizer that stored a handle somewhere reachable has resurrected it, fully alive.
//! Finalizers may allocate; `collect()` from a finalizer panics; a panicking finalizer does not
//! stop the cycle (the first panic is resumed when the cycle is complete). When the heap is
//! dropped, its final cycles run the pending finalizers of unreachable objects; objects still
//! held from outside are leaked unfinalized.

use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::header::{GcBox, Header, SizedVTable, VTable, FINALIZED, MARKED};
use crate::heap::Heap;
use crate::mark::mark;
use crate::trace::{Trace, Tracer};

/// A value with a finalizer: see [`Heap::alloc_with_finalizer`](crate::Heap::alloc_with_finalizer).
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use prologue_gc::{Finalize, Gc, Heap, Trace};
///
/// #[derive(Trace)]
/// struct Port {
///     name: Gc<String>,
///     #[trace(skip)]
///     closed: Rc<Cell<bool>>,
/// }
///
/// impl Finalize for Port {
///     fn finalize(&self) {
///         // Every handle is still valid here.
///         assert_eq!(*self.name, "stdout");
///         self.closed.set(true);
///     }
/// }
///
/// let heap = Heap::new();
/// let closed = Rc::new(Cell::new(false));
/// let name = heap.alloc(String::from("stdout"));
/// drop(heap.alloc_with_finalizer(Port { name, closed: closed.clone() }));
/// assert_eq!(heap.collect().finalized, 1);
/// assert!(closed.get());
/// assert_eq!(heap.collect().objects_freed, 2); // freed by the next cycle
/// ```
pub trait Finalize {
    /// Called once, when the collector has found the object unreachable, before anything of
    /// that cycle is dropped or freed.
    fn finalize(&self);
}

/// Vtables for finalizable sized values: the sized vtable plus the finalizer.
pub(crate) struct FinalizedVTable<T>(PhantomData<T>);

impl<T: Trace + Finalize> FinalizedVTable<T> {
    pub(crate) const VTABLE: &'static VTable = &VTable {
        trace: SizedVTable::<T>::trace,
        drop_value: SizedVTable::<T>::drop_value,
        layout: SizedVTable::<T>::layout,
        needs_trace: T::NEEDS_TRACE,
        needs_drop: std::mem::needs_drop::<T>(),
        drop_is_trace: T::DROP_IS_TRACE,
        finalize: Some(Self::finalize),
        type_name: std::any::type_name::<T>,
    };

    unsafe fn finalize(header: NonNull<Header>) {
        // SAFETY: the caller passes a live `GcBox<T>` (marked this cycle, not condemned).
        let value = unsafe { &(*header.cast::<GcBox<T>>().as_ptr()).value };
        value.finalize();
    }
}

impl Heap {
    /// After the mark: the finalizable objects the mark did not reach are marked, with
    /// everything they reach, and flagged `FINALIZED`; they leave the pending list and are
    /// returned in `ready`. Returns how many objects the extra marking reached.
    pub(crate) fn mark_finalizable(
        &self,
        tracer: &mut Tracer,
        ready: &mut Vec<NonNull<Header>>,
    ) -> usize {
        ready.clear();
        let pending = self.finalizable.borrow();
        for &object in pending.iter() {
            // SAFETY: pending objects are live objects of this heap.
            let header = unsafe { object.as_ref() };
            if !header.has(MARKED) {
                header.set(MARKED);
                tracer.stack.push(object);
                ready.push(object);
            }
        }
        drop(pending);
        if ready.is_empty() {
            return 0;
        }
        // User `trace` runs here; nothing is committed until it has succeeded.
        let marked = mark(tracer);
        for &object in ready.iter() {
            // SAFETY: as above.
            unsafe { object.as_ref() }.set(FINALIZED);
        }
        self.finalizable.borrow_mut().retain(|&object| {
            // SAFETY: as above.
            !unsafe { object.as_ref() }.has(FINALIZED)
        });
        marked
    }

    /// Runs the finalizers of `ready` (between condemning and dropping). Returns how many
    /// panicked and the first panic.
    pub(crate) fn run_finalizers(
        &self,
        ready: &[NonNull<Header>],
    ) -> (usize, Option<Box<dyn std::any::Any + Send>>) {
        let (mut panics, mut first) = (0, None);
        for &object in ready {
            // SAFETY: a ready object was marked this cycle, so it survives the sweep and its
            // value is intact; its vtable was made by `FinalizedVTable`.
            let finalize = unsafe { object.as_ref() }.vtable().finalize;
            if let Some(finalize) = finalize {
                // SAFETY: as above.
                let result = catch_unwind(AssertUnwindSafe(|| unsafe { finalize(object) }));
                if let Err(payload) = result {
                    panics += 1;
                    first.get_or_insert(payload);
                }
            }
        }
        (panics, first)
    }
}
