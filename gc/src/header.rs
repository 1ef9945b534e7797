//! The object header every heap object starts with, and the per-type vtable it points to.
//!
//! An object is a [`GcBox<T>`]: a 16-byte [`Header`] followed by the value (`#[repr(C)]`, so the
//! header is at offset 0 and a thin `NonNull<Header>` names the object whatever `T` is).
//!
//! | field        | bytes | why |
//! |--------------|------:|-----|
//! | `vtable_off` | 4 | the type-erased trace / drop / layout table, so the collector walks objects without knowing `T`: a signed offset from an anchor in this crate's static data |
//! | `handles`    | 4 | how many `Gc` handles exist (clone +1, drop -1): the root-counting design needs it |
//! | `heap_id`    | 4 | which heap owns the object, so a handle from another heap is not counted as internal |
//! | `flags`      | 4 | bits 0-7: marked, dead, value dropped, weak-registered, finalized, pending, zombie, old; bits 8-12: the size class; bits 13-31: the internal count, scratch for root discovery (how many of the handles live inside this heap's objects) |
//!
//! Unsized values (`str`, `[T]`) also store their length in one `usize` *before* the header, so
//! the collector can rebuild the fat pointer from the thin one; sized values pay nothing for it.
//!
//! Why 16 bytes and not 24 (a vtable pointer, two counts, heap id and flags): binary-trees
//! nodes (16-byte values) then take 32-byte slots, like `Box`'s malloc chunks, instead of 40,
//! and every pass of the collector and the program touches a fifth fewer cache lines. Two
//! fields paid for it:
//! - the vtable is a 32-bit offset from [`VTABLE_ANCHOR`] instead of a pointer. Vtables are
//!   statics of the program, so they lie within 2 GiB of the anchor in any binary that links
//!   this crate statically; an allocation whose vtable does not (this crate and the caller in
//!   different dynamic libraries loaded far apart) panics with a clear message rather than
//!   store a wrong offset. The vtable's address is exposed at allocation (a pointer-to-integer
//!   cast) and the pointer rebuilt from it (an integer-to-pointer cast);
//! - the internal count shares the flags word and saturates at 2^19 - 1. A saturated count
//!   can only be too low, which makes the object look held from outside: it survives one
//!   more cycle (until some of its referrers are gone), which is safe, where a count too high
//!   would free a reachable object.
//!
//! The heap id stays in the header: the count and mark passes read the target's header at
//! every edge anyway, whereas a page-header heap id would add a cache line per edge, and large
//! objects have no page to carry one. So one object costs 16 bytes of header plus its rounding
//! up to a size class (none for 16-byte values such as a binary-trees node: 32-byte objects
//! fill the 32-byte class exactly), against `Box`'s 8-byte malloc chunk header plus glibc's
//! 16-byte rounding.

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
/// Flag: a young object the release walk passed and kept (no release had brought its count
/// to zero yet): a later release that does lists it (`release.rs`). Cleared when its young
/// cycle examines or promotes it.
pub(crate) const VISITED: u32 = 1 << 5;
/// Flag: a dead object kept by a sweep because handles to it remain (counted in the heap's
/// zombies until it is freed).
pub(crate) const ZOMBIE: u32 = 1 << 6;
/// Flag: the object belongs to the old generation: it survived a cycle (or was allocated
/// old: large and finalizable objects). Young cycles neither count edges into it nor free it.
pub(crate) const OLD: u32 = 1 << 7;
/// The flags' bits from here up hold the object's size class plus one (0 for a large object),
/// so the mark can add up live bytes without a vtable call.
const CLASS_SHIFT: u32 = 8;
/// The size class field's bits (26 classes plus "large" fit in 5).
const CLASS_MASK: u32 = 0x1F << CLASS_SHIFT;
/// The flags' bits from here up hold the internal count (root discovery's scratch).
const INTERNAL_SHIFT: u32 = 13;
/// The largest internal count; counting saturates there (see the module docs).
const INTERNAL_MAX: u32 = u32::MAX >> INTERNAL_SHIFT;

/// The address every vtable is stored relative to (see the module docs).
static VTABLE_ANCHOR: u8 = 0;

/// The anchor's address.
#[inline(always)]
fn anchor() -> usize {
    &raw const VTABLE_ANCHOR as usize
}

/// `vtable` as an offset from the anchor.
///
/// # Panics
/// If the vtable lies 2 GiB or more from the anchor.
#[inline]
fn encode_vtable(vtable: &'static VTable) -> i32 {
    // A pointer-to-integer cast exposes the provenance, so `vtable()` may rebuild a pointer
    // from the address (an integer-to-pointer cast takes exposed provenance).
    let address = vtable as *const VTable as usize;
    match i32::try_from(address.wrapping_sub(anchor()) as isize) {
        Ok(offset) => offset,
        Err(_) => vtable_too_far(),
    }
}

