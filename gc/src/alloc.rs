//! The object space: where objects' memory comes from, how the collector walks every object,
//! and freeing.
//!
//! Small objects (up to 2 KiB, alignment at most 8) live in 64 KiB [`Page`]s of equal slots,
//! one size class per page (`size_class.rs`); objects with a length prefix (`str`, slices) get
//! pages of their own, so a page knows where its headers sit. Each class allocates from its
//! *current* page, then from its *available* pages (swept, with free slots), then, with lazy
//! sweeping, by sweeping one of its *unswept* pages (done by the heap, which may run
//! destructors; see `lazy.rs`), and last from an empty page of any class or a new page. A page
//! the sweep empties goes back to one shared pool, so memory freed in one class serves the
//! others. Empty pages are returned to the system allocator only after a full (eager) sweep,
//! beyond a reserve of a quarter of the pages in use: an empty page holds no object, so no
//! handle can point into it.
//!
//! Large objects are one system allocation each, kept in a list. A lazy sweep moves that list
//! aside as the *unswept* large objects, so a large object allocated before the sweep gets to
//! them (by a finalizer, an observer, a destructor) joins the swept list and is never judged
//! by a mark it did not exist for (rule 3 of the crate docs). The memory of a freed large
//! object is kept as a *spare block* (at most [`SPARE_LARGE_BLOCKS`], and no more bytes than
//! the heap holds, or [`SPARE_LARGE_FLOOR`]) for the next large object of exactly its layout:
//! a program that makes and drops a big vector each round then reuses memory already mapped,
//! instead of page-faulting fresh memory every time. A spare block holds no object and is in
//! no list the collector walks, so no handle can name it; spare blocks beyond that room go
//! back to the system allocator after an eager sweep, and all of them when the heap is
//! dropped.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ptr::NonNull;

use crate::header::Header;
use crate::page::{Page, SweepState};
use crate::size_class::CLASSES;

/// The byte freed objects are overwritten with when poisoning is on (every flag bit set, so
/// a stale header reads as dead).
pub(crate) const POISON: u8 = 0xDB;

/// The most spare large blocks a space keeps.
pub(crate) const SPARE_LARGE_BLOCKS: usize = 2;

/// Spare large blocks may total the bytes in use or this much, whichever is more.
pub(crate) const SPARE_LARGE_FLOOR: usize = 16 << 20;

/// The index of a (class, prefixed) pair in the space's class table.
#[inline]
pub(crate) const fn kind_index(class: u8, prefixed: bool) -> usize {
    class as usize * 2 + prefixed as usize
}

/// The pages of one (class, prefixed) kind, by sweep state. Full pages are in no list.
#[derive(Default)]
struct ClassPages {
    current: Option<u32>,
    available: Vec<u32>,
    unswept: Vec<u32>,
}

/// The free slots of one bitmap word, claimed for the heap's slot cache
/// ([`ObjectSpace::claim`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Claim {
    pub(crate) page: u32,
    pub(crate) word: u32,
    /// Slot `64 * word` of the page: claimed slot `i` of the word is `i` slots further.
    pub(crate) base: NonNull<u8>,
    pub(crate) bits: u64,
}

/// What the next step of a lazy sweep is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unswept {
    /// A page, by index.
    Page(u32),
    /// The large objects.
    Large,
}

/// Every object of one heap.
pub(crate) struct ObjectSpace {
    pages: Vec<Page>,
    classes: Vec<ClassPages>,
    /// Empty pages, of any class.
    empty: Vec<u32>,
    /// Large objects the last mark judged and a sweep has looked at, and every large object
    /// allocated since.
    large: Vec<NonNull<Header>>,
    /// Large objects a lazy sweep has still to look at (they existed at its mark).
    large_unswept: Vec<NonNull<Header>>,
    /// The memory of freed large objects, with its layout, for new ones of the same layout
    /// (see the module docs). Holds no object.
    spare_large: Vec<(NonNull<u8>, Layout)>,
    /// Their total size.
    spare_bytes: usize,
    /// Unswept pages, all classes together.
    unswept: usize,
    /// Bytes of every slot and large allocation in use (live objects, dead-but-held ones, and
    /// garbage not yet swept).
    bytes: usize,
    /// The largest `bytes` seen at the last [`note_peak`](Self::note_peak): `bytes` only
    /// shrinks when something is freed, so noting it before every free keeps this exact.
    peak: usize,
    /// Dead objects kept because handles to them remain, and their bytes.
    pub(crate) zombies: usize,
    pub(crate) zombie_bytes: usize,
    /// Overwrite freed objects with [`POISON`] (debug builds and torture mode).
    poison: bool,
    /// Some slot cache may hold claimed slots without objects: the bitmaps must not be walked
    /// until the heap flushes its caches ([`settle_claims`](Self::settle_claims)).
    claims_out: bool,
}

