//! The object header every heap object starts with, and the per-type vtable it points to.
//!
//! An object is a [`GcBox<T>`]: a 24-byte [`Header`] followed by the value (`#[repr(C)]`, so the
//! header is at offset 0 and a thin `NonNull<Header>` names the object whatever `T` is).
//!
//! | field      | bytes | why |
//! |------------|------:|-----|
//! | `vtable`   | 8 | type-erased trace / drop / layout, so the collector walks objects without knowing `T` |
//! | `handles`  | 4 | how many `Gc` handles exist (clone +1, drop -1): the root-counting design needs it |
//! | `internal` | 4 | scratch for root discovery: how many of those handles live inside this heap's objects |
//! | `heap_id`  | 4 | which heap owns the object, so a handle from another heap is not counted as internal |
//! | `flags`    | 4 | marked, dead, value dropped, weak-registered, finalized, pending, zombie, old; the size class in the high bits |
//!
//! Unsized values (`str`, `[T]`) also store their length in one `usize` *before* the header, so
//! the collector can rebuild the fat pointer from the thin one; sized values pay nothing for it.
//!
//! Why the header did not shrink when the pages came: the count and mark passes read the
//! target's header at every edge anyway (its handle count, or its mark bit), so keeping the
//! heap id and the mark bit there costs no extra cache line, whereas a page-header heap id or a
//! mark bitmap would add one per edge; and large objects have no page to carry them. Both the
//! handle count and the internal count must be per object. So one object costs 24 bytes of
//! header plus its rounding up to a size class (none for 16-byte values such as a binary-trees
//! node: 40-byte objects fill the 40-byte class exactly), against `Box`'s 8-byte malloc chunk
//! header plus glibc's 16-byte rounding.

use std::alloc::Layout;
use std::cell::Cell;
use std::ptr::NonNull;

use crate::trace::{Trace, Tracer};

/// Flag: reached by the current cycle's mark (cleared by the sweep).
pub(crate) const MARKED: u32 = 1 << 0;
/// Flag: the sweep found the object unreachable; its value is (being) dropped and it is never
/// traced again. Its memory lives on while handles to it remain (a "zombie").
pub(crate) const DEAD: u32 = 1 << 1;
/// Flag: a weak slot for this object exists in the heap's weak table.
pub(crate) const WEAK: u32 = 1 << 2;
/// Flag: the value has already been dropped (set right before its destructor runs).
pub(crate) const VALUE_DROPPED: u32 = 1 << 3;
/// Flag: the object's finalizer has run (it runs at most once).
pub(crate) const FINALIZED: u32 = 1 << 4;
/// Flag: the slot is taken but the value is still being built (a slice whose elements are
/// being cloned); the collector neither traces nor sweeps it.
pub(crate) const PENDING: u32 = 1 << 5;
/// Flag: a dead object kept by a sweep because handles to it remain (counted in the heap's
/// zombies until it is freed).
pub(crate) const ZOMBIE: u32 = 1 << 6;
/// Flag: the object belongs to the old generation: it survived a cycle (or was allocated
/// old: large and finalizable objects). Young cycles neither count edges into it nor free it.
pub(crate) const OLD: u32 = 1 << 7;
/// The flags' bits from here up hold the object's size class plus one (0 for a large object),
/// so the mark can add up live bytes without a vtable call.
const CLASS_SHIFT: u32 = 8;

/// The header in front of every heap object.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) vtable: &'static VTable,
    handles: Cell<u32>,
    internal: Cell<u32>,
    pub(crate) heap_id: u32,
    flags: Cell<u32>,
}

impl Header {
    /// A header for a new object of `heap_id` in size class `class` (`None`: large),
    /// holding one handle (the one `alloc` returns), young unless `old`.
    #[inline]
    pub(crate) fn new(
        vtable: &'static VTable,
        heap_id: u32,
        class: Option<u8>,
        old: bool,
    ) -> Header {
        let tag = class.map_or(0, |c| u32::from(c) + 1);
        Header {
            vtable,
            handles: Cell::new(1),
            internal: Cell::new(0),
            heap_id,
            flags: Cell::new(tag << CLASS_SHIFT | if old { OLD } else { 0 }),
        }
    }

    /// Clears the internal count and makes the object old (a full cycle's root pass).
    #[inline]
    pub(crate) fn reset_internal_and_age(&self) {
        self.internal.set(0);
        self.flags.set(self.flags.get() | OLD);
    }

    /// The size class the object's slot belongs to, `None` for a large object.
    #[inline]
    pub(crate) fn class(&self) -> Option<u8> {
        match self.flags.get() >> CLASS_SHIFT {
            0 => None,
            tag => Some((tag - 1) as u8),
        }
    }

