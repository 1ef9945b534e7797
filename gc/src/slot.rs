//! [`GcSlot<T>`]: a `Cell` the collector can trace, for values that are cheap to clone.
//!
//! A [`GcCell`](crate::GcCell) hands out references, so it needs a borrow flag, and its write
//! barrier coalesces (one per cell per cycle), so it needs a stamp: a word beside the value. A
//! slot hands out no references (its value is cloned out and moved in whole), so nothing can
//! be borrowed, and its barrier runs on every write while a heap of the thread marks
//! incrementally: it costs no space at all. That suits the many small mutable places of an
//! interpreter: the car and cdr of a pair, the elements of a vector.
//!
//! What makes this sound is [`SlotValue`]: the values a slot may hold are those whose `clone`
//! cannot run code that writes a slot, so the shared reference `get` clones from is never
//! overwritten under it. Writes move the old value out before dropping it, as `Cell::replace`
//! does, so a destructor that reaches the slot finds the new value in place.

use std::cell::UnsafeCell;
use std::fmt;

use crate::barrier;
use crate::trace::{Trace, Tracer};

/// Values a [`GcSlot`] can hold: their `Clone` cannot write to any `GcSlot`.
///
/// Implemented for the handle types, plain data, and `Option`s and pairs of them. Implement it
/// for a type of your own (an interpreter's value enum) when its `clone` only copies plain
/// data and clones handles.
///
/// # Safety
/// `Clone::clone` of the type must not write to any `GcSlot`, directly or through code it
/// calls (it may read them), and must not allocate on a [`Heap`](crate::Heap) (an allocation
/// may run a collection, whose destructors and finalizers may write slots). [`GcSlot::get`]
/// clones the value in place, from a shared reference; a write to that slot meanwhile would
/// drop the value being read.
pub unsafe trait SlotValue: Clone {}

// SAFETY: cloning a handle increments a count and may grey its object (rule 9); neither
// touches a slot.
unsafe impl<T: ?Sized> SlotValue for crate::Gc<T> {}
// SAFETY: as for `Gc`.
unsafe impl SlotValue for crate::GcStr {}
// SAFETY: as for `Gc`.
unsafe impl<T> SlotValue for crate::GcSlice<T> {}
// SAFETY: cloning a weak handle clones an `Rc` to its weak slot (a table entry, not a
// `GcSlot`).
unsafe impl<T: ?Sized> SlotValue for crate::WeakGc<T> {}
// SAFETY: `Option`'s clone clones the payload, if any, and nothing else.
unsafe impl<T: SlotValue> SlotValue for Option<T> {}
// SAFETY: a pair's clone clones its two parts, and nothing else.
unsafe impl<A: SlotValue, B: SlotValue> SlotValue for (A, B) {}
// SAFETY: a `String`'s clone copies bytes through the global allocator, not a `Heap`.
unsafe impl SlotValue for String {}

/// Plain data: cloning is a copy.
macro_rules! plain_slot_values {
    ($($t:ty),* $(,)?) => {
        // SAFETY: `Copy` types clone by copying bits; no code of theirs runs.
        $(unsafe impl SlotValue for $t {})*
    };
}
crate::trace_impls::plain_copy_types!(plain_slot_values);

/// A mutable memory location like `Cell`, whose value may hold [`Gc`](crate::Gc) handles: read
/// it by cloning ([`get`](GcSlot::get)), write it whole ([`set`](GcSlot::set),
/// [`replace`](GcSlot::replace), [`take`](GcSlot::take)). No borrow can fail and the slot is
/// exactly the size of its value (a [`GcCell`](crate::GcCell) adds a word); what it cannot do
/// is lend a reference to its value. Writes and reads are O(1): while a heap of the thread
/// marks incrementally, a write first greys the handles the old value holds (rule 10 of the
/// crate docs), which is one branch on a thread-local flag otherwise.
///
/// ```
/// use prologue_gc::{Gc, GcSlot, Heap, Trace};
///
/// #[derive(Trace)]
/// struct Pair {
///     car: GcSlot<i64>,
///     cdr: GcSlot<Option<Gc<Pair>>>,
/// }
///
/// let heap = Heap::new();
/// let a = heap.alloc(Pair { car: GcSlot::new(1), cdr: GcSlot::new(None) });
/// let b = heap.alloc(Pair { car: GcSlot::new(2), cdr: GcSlot::new(Some(a.clone())) });
/// a.cdr.set(Some(b.clone())); // a cycle
/// assert_eq!(a.cdr.get().unwrap().car.get(), 2);
/// assert_eq!(std::mem::size_of::<GcSlot<Option<Gc<Pair>>>>(), 8);
/// drop((a, b));
/// assert_eq!(heap.collect().objects_freed, 2);
/// ```
#[repr(transparent)]
pub struct GcSlot<T> {
    value: UnsafeCell<T>,
}