impl ObjectSpace {
    /// An empty space; `poison` overwrites freed objects (see [`POISON`]).
    pub(crate) fn new(poison: bool) -> ObjectSpace {
        ObjectSpace {
            pages: Vec::new(),
            classes: (0..CLASSES * 2).map(|_| ClassPages::default()).collect(),
            empty: Vec::new(),
            large: Vec::new(),
            large_unswept: Vec::new(),
            spare_large: Vec::new(),
            spare_bytes: 0,
            unswept: 0,
            bytes: 0,
            peak: 0,
            zombies: 0,
            zombie_bytes: 0,
            poison,
            claims_out: false,
        }
    }

    /// A slot of `kind` from the current or an available page, without sweeping.
    #[inline]
    pub(crate) fn allocate_small(&mut self, kind: usize) -> Option<NonNull<u8>> {
        let class = &mut self.classes[kind];
        loop {
            if let Some(index) = class.current {
                let page = &mut self.pages[index as usize];
                if let Some(slot) = page.take_slot() {
                    self.bytes += page.slot_size();
                    return Some(page.slot_ptr(slot));
                }
                page.listed = false;
                class.current = None;
            }
            class.current = Some(class.available.pop()?);
        }
    }

    /// Claims the free slots of one bitmap word of `kind`'s current or an available page,
    /// without sweeping: `(page, word, first slot of the word, claimed bits)`. The claimed
    /// slots count as used (and in `bytes`) until handed out or given back by
    /// [`unclaim`](Self::unclaim); until then the space must not be walked.
    #[inline]
    pub(crate) fn claim(&mut self, kind: usize) -> Option<Claim> {
        let class = &mut self.classes[kind];
        loop {
            if let Some(index) = class.current {
                let page = &mut self.pages[index as usize];
                if let Some((word, bits)) = page.claim_word() {
                    self.bytes += bits.count_ones() as usize * page.slot_size();
                    self.claims_out = true;
                    return Some(Claim {
                        page: index,
                        word,
                        base: page.slot_ptr(word * 64),
                        bits,
                    });
                }
                page.listed = false;
                class.current = None;
            }
            class.current = Some(class.available.pop()?);
        }
    }

    /// [`claim`](Self::claim) from an empty page (of any class) or a new one.
    pub(crate) fn claim_fresh(&mut self, kind: usize) -> Claim {
        self.install_fresh_page(kind);
        self.claim(kind).expect("a fresh page has free slots")
    }

    /// Records that every slot cache has been flushed: no claimed slot lacks an object.
    pub(crate) fn settle_claims(&mut self) {
        self.claims_out = false;
    }

    /// Whether the bitmaps may be walked (every taken slot holds an object).
    pub(crate) fn walkable(&self) -> bool {
        !self.claims_out
    }

    /// Gives back the slots `bits` of a [`Claim`] that were never handed out.
    pub(crate) fn unclaim(&mut self, page: u32, word: u32, bits: u64) {
        let p = &mut self.pages[page as usize];
        p.unclaim(word, bits);
        self.bytes -= bits.count_ones() as usize * p.slot_size();
        self.relist(page);
    }

    /// Takes an unswept page of `kind` for the heap to sweep (its state becomes `Sweeping`).
    pub(crate) fn pop_unswept(&mut self, kind: usize) -> Option<u32> {
        let index = self.classes[kind].unswept.pop()?;
        self.unswept -= 1;
        self.pages[index as usize].state = SweepState::Sweeping;
        Some(index)
    }

    /// Takes the next part of the heap a lazy sweep has left, if any.
    pub(crate) fn pop_any_unswept(&mut self) -> Option<Unswept> {
        if !self.large_unswept.is_empty() {
            return Some(Unswept::Large);
        }
        if self.unswept == 0 {
            return None;
        }
        let kind = self.classes.iter().position(|c| !c.unswept.is_empty())?;
        self.pop_unswept(kind).map(Unswept::Page)
    }

