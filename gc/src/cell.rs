//! [`GcCell<T>`]: a `RefCell` the collector can trace.
//!
//! While a cell is mutably borrowed, the collector does not read its contents at all (that
//! would alias the live `&mut`): it skips the cell both when counting internal handles and when
//! marking. The handles inside are then not counted as internal, so their objects look held
//! from outside the heap and survive as roots, with everything they reach.
//!
//! While a heap of the thread marks incrementally, the first mutable borrow of a cell greys
//! the handles it held and stamps the cell (the write barrier, `barrier.rs`); the stamp shares
//! the borrow flag's word, so a cell costs the same 8 bytes beside its contents as before.

use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use crate::barrier;
use crate::trace::{Trace, TraceMode, Tracer};

/// Borrow state: `0` free, `> 0` that many shared borrows, `-1` mutably borrowed.
type BorrowFlag = i32;
const WRITING: BorrowFlag = -1;

/// A mutable memory location with dynamically checked borrows, like `RefCell`, whose contents
/// may hold [`Gc`](crate::Gc) handles.
///
/// ```
/// use prologue_gc::{Gc, GcCell, Heap, Trace};
///
/// #[derive(Trace)]
/// struct Node {
///     next: GcCell<Option<Gc<Node>>>,
/// }
///
/// let heap = Heap::new();
/// let a = heap.alloc(Node { next: GcCell::new(None) });
/// let b = heap.alloc(Node { next: GcCell::new(Some(a.clone())) });
/// *a.next.borrow_mut() = Some(b.clone()); // a cycle
/// drop((a, b));
/// assert_eq!(heap.collect().objects_freed, 2);
/// ```
pub struct GcCell<T: ?Sized> {
    borrow: Cell<BorrowFlag>,
    /// The barrier epoch of the cell's last write during an incremental cycle (`barrier.rs`).
    stamp: Cell<u32>,
    value: UnsafeCell<T>,
}

/// The error of [`GcCell::try_borrow`]: the cell is mutably borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BorrowError;

/// The error of [`GcCell::try_borrow_mut`]: the cell is borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BorrowMutError;

impl fmt::Display for BorrowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GcCell already mutably borrowed")
    }
}

impl fmt::Display for BorrowMutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GcCell already borrowed")
    }
}

impl std::error::Error for BorrowError {}
impl std::error::Error for BorrowMutError {}

impl<T> GcCell<T> {
    /// A cell holding `value`.
    pub const fn new(value: T) -> GcCell<T> {
        GcCell {
            borrow: Cell::new(0),
            stamp: Cell::new(0),
            value: UnsafeCell::new(value),
        }
    }

    /// The contents, consuming the cell.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

/// The ways to write a cell's contents: each runs the write barrier while a heap of the thread
/// marks incrementally (rule 10 of the crate docs), so they need `T: Trace`.
impl<T: ?Sized + Trace> GcCell<T> {
    /// Borrows the contents mutably. Panics if the cell is borrowed.
    ///
    /// ```
    /// # use prologue_gc::GcCell;
    /// let cell = GcCell::new(vec![1]);
    /// cell.borrow_mut().push(2);
    /// assert_eq!(*cell.borrow(), [1, 2]);
    /// ```
    #[track_caller]
    #[inline]
    pub fn borrow_mut(&self) -> GcRefMut<'_, T> {
        match self.try_borrow_mut() {
            Ok(guard) => guard,
            Err(_) => panic!("GcCell already borrowed"),
        }
    }

    /// Borrows the contents mutably, or fails if the cell is borrowed.
    #[inline]
    pub fn try_borrow_mut(&self) -> Result<GcRefMut<'_, T>, BorrowMutError> {
        if self.borrow.get() != 0 {
            return Err(BorrowMutError);
        }
        if T::NEEDS_TRACE && barrier::active() && barrier::cell_needs_barrier(self.stamp.get()) {
            self.write_barrier();
        }
        self.borrow.set(WRITING);
        Ok(GcRefMut {
            // SAFETY: `UnsafeCell::get` never returns null.
            value: unsafe { NonNull::new_unchecked(self.value.get()) },
            borrow: &self.borrow,
            _marker: PhantomData,
        })
    }

    /// The write barrier (rule 10): greys every handle the cell holds, before the first write
    /// of this cycle can move one out, and stamps the cell.
    #[cold]
    #[inline(never)]
    fn write_barrier(&self) {
        // Read as a shared borrow: a `trace` that (against its contract) touched this cell
        // again could not get a `&mut` while we read.
        self.borrow.set(1);
        let mut tracer = Tracer::greying();
        let traced = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: no mutable borrow exists (the flag was 0), and the flag now says
            // "shared" until the trace is over.
            unsafe { &*self.value.get() }.trace(&mut tracer);
        }));
        self.borrow.set(0);
        if let Err(payload) = traced {
            std::panic::resume_unwind(payload);
        }
        self.stamp.set(barrier::epoch());
    }
}

/// Whole-value writes.
impl<T: Trace> GcCell<T> {
    /// Replaces the contents, returning the old value. Panics if the cell is borrowed.
    pub fn replace(&self, value: T) -> T {
        std::mem::replace(&mut *self.borrow_mut(), value)
    }

    /// Takes the contents, leaving `Default::default()`. Panics if the cell is borrowed.
    pub fn take(&self) -> T
    where
        T: Default,
    {
        self.replace(T::default())
    }
}