#[cold]
#[inline(never)]
fn vtable_too_far() -> ! {
    panic!(
        "prologue-gc: a type's vtable lies 2 GiB or more from prologue-gc's static data (the \
         allocating code and prologue-gc are in dynamic libraries loaded far apart); link \
         prologue-gc statically into the code that allocates"
    )
}

/// The header in front of every heap object.
#[repr(C, align(8))]
pub(crate) struct Header {
    vtable_off: i32,
    handles: Cell<u32>,
    pub(crate) heap_id: u32,
    flags: Cell<u32>,
}

const _: () = assert!(std::mem::size_of::<Header>() == 16);

impl Header {
    /// A header for a new object of `heap_id` in size class `class` (`None`: large),
    /// holding one handle (the one `alloc` returns), with the flags `birth` (`OLD`, and
    /// `MARKED` while its heap marks incrementally; young with none).
    ///
    /// # Panics
    /// If `vtable` cannot be stored (see the module docs).
    #[inline]
    pub(crate) fn new(
        vtable: &'static VTable,
        heap_id: u32,
        class: Option<u8>,
        birth: u32,
    ) -> Header {
        let tag = class.map_or(0, |c| u32::from(c) + 1);
        Header {
            vtable_off: encode_vtable(vtable),
            handles: Cell::new(1),
            heap_id,
            flags: Cell::new(tag << CLASS_SHIFT | birth),
        }
    }

    /// The object's vtable.
    #[inline(always)]
    pub(crate) fn vtable(&self) -> &'static VTable {
        let address = anchor().wrapping_add_signed(self.vtable_off as isize);
        // SAFETY: `vtable_off` was made by `encode_vtable` from a `&'static VTable` whose
        // address it exposed, and headers are only ever written by `Header::new`; so the
        // address is that vtable's, and the exposed provenance covers it for 'static.
        unsafe { &*(address as *const VTable) }
    }

    /// Clears the internal count and makes the object old (a full cycle's root pass).
    #[inline]
    pub(crate) fn reset_internal_and_age(&self) {
        self.flags
            .set(self.flags.get() & !(INTERNAL_MAX << INTERNAL_SHIFT) | OLD);
    }

    /// The size class the object's slot belongs to, `None` for a large object.
    #[inline]
    pub(crate) fn class(&self) -> Option<u8> {
        match (self.flags.get() & CLASS_MASK) >> CLASS_SHIFT {
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
            None => unsafe { (header.vtable().layout)(this) }.layout.size(),
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

    /// The internal count (root discovery's scratch; zero between cycles).
    #[inline]
    pub(crate) fn internal(&self) -> u32 {
        self.flags.get() >> INTERNAL_SHIFT
    }

    /// One more internal reference, saturating (a count too low only keeps the object).
    #[inline]
    pub(crate) fn add_internal(&self) {
        let flags = self.flags.get();
        if flags >> INTERNAL_SHIFT != INTERNAL_MAX {
            self.flags.set(flags + (1 << INTERNAL_SHIFT));
        }
    }

    #[inline]
    pub(crate) fn reset_internal(&self) {
        self.flags
            .set(self.flags.get() & !(INTERNAL_MAX << INTERNAL_SHIFT));
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
    /// `true` when dropping the value only drops the handles `trace` visits (`Trace` rule 5):
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

#[cfg(test)]
mod tests {
    use super::*;

    fn header(class: Option<u8>, old: bool) -> Header {
        Header::new(
            SizedVTable::<u64>::VTABLE,
            7,
            class,
            if old { OLD } else { 0 },
        )
    }

    #[test]
    fn the_vtable_survives_its_offset_encoding() {
        let h = header(Some(3), false);
        assert!(std::ptr::eq(h.vtable(), SizedVTable::<u64>::VTABLE));
        let s = Header::new(STR_VTABLE, 7, None, OLD);
        assert!(std::ptr::eq(s.vtable(), STR_VTABLE));
        assert_eq!((s.vtable().type_name)(), "str");
    }

    #[test]
    fn the_internal_count_saturates_without_touching_flags_or_class() {
        let h = header(Some(25), true);
        h.set(MARKED | WEAK);
        for _ in 0..INTERNAL_MAX + 10 {
            h.add_internal();
        }
        // Saturated: a count too low only makes the object look held from outside.
        assert_eq!(h.internal(), INTERNAL_MAX);
        assert_eq!(h.class(), Some(25));
        assert!(h.has(MARKED | WEAK | OLD) && !h.has(DEAD));
        h.reset_internal();
        assert_eq!(h.internal(), 0);
        assert_eq!(h.class(), Some(25));
        assert!(h.has(MARKED) && h.has(WEAK) && h.has(OLD));
        h.clear(MARKED | WEAK);
        h.add_internal();
        h.reset_internal_and_age();
        assert_eq!((h.internal(), h.class()), (0, Some(25)));
        assert!(h.has(OLD) && !h.has(MARKED));
    }

    #[test]
    fn large_objects_have_no_class() {
        let h = header(None, true);
        h.add_internal();
        assert_eq!((h.class(), h.internal()), (None, 1));
    }
}
