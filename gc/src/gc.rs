//! [`Gc<T>`]: a counted handle to one heap object.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;

use crate::header::{GcBox, Header};
use crate::trace::{Trace, Tracer};
use crate::weak::WeakGc;

/// A handle to a value in a [`Heap`](crate::Heap).
///
/// Like `Rc<T>`: cloning is cheap (one non-atomic increment), the value is shared and read
/// through `Deref`, and comparison, hashing and formatting forward to the value. Unlike `Rc`,
/// cycles are collected: the heap's collector frees every object no handle outside the heap
/// can reach, whatever cycles they form. A `Gc` can live anywhere safe Rust can put a value
/// (on the stack, in a `Vec`, in a host struct, inside other heap objects, in a pool); no
/// rooting is needed, because every handle counts itself in its object's header and the
/// collector subtracts the handles it finds inside the heap.
///
/// `Gc` is neither `Send` nor `Sync`: a heap and its handles stay on one thread.
///
/// # Dead objects
/// An object the collector found unreachable is dropped and freed. The only way to still hold
/// a handle to it is a destructor that moved a handle out during the sweep ("resurrection"):
/// the object's memory is then kept until that handle goes, and dereferencing or cloning the
/// handle panics (in release builds too); it never reads freed memory.
///
/// ```
/// use prologue_gc::{Gc, Heap};
///
/// let heap = Heap::new();
/// let a = heap.alloc(String::from("hello"));
/// let b = Gc::clone(&a);
/// assert!(Gc::ptr_eq(&a, &b));
/// assert_eq!(*a, "hello");
/// assert_eq!(a.len(), 5);
/// ```
pub struct Gc<T: ?Sized> {
    ptr: NonNull<GcBox<T>>,
    /// `Gc` is `!Send` and `!Sync`: the handle count is not atomic.
    _not_send: PhantomData<*const ()>,
}

impl<T: ?Sized> Gc<T> {
    /// Wraps a pointer that owns one handle count.
    ///
    /// # Safety
    /// `ptr` points to a live object whose handle count already includes this handle.
    #[inline]
    pub(crate) unsafe fn from_counted(ptr: NonNull<GcBox<T>>) -> Gc<T> {
        Gc {
            ptr,
            _not_send: PhantomData,
        }
    }

    #[inline]
    pub(crate) fn header_ptr(&self) -> NonNull<Header> {
        self.ptr.cast()
    }

    #[inline]
    pub(crate) fn box_ptr(&self) -> NonNull<GcBox<T>> {
        self.ptr
    }

    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a handle keeps its object's memory allocated (the collector frees only
        // objects whose handle count is zero).
        unsafe { self.header_ptr().as_ref() }
    }

    /// Whether both handles name the same object.
    ///
    /// ```
    /// # use prologue_gc::{Gc, Heap};
    /// let heap = Heap::new();
    /// let a = heap.alloc(1);
    /// let b = heap.alloc(1);
    /// assert!(Gc::ptr_eq(&a, &a.clone()));
    /// assert!(!Gc::ptr_eq(&a, &b));
    /// assert_eq!(a, b); // `==` compares the values
    /// ```
    #[inline]
    pub fn ptr_eq(a: &Gc<T>, b: &Gc<T>) -> bool {
        a.header_ptr() == b.header_ptr()
    }

    /// A weak handle to the same object: it does not keep the object alive, and
    /// [`WeakGc::upgrade`] returns `None` once the collector has swept it.
    ///
    /// ```
    /// # use prologue_gc::{Gc, Heap};
    /// let heap = Heap::new();
    /// let strong = heap.alloc(7);
    /// let weak = Gc::downgrade(&strong);
    /// assert_eq!(weak.upgrade().as_deref(), Some(&7));
    /// drop(strong);
    /// heap.collect();
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(this: &Gc<T>) -> WeakGc<T> {
        WeakGc::new(this)
    }

    /// A raw pointer to the value (valid while some handle to the object exists and the
    /// object is not dead).
    #[inline]
    pub fn as_ptr(this: &Gc<T>) -> *const T {
        // SAFETY: the box is allocated while this handle exists; taking a field's address does
        // not read it.
        unsafe { &raw const (*this.ptr.as_ptr()).value }
    }

    /// Whether the collector has swept this object (only possible for a handle a destructor
    /// resurrected). Dereferencing a dead handle panics.
    #[inline]
    pub fn is_dead(this: &Gc<T>) -> bool {
        this.header().is_dead()
    }

    /// How many `Gc` handles to this object exist, inside the heap and outside.
    #[inline]
    pub fn handle_count(this: &Gc<T>) -> usize {
        this.header().handles() as usize
    }

    /// The value, or `None` if the object is dead (see [`Gc::is_dead`]).
    #[inline]
    pub fn try_get(this: &Gc<T>) -> Option<&T> {
        if this.header().is_dead() {
            None
        } else {
            // SAFETY: the object is allocated and its value not dropped (not dead); the
            // reference lives no longer than the handle that keeps it allocated.
            Some(unsafe { &(*this.ptr.as_ptr()).value })
        }
    }
}