impl<T> GcSlot<T> {
    /// A slot holding `value`.
    pub const fn new(value: T) -> GcSlot<T> {
        GcSlot {
            value: UnsafeCell::new(value),
        }
    }

    /// The value, consuming the slot.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }

    /// The value, through the unique access `&mut self` proves.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: SlotValue> GcSlot<T> {
    /// A clone of the value.
    #[inline]
    pub fn get(&self) -> T {
        // SAFETY: no `&mut T` to the value ever exists while `&self` does (writes replace it
        // through a raw pointer and hand no reference out), and `T::clone` writes no slot
        // (`SlotValue`), so the value stays in place while it is cloned.
        unsafe { (*self.value.get()).clone() }
    }
}

impl<T: Trace> GcSlot<T> {
    /// Replaces the value, returning the old one.
    #[inline]
    pub fn replace(&self, value: T) -> T {
        if T::NEEDS_TRACE && barrier::active() {
            self.write_barrier();
        }
        // SAFETY: no reference to the value exists outside this call (`get` clones and
        // returns; `trace` runs only inside the collector, which cannot run during this
        // swap), so the swap is the only access.
        unsafe { std::ptr::replace(self.value.get(), value) }
    }

    /// Stores `value`; the old value is dropped after the new one is in place.
    #[inline]
    pub fn set(&self, value: T) {
        drop(self.replace(value));
    }

    /// Takes the value, leaving `Default::default()`.
    pub fn take(&self) -> T
    where
        T: Default,
    {
        self.replace(T::default())
    }

    /// The write barrier (rule 10): greys every handle the old value holds, before the write
    /// can move one out. Not coalesced: every write while marking runs it, so a slot needs no
    /// stamp, and counting reads every slot (rule 11 is about coalesced cells).
    #[cold]
    #[inline(never)]
    fn write_barrier(&self) {
        let mut tracer = Tracer::greying();
        // SAFETY: only shared access exists (see `replace`), and `trace` writes nothing
        // (`Trace` rule 2).
        unsafe { &*self.value.get() }.trace(&mut tracer);
    }
}

// SAFETY: visits the value's handles, read in place, so it visits what dropping the value
// drops (`DROP_IS_TRACE` forwards). The collector runs only from an allocation or an explicit
// call, never inside a slot method (`replace` allocates nothing; `get` runs only `T::clone`,
// which `SlotValue` keeps from allocating), so the value it reads is whole.
unsafe impl<T: Trace> Trace for GcSlot<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    const DROP_IS_TRACE: bool = T::DROP_IS_TRACE;

    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        if T::NEEDS_TRACE {
            // SAFETY: no `&mut T` exists (see `get`); reading alongside a `get`'s clone is a
            // second shared read.
            unsafe { &*self.value.get() }.trace(tracer);
        }
    }
}

impl<T: SlotValue> Clone for GcSlot<T> {
    /// A new slot holding a clone of the value.
    fn clone(&self) -> GcSlot<T> {
        GcSlot::new(self.get())
    }
}

impl<T: Default> Default for GcSlot<T> {
    fn default() -> GcSlot<T> {
        GcSlot::new(T::default())
    }
}

impl<T: SlotValue + fmt::Debug> fmt::Debug for GcSlot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GcSlot").field(&self.get()).finish()
    }
}