    /// Whether a lazy sweep has anything left to sweep.
    pub(crate) fn sweep_pending(&self) -> bool {
        self.unswept > 0 || !self.large_unswept.is_empty()
    }

    /// The number of large objects on the swept list (an incremental cycle walks them by
    /// index: the list only grows while it marks).
    pub(crate) fn large_count(&self) -> usize {
        self.large.len()
    }

    /// The `index`th large object of the swept list.
    pub(crate) fn large_at(&self, index: usize) -> NonNull<Header> {
        self.large[index]
    }

    /// Whether a lazy sweep has large objects left to look at.
    pub(crate) fn large_sweep_due(&self) -> bool {
        !self.large_unswept.is_empty()
    }

    /// A slot of `kind` from an empty page (of any class) or a new one.
    pub(crate) fn allocate_fresh(&mut self, kind: usize) -> NonNull<u8> {
        self.install_fresh_page(kind);
        self.allocate_small(kind)
            .expect("a fresh page has free slots")
    }

    /// Makes an empty page (of any class) or a new one `kind`'s current page.
    fn install_fresh_page(&mut self, kind: usize) {
        let (class, prefixed) = ((kind / 2) as u8, kind % 2 == 1);
        let index = match self.empty.pop() {
            Some(index) => {
                self.pages[index as usize].format(class, prefixed);
                index
            }
            None => {
                let index = self.pages.len() as u32;
                self.pages.push(Page::new(class, prefixed, index));
                index
            }
        };
        let class_pages = &mut self.classes[kind];
        if let Some(previous) = class_pages.current.replace(index) {
            // Only reached with the current page full, but keep it findable if not.
            if self.pages[previous as usize].is_full() {
                self.pages[previous as usize].listed = false;
            } else {
                class_pages.available.push(previous);
            }
        }
        self.pages[index as usize].listed = true;
    }

    /// Memory for one large object. Aborts through `handle_alloc_error` if the system
    /// allocator fails, as `Box` does.
    pub(crate) fn allocate_large(&mut self, layout: Layout) -> NonNull<u8> {
        let ptr = self.take_large_block(layout);
        self.bytes += layout.size();
        ptr
    }

    /// Memory of `layout` for a large object, not yet counted in the bytes in use: a spare
    /// block of exactly that layout if there is one, else a new system allocation. It is
    /// given back with [`give_back_large_block`](Self::give_back_large_block) (or counted
    /// with [`count_large`](Self::count_large) once it holds an object).
    pub(crate) fn take_large_block(&mut self, layout: Layout) -> NonNull<u8> {
        debug_assert!(layout.size() > 0, "objects always have a header");
        if let Some(at) = self.spare_large.iter().position(|&(_, l)| l == layout) {
            let (ptr, _) = self.spare_large.swap_remove(at);
            self.spare_bytes -= layout.size();
            return ptr;
        }
        // SAFETY: the layout has a non-zero size (every object has a header).
        let ptr = unsafe { alloc(layout) };
        NonNull::new(ptr).unwrap_or_else(|| handle_alloc_error(layout))
    }

    /// Counts a block from [`take_large_block`](Self::take_large_block) in the bytes in use:
    /// it now holds a large object.
    pub(crate) fn count_large(&mut self, layout: Layout) {
        self.bytes += layout.size();
    }

    /// Takes back a block of `layout` that holds no object: kept as a spare block if there
    /// is room for it, else returned to the system allocator.
    ///
    /// # Safety
    /// `base` was allocated with `layout` by the system allocator (through
    /// [`take_large_block`](Self::take_large_block)), holds no object, and nothing uses it
    /// any more.
    pub(crate) unsafe fn give_back_large_block(&mut self, base: NonNull<u8>, layout: Layout) {
        let room = self.bytes.max(SPARE_LARGE_FLOOR);
        if self.spare_large.len() < SPARE_LARGE_BLOCKS && self.spare_bytes + layout.size() <= room {
            self.spare_large.push((base, layout));
            self.spare_bytes += layout.size();
            return;
        }
        // SAFETY: forwarded to the caller: allocated with `layout`, unused.
        unsafe { dealloc(base.as_ptr(), layout) };
    }