    /// Bytes the object occupies in the heap: its slot, or a large object's allocation.
    ///
    /// # Safety
    /// `this` is the header of an allocated object (its vtable matches the allocation).
    #[inline]
    pub(crate) unsafe fn footprint(this: NonNull<Header>) -> usize {
        // SAFETY: forwarded to the caller.
        let header = unsafe { this.as_ref() };
        match header.class() {
            Some(class) => crate::size_class::CLASS_SIZES[class as usize] as usize,
            // SAFETY: forwarded to the caller.
            None => unsafe { (header.vtable.layout)(this) }.layout.size(),
        }
    }

    #[inline]
    pub(crate) fn handles(&self) -> u32 {
        self.handles.get()
    }

    /// One more handle. Overflow aborts, as `Rc` does: wrapping would let the count reach zero
    /// while handles remain.
    #[inline]
    pub(crate) fn inc_handles(&self) {
        let n = self.handles.get();
        if n == u32::MAX {
            std::process::abort();
        }
        self.handles.set(n + 1);
    }

    #[inline]
    pub(crate) fn dec_handles(&self) {
        let n = self.handles.get();
        debug_assert!(n > 0, "prologue-gc: handle count underflow");
        self.handles.set(n.wrapping_sub(1));
    }

    #[inline]
    pub(crate) fn internal(&self) -> u32 {
        self.internal.get()
    }

    #[inline]
    pub(crate) fn add_internal(&self) {
        self.internal.set(self.internal.get().saturating_add(1));
    }

    #[inline]
    pub(crate) fn reset_internal(&self) {
        self.internal.set(0);
    }

    #[inline]
    pub(crate) fn has(&self, flag: u32) -> bool {
        self.flags.get() & flag != 0
    }

    #[inline]
    pub(crate) fn set(&self, flag: u32) {
        self.flags.set(self.flags.get() | flag);
    }

    #[inline]
    pub(crate) fn clear(&self, flag: u32) {
        self.flags.set(self.flags.get() & !flag);
    }

    #[inline]
    pub(crate) fn is_dead(&self) -> bool {
        self.has(DEAD)
    }
}

/// How one object's memory was allocated: the layout and where the header sits in it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ObjectLayout {
    pub(crate) layout: Layout,
    /// Offset of the header from the start of the allocation (0 for sized values; the length
    /// prefix's size for unsized ones).
    pub(crate) header_offset: usize,
}

/// What the collector needs to handle an object without knowing its type.
pub(crate) struct VTable {
    /// Traces the value's handles. Must only be called on an object whose value is not dropped.
    pub(crate) trace: unsafe fn(NonNull<Header>, &mut Tracer),
    /// Drops the value in place. Called at most once per object.
    pub(crate) drop_value: unsafe fn(NonNull<Header>),
    /// The allocation's layout.
    pub(crate) layout: unsafe fn(NonNull<Header>) -> ObjectLayout,
    /// `false` when the value can hold no handle: the collector never calls `trace` on it.
    pub(crate) needs_trace: bool,
    /// `false` when dropping the value does nothing: the sweep skips `drop_value`.
    pub(crate) needs_drop: bool,
    /// `true` when dropping the value only drops the handles `trace` visits (`Trace` rule 7):
    /// the release step traces it instead of dropping it.
    pub(crate) drop_is_trace: bool,
    /// The finalizer of values allocated with `Heap::alloc_with_finalizer`.
    pub(crate) finalize: Option<unsafe fn(NonNull<Header>)>,
    /// The value's type, for diagnostics.
    pub(crate) type_name: fn() -> &'static str,
}

/// An object: header then value.
#[repr(C)]
pub(crate) struct GcBox<T: ?Sized> {
    pub(crate) header: Header,
    pub(crate) value: T,
}

/// Vtables for sized values.
pub(crate) struct SizedVTable<T>(std::marker::PhantomData<T>);

impl<T: Trace> SizedVTable<T> {
    pub(crate) const VTABLE: &'static VTable = &VTable {
        trace: Self::trace,
        drop_value: Self::drop_value,
        layout: Self::layout,
        needs_trace: T::NEEDS_TRACE,
        needs_drop: std::mem::needs_drop::<T>(),
        drop_is_trace: T::DROP_IS_TRACE,
        finalize: None,
        type_name: std::any::type_name::<T>,
    };

    pub(crate) unsafe fn trace(header: NonNull<Header>, tracer: &mut Tracer) {
        // SAFETY: the caller passes the header of a live `GcBox<T>` whose value is not dropped;
        // the header is at offset 0 of the `#[repr(C)]` box.
        let value = unsafe { &(*header.cast::<GcBox<T>>().as_ptr()).value };
        value.trace(tracer);
    }

    pub(crate) unsafe fn drop_value(header: NonNull<Header>) {
        // SAFETY: the caller passes a `GcBox<T>` whose value is initialised and not yet dropped,
        // and never touches the value afterwards.
        unsafe { std::ptr::drop_in_place(&raw mut (*header.cast::<GcBox<T>>().as_ptr()).value) }
    }

    pub(crate) unsafe fn layout(_: NonNull<Header>) -> ObjectLayout {
        ObjectLayout {
            layout: Layout::new::<GcBox<T>>(),
            header_offset: 0,
        }
    }
}

