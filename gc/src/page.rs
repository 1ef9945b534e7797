//! One page of the small-object allocator: 64 KiB of equal slots and a bitmap of the taken ones.
//!
//! The page's metadata lives in a side table (the space's `Vec<Page>`), not in the page: the
//! collector's passes walk the bitmaps, which for a full page are 43 words, and touch a slot only
//! when it holds an object. A slot's bit is set from allocation until the sweep frees it, so
//! allocation is a bit scan (`!word`, trailing zeros) from a cursor, with no free list threaded
//! through freed memory: freed slots are never written after the poisoning, which keeps them
//! untouched for memcheck's client requests and keeps the sweep from dirtying dead cache lines.
//!
//! Pages are 64 KiB-aligned, so the page of an object is found by masking its address: the
//! page's first 8 bytes hold its index in the space's table (the young generation's sweep,
//! which walks a list of objects rather than pages, finds their slots that way).

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ptr::NonNull;

use crate::header::Header;
use crate::size_class::CLASS_SIZES;

/// Bytes per page (and the pages' alignment).
pub(crate) const PAGE_SIZE: usize = 64 << 10;

/// Bytes at the start of a page before its first slot: the page's index.
pub(crate) const PAGE_PREFIX: usize = 8;

/// Bitmap words per page: enough for the smallest class.
const WORDS: usize = ((PAGE_SIZE - PAGE_PREFIX) / CLASS_SIZES[0] as usize).div_ceil(64);

/// Whether a page has been swept since the last cycle's mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SweepState {
    /// Swept (or new): unmarked objects in it are new, not garbage; it may be allocated into.
    Swept,
    /// Marked by the last cycle but not swept yet: its unmarked objects are garbage.
    Unswept,
    /// Being swept right now (destructors running): neither allocated into nor swept again.
    Sweeping,
}

/// One page's metadata.
pub(crate) struct Page {
    base: NonNull<u8>,
    slot_size: u32,
    slots: u32,
    /// Taken slots.
    used: u32,
    /// The first bitmap word that may have a free slot.
    cursor: u32,
    /// `ceil(2^32 / slot_size)`: `offset * this >> 32` is `offset / slot_size` for every
    /// offset in a page (offsets stay below 2^16, so the rounding never shows), without a
    /// division.
    slot_reciprocal: u64,
    /// Index into `CLASS_SIZES`.
    class: u8,
    /// Whether objects here carry a length prefix (`str`, slices): the header then sits 8 bytes
    /// into the slot.
    prefixed: bool,
    pub(crate) state: SweepState,
    /// Whether the page is its class's current page or in its available list.
    pub(crate) listed: bool,
    /// Taken slots; the bits past `slots` are set so allocation never hands them out.
    bits: [u64; WORDS],
}

impl Page {
    /// A fresh page from the system allocator, at index `index` of the space's table.
    pub(crate) fn new(class: u8, prefixed: bool, index: u32) -> Page {
        let layout = Page::layout();
        // SAFETY: the layout has a non-zero size.
        let base =
            NonNull::new(unsafe { alloc(layout) }).unwrap_or_else(|| handle_alloc_error(layout));
        let mut page = Page {
            base,
            slot_size: 0,
            slot_reciprocal: 0,
            slots: 0,
            used: 0,
            cursor: 0,
            class: 0,
            prefixed: false,
            state: SweepState::Swept,
            listed: false,
            bits: [0; WORDS],
        };
        page.format(class, prefixed);
        page.set_index(index);
        page
    }

    /// Records the page's index in the space's table in the page itself.
    pub(crate) fn set_index(&mut self, index: u32) {
        // SAFETY: the first `PAGE_PREFIX` bytes of the page are never a slot; the page is
        // 64 KiB-aligned, so the `usize` is aligned.
        unsafe { self.base.cast::<usize>().write(index as usize) }
    }

