//! The object space: where objects' memory comes from, the list of every object, and freeing.
//!
//! This is the one module that knows how memory is obtained. Today each object is one system
//! allocation and the space keeps a `Vec` of object headers; the size-class allocator (pages
//! per size class, a per-class free list, large objects apart) replaces this file behind the
//! same narrow interface: [`ObjectSpace::allocate`], [`ObjectSpace::insert`], iteration over
//! [`ObjectSpace::objects`], and [`ObjectSpace::free`], plus the take/restore pair the sweep
//! uses so destructors may allocate while it runs.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ptr::NonNull;

use crate::header::Header;

/// The byte freed objects are overwritten with when poisoning is on (every flag bit set, so
/// a stale header reads as dead).
pub(crate) const POISON: u8 = 0xDB;

/// Every object of one heap.
#[derive(Default)]
pub(crate) struct ObjectSpace {
    objects: Vec<NonNull<Header>>,
    /// Bytes of every allocation the space holds (live, dead-but-held, not yet swept).
    bytes: usize,
    /// Overwrite freed objects with [`POISON`] (debug builds and torture mode).
    poison: bool,
}

impl ObjectSpace {
    /// An empty space; `poison` overwrites freed objects (see [`POISON`]).
    pub(crate) fn new(poison: bool) -> ObjectSpace {
        ObjectSpace {
            poison,
            ..ObjectSpace::default()
        }
    }

    /// Fresh, uninitialised memory for one object. Aborts through `handle_alloc_error` if the
    /// system allocator fails, as `Box` does.
    pub(crate) fn allocate(&mut self, layout: Layout) -> NonNull<u8> {
        debug_assert!(layout.size() > 0, "objects always have a header");
        // SAFETY: the layout has a non-zero size (every object has a header).
        let ptr = unsafe { alloc(layout) };
        NonNull::new(ptr).unwrap_or_else(|| handle_alloc_error(layout))
    }

    /// Gives back memory from [`allocate`](Self::allocate) that never became an object (the
    /// initialisation of its value panicked).
    ///
    /// # Safety
    /// `ptr` came from `allocate(layout)` and was never passed to `insert`.
    pub(crate) unsafe fn abandon(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded to the caller.
        unsafe { dealloc(ptr.as_ptr(), layout) }
    }

    /// Adds an initialised object of `size` bytes to the space.
    pub(crate) fn insert(&mut self, header: NonNull<Header>, size: usize) {
        self.objects.push(header);
        self.bytes += size;
    }

    /// Every object, in no particular order.
    pub(crate) fn objects(&self) -> &[NonNull<Header>] {
        &self.objects
    }

    /// Bytes held by all objects.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Moves the object list out, for the sweep. Objects allocated before
    /// [`restore`](Self::restore) start a new list.
    pub(crate) fn take_objects(&mut self) -> Vec<NonNull<Header>> {
        std::mem::take(&mut self.objects)
    }

    /// Puts the swept list back, followed by the objects allocated while it was out.
    pub(crate) fn restore(&mut self, mut swept: Vec<NonNull<Header>>) {
        swept.append(&mut self.objects);
        self.objects = swept;
    }

    /// Frees one object's memory and returns how many bytes that was.
    ///
    /// # Safety
    /// `header` is an object of this space whose value has been dropped (or never needed
    /// dropping), that no handle names any more, and that the caller has removed from (or is
    /// removing from) the object list.
    pub(crate) unsafe fn free(&mut self, header: NonNull<Header>) -> usize {
        // SAFETY: the header is still allocated and its vtable tells the layout.
        let object = unsafe { (header.as_ref().vtable.layout)(header) };
        // SAFETY: the allocation starts `header_offset` bytes before the header.
        let base = unsafe { header.cast::<u8>().as_ptr().sub(object.header_offset) };
        if self.poison {
            // Debug builds and torture mode overwrite a freed object before giving it back
            // (Go's clobberfree): a use after free then reads a recognisable pattern, and the
            // header's flags read as dead, so a stale handle fails at once.
            // SAFETY: the whole allocation is ours until `dealloc`.
            unsafe { std::ptr::write_bytes(base, POISON, object.layout.size()) };
        }
        // SAFETY: `base` and the layout are exactly what `allocate` was given.
        unsafe { dealloc(base, object.layout) };
        self.bytes -= object.layout.size();
        object.layout.size()
    }

    /// Forgets every object without freeing it (the heap is dropped while handles remain:
    /// their objects must stay valid forever).
    pub(crate) fn leak_all(&mut self) -> usize {
        let leaked = self.objects.len();
        self.objects = Vec::new();
        self.bytes = 0;
        leaked
    }
}