    /// Returns spare large blocks to the system allocator until what is left fits the
    /// room the bytes in use allow (after an eager sweep, which may have freed much).
    fn trim_spare_large(&mut self) {
        let room = self.bytes.max(SPARE_LARGE_FLOOR);
        while self.spare_bytes > room {
            let Some((base, layout)) = self.spare_large.pop() else {
                break;
            };
            self.spare_bytes -= layout.size();
            // SAFETY: a spare block was allocated with its layout and holds no object; it
            // has just left the list, its only record.
            unsafe { dealloc(base.as_ptr(), layout) };
        }
    }

    /// Returns every spare large block to the system allocator.
    pub(crate) fn release_spare_large(&mut self) {
        for (base, layout) in std::mem::take(&mut self.spare_large) {
            // SAFETY: a spare block was allocated with its layout and holds no object; the
            // list was its only record.
            unsafe { dealloc(base.as_ptr(), layout) };
        }
        self.spare_bytes = 0;
    }

    /// Adds an initialised large object to the list the collector walks.
    pub(crate) fn insert_large(&mut self, header: NonNull<Header>) {
        self.large.push(header);
    }

    /// Calls `f` on every object (pages in order, each in address order, then the large ones).
    #[inline]
    pub(crate) fn for_each_object(&self, mut f: impl FnMut(NonNull<Header>)) {
        debug_assert!(
            self.walkable(),
            "walking the heap with slot caches not flushed"
        );
        for page in &self.pages {
            page.for_each_object(|_, header| f(header));
        }
        for &header in self.large.iter().chain(&self.large_unswept) {
            f(header);
        }
    }

    /// Number of pages (for `verify` and the collector's loops).
    pub(crate) fn page_count(&self) -> u32 {
        self.pages.len() as u32
    }

    pub(crate) fn page(&self, index: u32) -> &Page {
        &self.pages[index as usize]
    }

    /// Moves out the large objects a sweep is to judge (the sweep filters them): those a lazy
    /// sweep left, if any, else the whole list. Objects allocated meanwhile start a new list.
    pub(crate) fn take_large(&mut self) -> Vec<NonNull<Header>> {
        if self.large_unswept.is_empty() {
            std::mem::take(&mut self.large)
        } else {
            std::mem::take(&mut self.large_unswept)
        }
    }

    /// Puts the large objects a sweep kept back on the swept list, followed by those allocated
    /// meanwhile.
    pub(crate) fn restore_large(&mut self, mut kept: Vec<NonNull<Header>>) {
        kept.append(&mut self.large);
        self.large = kept;
    }

    /// Bytes held by all objects.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Records the current size as the peak if it is one (called before anything is freed).
    #[inline]
    pub(crate) fn note_peak(&mut self) {
        self.peak = self.peak.max(self.bytes);
    }

    /// The largest size noted before a free (the current size may be larger).
    pub(crate) fn noted_peak(&self) -> usize {
        self.peak
    }

    /// Frees the small object `header` (its page found from its address): the release
    /// step's path, one page lookup for everything. Returns the bytes freed.
    ///
    /// # Safety
    /// As [`free`](Self::free), and the object is in a page of this space.
    #[inline(always)]
    pub(crate) unsafe fn free_small(&mut self, header: NonNull<Header>) -> usize {
        self.note_peak();
        // SAFETY: forwarded to the caller: the object is in a page.
        let index = unsafe { Page::index_of(header.as_ptr().cast()) };
        let poison = self.poison;
        let page = &mut self.pages[index as usize];
        let slot = page.slot_of(header.as_ptr().cast());
        let size = page.slot_size();
        if poison {
            // SAFETY: as in `free`: the slot is ours and holds no object any more.
            unsafe { std::ptr::write_bytes(page.slot_ptr(slot).as_ptr(), POISON, size) };
        }
        page.free_slot(slot);
        let relist = !page.listed && page.state == SweepState::Swept;
        self.bytes -= size;
        if relist {
            self.relist(index);
        }
        size
    }