    /// The index (in the space's table) of the page holding `ptr`.
    ///
    /// # Safety
    /// `ptr` points into a slot of a live page.
    #[inline]
    pub(crate) unsafe fn index_of(ptr: *const u8) -> u32 {
        let base = (ptr as usize & !(PAGE_SIZE - 1)) as *const usize;
        // SAFETY: the caller's pointer is inside a page, whose first word is its index.
        unsafe { base.read() as u32 }
    }

    fn layout() -> Layout {
        Layout::from_size_align(PAGE_SIZE, PAGE_SIZE).expect("valid page layout")
    }

    /// Makes an empty page hold slots of `class`.
    pub(crate) fn format(&mut self, class: u8, prefixed: bool) {
        debug_assert_eq!(self.used, 0, "only empty pages change class");
        let slot_size = CLASS_SIZES[class as usize];
        let slots = (PAGE_SIZE - PAGE_PREFIX) as u32 / slot_size;
        self.slot_size = slot_size;
        self.slot_reciprocal = (1u64 << 32).div_ceil(u64::from(slot_size));
        self.slots = slots;
        self.class = class;
        self.prefixed = prefixed;
        self.cursor = 0;
        self.state = SweepState::Swept;
        // SAFETY: the slots area lies inside the page.
        let slots_start = unsafe { self.base.as_ptr().add(PAGE_PREFIX) };
        crate::valgrind::mark_no_access(slots_start, PAGE_SIZE - PAGE_PREFIX);
        for (w, word) in self.bits.iter_mut().enumerate() {
            let first = w as u32 * 64;
            *word = if first >= slots {
                !0
            } else if first + 64 > slots {
                !0 << (slots - first)
            } else {
                0
            };
        }
    }

    /// Gives the page's memory back to the system allocator.
    ///
    /// # Safety
    /// No object lives in the page and nothing points into it any more.
    pub(crate) unsafe fn release(self) {
        debug_assert_eq!(self.used, 0);
        crate::valgrind::mark_undefined(self.base.as_ptr(), PAGE_SIZE);
        // SAFETY: allocated in `new` with this layout; the caller guarantees nothing uses it.
        unsafe { dealloc(self.base.as_ptr(), Page::layout()) }
    }

    #[inline]
    pub(crate) fn class(&self) -> u8 {
        self.class
    }

    #[inline]
    pub(crate) fn prefixed(&self) -> bool {
        self.prefixed
    }

    #[inline]
    pub(crate) fn slot_size(&self) -> usize {
        self.slot_size as usize
    }

