//! [`GcStr`] and [`GcSlice<T>`]: one-word handles to strings and slices.
//!
//! A `Gc<str>` or `Gc<[T]>` is a fat pointer (address and length, 16 bytes). Every unsized
//! object already stores its length in the `usize` right before its header (`header.rs`,
//! `slice_object_layout`), so a handle can leave the length out and read it on use: one word,
//! which lets an enum of handles (an interpreter's value type) stay two words. A thin handle
//! is the same count in the same header as a `Gc`: converting either way is free, and the
//! collector cannot tell them apart (rules 1, 5 and 9 of the crate docs hold for it as for
//! `Gc`, by the same code).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;

use crate::gc::{dead_object, Gc};
use crate::header::{slice_len, GcBox, Header};
use crate::trace::{Trace, Tracer};

/// The part the two handle types share: one counted pointer to an unsized object's header.
struct ThinHandle {
    header: NonNull<Header>,
    /// `!Send` and `!Sync`, as `Gc`: the handle count is not atomic.
    _not_send: PhantomData<*const ()>,
}

impl ThinHandle {
    /// Takes over the count of `gc`, which names an unsized object (with a length prefix).
    #[inline]
    fn from_gc<T: ?Sized>(gc: Gc<T>) -> ThinHandle {
        let gc = ManuallyDrop::new(gc);
        ThinHandle {
            header: gc.header_ptr(),
            _not_send: PhantomData,
        }
    }

    #[inline]
    fn header(&self) -> &Header {
        // SAFETY: a counted handle keeps its object's memory allocated (rule 5).
        unsafe { self.header.as_ref() }
    }

    /// The object's header and length prefix, dead or alive.
    #[inline]
    fn parts(&self) -> (NonNull<Header>, usize) {
        // SAFETY: both handle types are made only from `Gc<str>` or `Gc<[T]>`, whose objects
        // are allocated with `slice_object_layout` and carry the prefix, which stays in place
        // while a handle keeps the memory (a zombie's value is dropped, its prefix is not).
        (self.header, unsafe { slice_len(self.header) })
    }

    /// The header and length prefix of a live object; panics if the object is dead.
    #[inline]
    fn live(&self) -> (NonNull<Header>, usize) {
        let header = self.header();
        if header.is_dead() {
            dead_object("dereferenced", (header.vtable().type_name)());
        }
        self.parts()
    }
}

impl Clone for ThinHandle {
    #[inline]
    fn clone(&self) -> ThinHandle {
        let header = self.header();
        if header.is_dead() {
            dead_object("cloned", (header.vtable().type_name)());
        }
        header.inc_handles();
        if crate::barrier::active() {
            // Rule 9: a new handle may leave for a place root discovery has not seen.
            crate::barrier::on_new_handle(self.header);
        }
        ThinHandle {
            header: self.header,
            _not_send: PhantomData,
        }
    }
}

impl Drop for ThinHandle {
    #[inline]
    fn drop(&mut self) {
        // Only the count changes, as for `Gc`.
        self.header().dec_handles();
    }
}

/// A one-word handle to a string in a [`Heap`](crate::Heap): a [`Gc<str>`] that reads its
/// length from the object instead of carrying it.
///
/// It behaves as `Gc<str>` in every way (cloning counts, dropping uncounts, a dead object
/// panics on use, comparison and hashing forward to the text) and converts to and from one
/// for free. Reaching the text costs one extra load, of the length next to the header. Use it
/// where size matters: a field of a small enum, or of many objects.
///
/// ```
/// use prologue_gc::{Gc, GcStr, Heap};
///
/// let heap = Heap::new();
/// let s = GcStr::from(heap.alloc_str("hello"));
/// assert_eq!(std::mem::size_of::<GcStr>(), std::mem::size_of::<usize>());
/// assert_eq!(&*s, "hello");
/// let fat: Gc<str> = s.clone().into_gc();
/// assert!(GcStr::ptr_eq(&s, &GcStr::from(fat)));
/// ```
#[derive(Clone)]
pub struct GcStr {
    handle: ThinHandle,
}

impl GcStr {
    /// The `Gc<str>` for the same object, taking over this handle's count (a dead object's
    /// handle converts too, and stays dead).
    #[inline]
    pub fn into_gc(self) -> Gc<str> {
        let this = ManuallyDrop::new(self);
        let (header, len) = this.handle.parts();
        let fat = std::ptr::slice_from_raw_parts_mut(header.as_ptr().cast::<u8>(), len)
            as *mut GcBox<str>;
        // SAFETY: non-null (from `header`); the count of the forgotten thin handle moves to
        // the new one.
        unsafe { Gc::from_counted(NonNull::new_unchecked(fat)) }
    }

    /// Whether both handles name the same object.
    #[inline]
    pub fn ptr_eq(a: &GcStr, b: &GcStr) -> bool {
        a.handle.header == b.handle.header
    }

    /// Whether the collector has swept this object (see [`Gc::is_dead`]).
    #[inline]
    pub fn is_dead(this: &GcStr) -> bool {
        this.handle.header().is_dead()
    }
}

impl From<Gc<str>> for GcStr {
    #[inline]
    fn from(gc: Gc<str>) -> GcStr {
        GcStr {
            handle: ThinHandle::from_gc(gc),
        }
    }
}

impl Deref for GcStr {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        let (header, len) = self.handle.live();
        let fat =
            std::ptr::slice_from_raw_parts(header.as_ptr().cast::<u8>(), len) as *const GcBox<str>;
        // SAFETY: a live `str` object of `len` bytes (the prefix); the reference borrows the
        // handle that keeps it allocated.
        unsafe { &(*fat).value }
    }
}