    /// Frees slot `slot` of page `page` (holding the object `header`), or the large object
    /// `header` when `page` is `None`. Returns the bytes freed.
    ///
    /// # Safety
    /// The object is dead, its value dropped, no handle names it, and no list of the
    /// collector holds it any more.
    pub(crate) unsafe fn free(
        &mut self,
        header: NonNull<Header>,
        page: Option<(u32, u32)>,
    ) -> usize {
        match page {
            Some((index, slot)) => {
                let page = &mut self.pages[index as usize];
                let size = page.slot_size();
                if self.poison {
                    // Debug builds and torture mode overwrite a freed object (Go's
                    // clobberfree): a use after free then reads a recognisable pattern, and
                    // the header's flags read as dead, so a stale handle fails at once.
                    // SAFETY: the slot is ours and holds no object any more.
                    unsafe { std::ptr::write_bytes(page.slot_ptr(slot).as_ptr(), POISON, size) };
                }
                page.free_slot(slot);
                self.bytes -= size;
                // A young cycle frees slots of full pages, which are in no list.
                self.relist(index);
                size
            }
            None => {
                // SAFETY: the header is still allocated and its vtable tells the layout.
                let object = unsafe { (header.as_ref().vtable().layout)(header) };
                // SAFETY: the allocation starts `header_offset` bytes before the header.
                let base = unsafe { header.cast::<u8>().as_ptr().sub(object.header_offset) };
                if self.poison {
                    // SAFETY: as above, the whole allocation is ours until `dealloc`.
                    unsafe { std::ptr::write_bytes(base, POISON, object.layout.size()) };
                }
                self.bytes -= object.layout.size();
                // SAFETY: `base` and the layout are exactly what `allocate_large` was given,
                // the object is dead and no handle names it (the caller's contract).
                unsafe { self.give_back_large_block(NonNull::new_unchecked(base), object.layout) };
                object.layout.size()
            }
        }
    }

    /// After a cycle's mark, for a lazy sweep: every page holding objects becomes unswept
    /// (allocation then sweeps a page of its class before taking a fresh one), and so do the
    /// large objects. New objects go only to swept or fresh pages, so an unmarked object in an
    /// unswept page is garbage.
    pub(crate) fn begin_lazy_sweep(&mut self) {
        for class in &mut self.classes {
            class.current = None;
            class.available.clear();
            class.unswept.clear();
        }
        self.unswept = 0;
        for (index, page) in self.pages.iter_mut().enumerate() {
            page.listed = false;
            if page.used() > 0 {
                page.state = SweepState::Unswept;
                self.classes[kind_index(page.class(), page.prefixed())]
                    .unswept
                    .push(index as u32);
                self.unswept += 1;
            }
        }
        // Sweep in address order (the lists are popped from the back).
        for class in &mut self.classes {
            class.unswept.reverse();
        }
        debug_assert!(
            self.large_unswept.is_empty(),
            "a lazy sweep left large objects"
        );
        self.large_unswept = std::mem::take(&mut self.large);
    }

    /// Files a page the lazy sweep has just finished: back to its class's available pages,
    /// to the empty pool, or (full) nowhere.
    pub(crate) fn page_swept(&mut self, index: u32) {
        let page = &mut self.pages[index as usize];
        page.state = SweepState::Swept;
        page.listed = false;
        if page.used() == 0 {
            self.empty.push(index);
        } else {
            self.relist(index);
        }
    }

    /// Puts a swept page with free slots back in its class's available list if it is in no
    /// list (the young generation's sweep frees slots of full pages).
    pub(crate) fn relist(&mut self, index: u32) {
        let page = &mut self.pages[index as usize];
        if !page.listed && page.state == SweepState::Swept && !page.is_full() {
            page.listed = true;
            self.classes[kind_index(page.class(), page.prefixed())]
                .available
                .push(index);
        }
    }

    /// The page and slot of a small object.
    ///
    /// # Safety
    /// `header` is the header of an object in a page of this space.
    #[inline]
    pub(crate) unsafe fn locate(&self, header: NonNull<Header>) -> (u32, u32) {
        // SAFETY: forwarded to the caller.
        let index = unsafe { Page::index_of(header.as_ptr().cast()) };
        let page = &self.pages[index as usize];
        (index, page.slot_of(header.as_ptr().cast()))
    }