#[cold]
#[inline(never)]
pub(crate) fn dead_object(what: &str, type_name: &str) -> ! {
    panic!(
        "prologue-gc: {what} a Gc<{type_name}> whose object was already swept by the collector \
         (a handle moved out by a destructor during the sweep, or reached from one)"
    )
}

impl<T: ?Sized> Deref for Gc<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        let header = self.header();
        if header.is_dead() {
            dead_object("dereferenced", (header.vtable().type_name)());
        }
        // SAFETY: the object is allocated (this handle is counted) and its value is not dropped
        // (it is not dead); the returned reference borrows `self`, so it cannot outlive it.
        unsafe { &(*self.ptr.as_ptr()).value }
    }
}

impl<T: ?Sized> Clone for Gc<T> {
    #[inline]
    fn clone(&self) -> Gc<T> {
        let header = self.header();
        if header.is_dead() {
            dead_object("cloned", (header.vtable().type_name)());
        }
        header.inc_handles();
        if crate::barrier::active() {
            // Rule 9: a new handle may leave for a place root discovery has not seen.
            crate::barrier::on_new_handle(self.header_ptr());
        }
        // SAFETY: the count now includes the new handle.
        unsafe { Gc::from_counted(self.ptr) }
    }
}

impl<T: ?Sized> Drop for Gc<T> {
    #[inline]
    fn drop(&mut self) {
        // Only the count changes: the object is freed by a later sweep if nothing reaches it.
        self.header().dec_handles();
    }
}

// SAFETY: a handle is one edge; `Tracer::edge` counts or marks it (rule 1).
unsafe impl<T: ?Sized> Trace for Gc<T> {
    // Dropping a handle is exactly decrementing its count (rule 5).
    const DROP_IS_TRACE: bool = true;

    #[inline(always)]
    fn trace(&self, tracer: &mut Tracer) {
        tracer.edge(self.header_ptr());
    }
}

impl<T: ?Sized> AsRef<T> for Gc<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: ?Sized> Borrow<T> for Gc<T> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Gc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for Gc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized> fmt::Pointer for Gc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&Gc::as_ptr(self), f)
    }
}

impl<T: ?Sized + PartialEq> PartialEq for Gc<T> {
    #[inline]
    fn eq(&self, other: &Gc<T>) -> bool {
        **self == **other
    }
}

impl<T: ?Sized + Eq> Eq for Gc<T> {}

impl<T: ?Sized + PartialOrd> PartialOrd for Gc<T> {
    #[inline]
    fn partial_cmp(&self, other: &Gc<T>) -> Option<Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: ?Sized + Ord> Ord for Gc<T> {
    #[inline]
    fn cmp(&self, other: &Gc<T>) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: ?Sized + Hash> Hash for Gc<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}