/// A one-word handle to a slice in a [`Heap`](crate::Heap): a [`Gc<[T]>`](Gc) that reads its
/// length from the object instead of carrying it.
///
/// It behaves as `Gc<[T]>` in every way and converts to and from one for free; see
/// [`GcStr`] for the trade.
///
/// ```
/// use prologue_gc::{Gc, GcSlice, Heap};
///
/// let heap = Heap::new();
/// let xs = GcSlice::from(heap.alloc_slice(&[1, 2, 3]));
/// assert_eq!(std::mem::size_of::<GcSlice<i32>>(), std::mem::size_of::<usize>());
/// assert_eq!(&*xs, &[1, 2, 3]);
/// assert_eq!(xs.len(), 3);
/// ```
pub struct GcSlice<T> {
    handle: ThinHandle,
    _marker: PhantomData<Gc<[T]>>,
}

impl<T> GcSlice<T> {
    /// The `Gc<[T]>` for the same object, taking over this handle's count (a dead object's
    /// handle converts too, and stays dead).
    #[inline]
    pub fn into_gc(self) -> Gc<[T]> {
        let this = ManuallyDrop::new(self);
        let (header, len) = this.handle.parts();
        let fat =
            std::ptr::slice_from_raw_parts_mut(header.as_ptr().cast::<T>(), len) as *mut GcBox<[T]>;
        // SAFETY: non-null (from `header`); the count of the forgotten thin handle moves to
        // the new one.
        unsafe { Gc::from_counted(NonNull::new_unchecked(fat)) }
    }

    /// Whether both handles name the same object.
    #[inline]
    pub fn ptr_eq(a: &GcSlice<T>, b: &GcSlice<T>) -> bool {
        a.handle.header == b.handle.header
    }

    /// Whether the collector has swept this object (see [`Gc::is_dead`]).
    #[inline]
    pub fn is_dead(this: &GcSlice<T>) -> bool {
        this.handle.header().is_dead()
    }
}

impl<T> Clone for GcSlice<T> {
    #[inline]
    fn clone(&self) -> GcSlice<T> {
        GcSlice {
            handle: self.handle.clone(),
            _marker: PhantomData,
        }
    }
}

impl<T> From<Gc<[T]>> for GcSlice<T> {
    #[inline]
    fn from(gc: Gc<[T]>) -> GcSlice<T> {
        GcSlice {
            handle: ThinHandle::from_gc(gc),
            _marker: PhantomData,
        }
    }
}

impl<T> Deref for GcSlice<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        let (header, len) = self.handle.live();
        let fat =
            std::ptr::slice_from_raw_parts(header.as_ptr().cast::<T>(), len) as *const GcBox<[T]>;
        // SAFETY: a live `[T]` object of `len` elements (the prefix); the reference borrows
        // the handle that keeps it allocated.
        unsafe { &(*fat).value }
    }
}

// SAFETY: a thin handle is one edge, counted in its object's header exactly as a `Gc`
// (rule 1); dropping it is exactly decrementing that count (rule 5).
unsafe impl Trace for GcStr {
    const DROP_IS_TRACE: bool = true;

    #[inline(always)]
    fn trace(&self, tracer: &mut Tracer) {
        tracer.edge(self.handle.header);
    }
}

// SAFETY: as for `GcStr`.
unsafe impl<T> Trace for GcSlice<T> {
    const DROP_IS_TRACE: bool = true;

    #[inline(always)]
    fn trace(&self, tracer: &mut Tracer) {
        tracer.edge(self.handle.header);
    }
}

/// Comparison, hashing and formatting forward to the value, as for `Gc`.
macro_rules! forward_value_traits {
    ($ty:ty, $($generics:tt)*) => {
        impl<$($generics)*> PartialEq for $ty where <$ty as Deref>::Target: PartialEq {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                **self == **other
            }
        }

        impl<$($generics)*> Eq for $ty where <$ty as Deref>::Target: Eq {}

        // Forwarding keeps `[f64]`'s partial order partial; for `str` it is the same order.
        #[allow(clippy::non_canonical_partial_ord_impl)]
        impl<$($generics)*> PartialOrd for $ty where <$ty as Deref>::Target: PartialOrd {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                (**self).partial_cmp(&**other)
            }
        }

        impl<$($generics)*> Ord for $ty where <$ty as Deref>::Target: Ord {
            #[inline]
            fn cmp(&self, other: &Self) -> Ordering {
                (**self).cmp(&**other)
            }
        }

        impl<$($generics)*> Hash for $ty where <$ty as Deref>::Target: Hash {
            fn hash<H: Hasher>(&self, state: &mut H) {
                (**self).hash(state);
            }
        }

        impl<$($generics)*> fmt::Debug for $ty where <$ty as Deref>::Target: fmt::Debug {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<$($generics)*> AsRef<<$ty as Deref>::Target> for $ty {
            fn as_ref(&self) -> &<$ty as Deref>::Target {
                self
            }
        }
    };
}

forward_value_traits!(GcStr,);
forward_value_traits!(GcSlice<T>, T);

impl fmt::Display for GcStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl From<GcStr> for Gc<str> {
    #[inline]
    fn from(s: GcStr) -> Gc<str> {
        s.into_gc()
    }
}

impl<T> From<GcSlice<T>> for Gc<[T]> {
    #[inline]
    fn from(s: GcSlice<T>) -> Gc<[T]> {
        s.into_gc()
    }
}