    #[inline]
    pub(crate) fn used(&self) -> u32 {
        self.used
    }

    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.used == self.slots
    }

    /// Takes a free slot and returns its index.
    #[inline]
    pub(crate) fn take_slot(&mut self) -> Option<u32> {
        let mut w = self.cursor as usize;
        while w < WORDS {
            let free = !self.bits[w];
            if free != 0 {
                let bit = free.trailing_zeros();
                self.bits[w] |= 1 << bit;
                self.cursor = w as u32;
                self.used += 1;
                let slot = w as u32 * 64 + bit;
                crate::valgrind::mark_undefined(self.slot_ptr(slot).as_ptr(), self.slot_size());
                return Some(slot);
            }
            w += 1;
        }
        self.cursor = WORDS as u32;
        None
    }

    /// Claims every free slot of the first bitmap word (from the cursor) that has one: they
    /// are marked taken and counted used, for the heap's slot cache to hand out one by one.
    /// Returns the word's index and the claimed slots' bits.
    #[inline]
    pub(crate) fn claim_word(&mut self) -> Option<(u32, u64)> {
        let mut w = self.cursor as usize;
        while w < WORDS {
            let free = !self.bits[w];
            if free != 0 {
                self.bits[w] = !0;
                self.used += free.count_ones();
                self.cursor = w as u32 + 1;
                return Some((w as u32, free));
            }
            w += 1;
        }
        self.cursor = WORDS as u32;
        None
    }

    /// Gives back the claimed slots `unused` of word `w` that the cache never handed out.
    pub(crate) fn unclaim(&mut self, w: u32, unused: u64) {
        let word = &mut self.bits[w as usize];
        debug_assert_eq!(
            *word & unused,
            unused,
            "unclaiming slots that are not claimed"
        );
        *word &= !unused;
        self.used -= unused.count_ones();
        self.cursor = self.cursor.min(w);
    }

    /// The first byte of slot `slot`.
    #[inline]
    pub(crate) fn slot_ptr(&self, slot: u32) -> NonNull<u8> {
        debug_assert!(slot < self.slots);
        // SAFETY: `slot < slots`, so the offset stays inside the page's allocation.
        unsafe {
            self.base
                .add(PAGE_PREFIX + slot as usize * self.slot_size as usize)
        }
    }

    /// The header of the object in slot `slot`.
    #[inline]
    pub(crate) fn header_of(&self, slot: u32) -> NonNull<Header> {
        let offset = if self.prefixed { 8 } else { 0 };
        // SAFETY: the header lies inside the slot (every object is at least a header long).
        unsafe { self.slot_ptr(slot).add(offset).cast() }
    }

    /// The slot holding the byte at `ptr`, which must point into this page.
    pub(crate) fn slot_of(&self, ptr: *const u8) -> u32 {
        let offset = ptr as usize - self.base.as_ptr() as usize - PAGE_PREFIX;
        debug_assert!(offset < PAGE_SIZE);
        let slot = ((offset as u64 * self.slot_reciprocal) >> 32) as u32;
        debug_assert_eq!(slot as usize, offset / self.slot_size as usize);
        slot
    }

    /// Gives slot `slot` back.
    #[inline]
    pub(crate) fn free_slot(&mut self, slot: u32) {
        let (w, bit) = ((slot / 64) as usize, slot % 64);
        debug_assert!(self.bits[w] & (1 << bit) != 0, "slot freed twice");
        self.bits[w] &= !(1 << bit);
        self.used -= 1;
        crate::valgrind::mark_no_access(self.slot_ptr(slot).as_ptr(), self.slot_size());
        self.cursor = self.cursor.min(w as u32);
    }

    /// Calls `f(slot, header)` for every taken slot, in address order.
    #[inline]
    pub(crate) fn for_each_object(&self, mut f: impl FnMut(u32, NonNull<Header>)) {
        if self.used == 0 {
            return;
        }
        let last = self.slots;
        for (w, &word) in self.bits.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let slot = w as u32 * 64 + bits.trailing_zeros();
                if slot >= last {
                    return;
                }
                f(slot, self.header_of(slot));
                bits &= bits - 1;
            }
        }
    }

    /// Calls `f` on the objects in slot `from` and after, in address order, at most `max` of
    /// them; returns the slot to resume from (the page's slot count when it is done).
    pub(crate) fn for_each_object_from(
        &self,
        from: u32,
        max: u32,
        mut f: impl FnMut(u32, NonNull<Header>),
    ) -> u32 {
        let mut left = max;
        let mut w = (from / 64) as usize;
        let mut bits = match self.bits.get(w) {
            Some(&word) => word & (u64::MAX << (from % 64)),
            None => return self.slots,
        };
        loop {
            while bits != 0 {
                let slot = w as u32 * 64 + bits.trailing_zeros();
                if slot >= self.slots {
                    return self.slots;
                }
                if left == 0 {
                    return slot;
                }
                f(slot, self.header_of(slot));
                left -= 1;
                bits &= bits - 1;
            }
            w += 1;
            match self.bits.get(w) {
                Some(&word) => bits = word,
                None => return self.slots,
            }
        }
    }

    /// The number of slots of the page.
    pub(crate) fn slots(&self) -> u32 {
        self.slots
    }

    /// Counts the taken slots from the bitmap (for `verify`).
    pub(crate) fn count_taken(&self) -> u32 {
        let mut n = 0;
        self.for_each_object(|_, _| n += 1);
        n
    }
}