    /// After an eager sweep: rebuilds every class's lists from the pages, and returns the
    /// empty pages beyond a reserve to the system allocator.
    pub(crate) fn rebuild_lists(&mut self) {
        self.trim_spare_large();
        let in_use = self.pages.iter().filter(|p| p.used() > 0).count();
        let mut reserve = 4 + in_use / 4;
        let mut index = 0;
        while index < self.pages.len() {
            if self.pages[index].used() == 0 {
                if reserve == 0 {
                    let page = self.pages.swap_remove(index);
                    // SAFETY: the page holds no object, so no handle points into it, and it
                    // is in no list (the lists are rebuilt below).
                    unsafe { page.release() };
                    if let Some(moved) = self.pages.get_mut(index) {
                        moved.set_index(index as u32);
                    }
                    continue;
                }
                reserve -= 1;
            }
            index += 1;
        }
        for class in &mut self.classes {
            class.current = None;
            class.available.clear();
            class.unswept.clear();
        }
        self.empty.clear();
        self.unswept = 0;
        debug_assert!(
            self.large_unswept.is_empty(),
            "an eager sweep left large objects"
        );
        for (index, page) in self.pages.iter_mut().enumerate() {
            page.state = SweepState::Swept;
            page.listed = !page.is_full() && page.used() > 0;
            if page.used() == 0 {
                self.empty.push(index as u32);
            } else if !page.is_full() {
                self.classes[kind_index(page.class(), page.prefixed())]
                    .available
                    .push(index as u32);
            }
        }
    }

    /// Forgets every object without freeing it (the heap is dropped while handles remain:
    /// their objects must stay valid forever). Empty pages are released.
    pub(crate) fn leak_all(&mut self) {
        for page in std::mem::take(&mut self.pages) {
            if page.used() == 0 {
                // SAFETY: the page holds no object, so nothing points into it.
                unsafe { page.release() };
            }
            // Pages with objects are leaked: their memory is never given back.
        }
        self.large = Vec::new();
        self.large_unswept = Vec::new();
        self.release_spare_large();
        self.empty.clear();
        for class in &mut self.classes {
            *class = ClassPages::default();
        }
        self.unswept = 0;
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    #[test]
    fn freed_large_blocks_are_kept_for_their_layout_within_bounds() {
        let mut space = ObjectSpace::new(false);
        let a = space.allocate_large(layout(1 << 20));
        let b = space.allocate_large(layout(1 << 20));
        let c = space.allocate_large(layout(2 << 20));
        assert_eq!(space.bytes(), 4 << 20);
        space.bytes -= 4 << 20;
        // SAFETY (the three calls): blocks from `allocate_large` with these layouts,
        // holding no object.
        unsafe {
            space.give_back_large_block(a, layout(1 << 20));
            space.give_back_large_block(b, layout(1 << 20));
            // A third block goes back to the system.
            space.give_back_large_block(c, layout(2 << 20));
        }
        assert_eq!(space.spare_large.len(), SPARE_LARGE_BLOCKS);
        assert_eq!(space.spare_bytes, 2 << 20);
        // The same layout gets a spare block back; another gets new memory.
        let again = space.take_large_block(layout(1 << 20));
        assert!(again == a || again == b);
        assert_eq!(space.spare_bytes, 1 << 20);
        let other = space.take_large_block(layout(3 << 20));
        assert!(other != a && other != b);
        assert_eq!(space.spare_bytes, 1 << 20);
        // SAFETY: as above.
        unsafe {
            space.give_back_large_block(again, layout(1 << 20));
            space.give_back_large_block(other, layout(3 << 20));
        }
        assert_eq!(space.spare_large.len(), 2);
        space.release_spare_large();
        assert!(space.spare_large.is_empty());
        assert_eq!(space.spare_bytes, 0);
    }

    #[test]
    fn spare_blocks_beyond_the_room_are_refused_and_trimmed() {
        let mut space = ObjectSpace::new(false);
        let big = layout(SPARE_LARGE_FLOOR + 8);
        let block = space.take_large_block(big);
        // SAFETY: from `take_large_block` with this layout, never an object.
        unsafe { space.give_back_large_block(block, big) };
        assert!(space.spare_large.is_empty(), "kept past the room");
        // Kept while the heap is big, trimmed once an eager sweep leaves it small.
        space.bytes = 2 * SPARE_LARGE_FLOOR;
        let block = space.take_large_block(big);
        // SAFETY: as above.
        unsafe { space.give_back_large_block(block, big) };
        assert_eq!(space.spare_large.len(), 1);
        space.bytes = 0;
        space.rebuild_lists();
        assert!(space.spare_large.is_empty());
        assert_eq!(space.spare_bytes, 0);
    }
}