impl<T: ?Sized> GcCell<T> {
    /// Borrows the contents immutably. Panics if the cell is mutably borrowed.
    ///
    /// ```
    /// # use prologue_gc::GcCell;
    /// let cell = GcCell::new(5);
    /// let (a, b) = (cell.borrow(), cell.borrow());
    /// assert_eq!(*a + *b, 10);
    /// ```
    #[track_caller]
    pub fn borrow(&self) -> GcRef<'_, T> {
        match self.try_borrow() {
            Ok(guard) => guard,
            Err(_) => panic!("GcCell already mutably borrowed"),
        }
    }

    /// Borrows the contents immutably, or fails if the cell is mutably borrowed.
    ///
    /// ```
    /// # use prologue_gc::GcCell;
    /// let cell = GcCell::new(1);
    /// let guard = cell.borrow_mut();
    /// assert!(cell.try_borrow().is_err());
    /// drop(guard);
    /// assert!(cell.try_borrow().is_ok());
    /// ```
    pub fn try_borrow(&self) -> Result<GcRef<'_, T>, BorrowError> {
        let state = self.borrow.get();
        if state < 0 || state == BorrowFlag::MAX {
            return Err(BorrowError);
        }
        self.borrow.set(state + 1);
        Ok(GcRef {
            // SAFETY: `UnsafeCell::get` never returns null.
            value: unsafe { NonNull::new_unchecked(self.value.get()) },
            borrow: &self.borrow,
            _marker: PhantomData,
        })
    }

    /// Whether the cell is mutably borrowed right now.
    pub fn is_mutably_borrowed(&self) -> bool {
        self.borrow.get() == WRITING
    }

    /// The contents through a unique borrow of the cell (no runtime check needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

// SAFETY: visits the contents once, through a shared borrow. A mutably borrowed cell is not
// read at all: its handles then count as held from outside, which keeps their objects alive
// (rule 1 is relaxed in the safe direction: an uncounted edge only makes a target a root).
unsafe impl<T: ?Sized + Trace> Trace for GcCell<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    // Dropping the cell drops its contents; a cell left mutably borrowed (a leaked guard) is
    // not traced, which only leaks what it holds (rule 5).
    const DROP_IS_TRACE: bool = T::DROP_IS_TRACE;

    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        if T::NEEDS_TRACE && self.borrow.get() != WRITING {
            if tracer.mode == TraceMode::Count {
                if let Some(start) = tracer.epoch {
                    if barrier::written_since(self.stamp.get(), start) {
                        // Written during this incremental cycle (rule 11): what it held then
                        // was greyed, and what it holds now must look held from outside.
                        return;
                    }
                }
            }
            // SAFETY: the cell is not mutably borrowed, so no `&mut T` exists; shared borrows
            // may, and reading alongside them is fine. No user code runs while we read.
            unsafe { &*self.value.get() }.trace(tracer);
        }
    }
}

impl<T: Clone> Clone for GcCell<T> {
    /// A new cell holding a clone of the contents. Panics if the cell is mutably borrowed.
    #[track_caller]
    fn clone(&self) -> GcCell<T> {
        GcCell::new(self.borrow().clone())
    }
}

impl<T: Default> Default for GcCell<T> {
    fn default() -> GcCell<T> {
        GcCell::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for GcCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_borrow() {
            Ok(value) => f.debug_struct("GcCell").field("value", &&*value).finish(),
            Err(_) => f.write_str("GcCell { <mutably borrowed> }"),
        }
    }
}

/// A shared borrow of a [`GcCell`]'s contents (like `std::cell::Ref`).
pub struct GcRef<'a, T: ?Sized> {
    value: NonNull<T>,
    borrow: &'a Cell<BorrowFlag>,
    _marker: PhantomData<&'a T>,
}

impl<T: ?Sized> Deref for GcRef<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard holds a shared borrow, so no `&mut T` exists while it lives.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized> Drop for GcRef<'_, T> {
    fn drop(&mut self) {
        self.borrow.set(self.borrow.get() - 1);
    }
}

impl<'a, T: ?Sized> GcRef<'a, T> {
    /// Another shared borrow of the same contents.
    #[allow(clippy::should_implement_trait)]
    pub fn clone(orig: &GcRef<'a, T>) -> GcRef<'a, T> {
        let state = orig.borrow.get();
        assert!(state < BorrowFlag::MAX, "GcCell borrow count overflow");
        orig.borrow.set(state + 1);
        GcRef {
            value: orig.value,
            borrow: orig.borrow,
            _marker: PhantomData,
        }
    }

    /// A borrow of a part of the contents.
    pub fn map<U: ?Sized>(orig: GcRef<'a, T>, f: impl FnOnce(&T) -> &U) -> GcRef<'a, U> {
        let value = NonNull::from(f(&*orig));
        let borrow = orig.borrow;
        std::mem::forget(orig);
        GcRef {
            value,
            borrow,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for GcRef<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for GcRef<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A mutable borrow of a [`GcCell`]'s contents (like `std::cell::RefMut`).
pub struct GcRefMut<'a, T: ?Sized> {
    value: NonNull<T>,
    borrow: &'a Cell<BorrowFlag>,
    /// Invariant in `T`, like `&mut T`.
    _marker: PhantomData<&'a mut T>,
}

impl<T: ?Sized> Deref for GcRefMut<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the only borrow.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for GcRefMut<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the only borrow, and the collector never reads a mutably
        // borrowed cell.
        unsafe { self.value.as_mut() }
    }
}

impl<T: ?Sized> Drop for GcRefMut<'_, T> {
    fn drop(&mut self) {
        self.borrow.set(0);
    }
}

impl<'a, T: ?Sized> GcRefMut<'a, T> {
    /// A mutable borrow of a part of the contents.
    pub fn map<U: ?Sized>(
        mut orig: GcRefMut<'a, T>,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> GcRefMut<'a, U> {
        let value = NonNull::from(f(&mut *orig));
        let borrow = orig.borrow;
        std::mem::forget(orig);
        GcRefMut {
            value,
            borrow,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for GcRefMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for GcRefMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