/// Layout of an unsized object: a `usize` length prefix, then a `GcBox<[E]>` (or `GcBox<str>`,
/// which has the same layout as `GcBox<[u8]>`). Returns the layout and the header's offset.
pub(crate) fn slice_object_layout<E>(len: usize) -> Option<ObjectLayout> {
    let boxed = Layout::new::<Header>()
        .extend(Layout::array::<E>(len).ok()?)
        .ok()?
        .0
        .pad_to_align();
    let (layout, header_offset) = Layout::new::<usize>().extend(boxed).ok()?;
    Some(ObjectLayout {
        layout: layout.pad_to_align(),
        header_offset,
    })
}

/// Reads the length prefix of an unsized object.
///
/// # Safety
/// `header` must be the header of an object allocated with [`slice_object_layout`].
#[inline]
pub(crate) unsafe fn slice_len(header: NonNull<Header>) -> usize {
    // SAFETY: unsized objects store their length in the `usize` right before the header; the
    // header's alignment (8) is at least `usize`'s, so the prefix is aligned.
    unsafe { header.cast::<usize>().as_ptr().sub(1).read() }
}

/// Vtables for `[E]` values.
pub(crate) struct SliceVTable<E>(std::marker::PhantomData<E>);

impl<E: Trace> SliceVTable<E> {
    pub(crate) const VTABLE: &'static VTable = &VTable {
        trace: Self::trace,
        drop_value: Self::drop_value,
        layout: Self::layout,
        needs_trace: E::NEEDS_TRACE,
        needs_drop: std::mem::needs_drop::<E>(),
        drop_is_trace: <[E]>::DROP_IS_TRACE,
        finalize: None,
        type_name: std::any::type_name::<[E]>,
    };

    /// The fat pointer to the box.
    ///
    /// # Safety
    /// `header` is the header of a `[E]` object.
    pub(crate) unsafe fn boxed(header: NonNull<Header>) -> *mut GcBox<[E]> {
        // SAFETY: forwarded to the caller.
        let len = unsafe { slice_len(header) };
        std::ptr::slice_from_raw_parts_mut(header.as_ptr().cast::<E>(), len) as *mut GcBox<[E]>
    }

    /// The fat pointer to a box of `len` elements whose header is at `header` (the elements
    /// need not be initialised; nothing is read).
    pub(crate) fn boxed_uninit(header: NonNull<Header>, len: usize) -> *mut GcBox<[E]> {
        std::ptr::slice_from_raw_parts_mut(header.as_ptr().cast::<E>(), len) as *mut GcBox<[E]>
    }

    unsafe fn trace(header: NonNull<Header>, tracer: &mut Tracer) {
        // SAFETY: the caller passes a live `[E]` object whose elements are initialised.
        let value = unsafe { &(*Self::boxed(header)).value };
        value.trace(tracer);
    }

    unsafe fn drop_value(header: NonNull<Header>) {
        // SAFETY: the elements are initialised and dropped exactly once (caller's contract).
        unsafe { std::ptr::drop_in_place(&raw mut (*Self::boxed(header)).value) }
    }

    unsafe fn layout(header: NonNull<Header>) -> ObjectLayout {
        // SAFETY: the caller passes an object allocated with `slice_object_layout::<E>`.
        let len = unsafe { slice_len(header) };
        slice_object_layout::<E>(len).expect("layout was valid at allocation")
    }
}

/// The vtable for `str` values (no handles, nothing to drop).
pub(crate) const STR_VTABLE: &VTable = &VTable {
    trace: str_trace,
    drop_value: str_drop,
    layout: str_layout,
    needs_trace: false,
    needs_drop: false,
    drop_is_trace: true,
    finalize: None,
    type_name: || "str",
};

unsafe fn str_trace(_: NonNull<Header>, _: &mut Tracer) {}

unsafe fn str_drop(_: NonNull<Header>) {}

unsafe fn str_layout(header: NonNull<Header>) -> ObjectLayout {
    // SAFETY: the caller passes an object allocated with `slice_object_layout::<u8>`.
    let len = unsafe { slice_len(header) };
    slice_object_layout::<u8>(len).expect("layout was valid at allocation")
}
