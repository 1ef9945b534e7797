//! The heap's allocation entry points ([`Heap::alloc`] and friends) and the check every
//! allocation makes first: start a cycle if pacing (or torture mode) says so, and enforce
//! `max_heap_bytes`. Memory itself comes from the object space (`alloc.rs`).

use std::alloc::Layout;
use std::fmt;
use std::ptr::NonNull;
use std::time::Instant;

use crate::finalize::{Finalize, FinalizedVTable};
use crate::gc::Gc;
use crate::header::{
    slice_object_layout, GcBox, Header, ObjectLayout, SizedVTable, SliceVTable, VTable, OLD,
    STR_VTABLE,
};
use crate::heap::{Heap, Phase};
use crate::size_class::{class_for, CLASS_SIZES};
use crate::stats::Trigger;
use crate::trace::Trace;

/// The error of [`Heap::try_alloc`]: the allocation would pass `max_heap_bytes` even after a
/// collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocError {
    /// Bytes the allocation needed (header included).
    pub requested: usize,
    /// Heap bytes when it failed (after the collection).
    pub heap_bytes: usize,
    /// The configured `max_heap_bytes`.
    pub limit: usize,
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "heap limit exceeded: allocating {} bytes on a heap of {} bytes would pass max_heap_bytes = {}",
            self.requested, self.heap_bytes, self.limit
        )
    }
}

impl std::error::Error for AllocError {}

/// Bytes an object of `layout` takes in the heap: its slot, or the whole large allocation.
#[inline]
const fn footprint(layout: Layout, class: Option<u8>) -> usize {
    match class {
        Some(class) => CLASS_SIZES[class as usize] as usize,
        None => layout.size(),
    }
}

impl Heap {
    /// Moves `value` into the heap and returns the first handle to it. May run a collection
    /// first (pacing, or torture mode).
    ///
    /// # Panics
    /// If the allocation would pass `max_heap_bytes` even after a collection (use
    /// [`try_alloc`](Heap::try_alloc) to get an error instead), or if called from inside a
    /// `Trace::trace` impl during a cycle. If the collection it runs meets a panicking
    /// destructor, that panic is resumed here once the cycle has completed (`value` is then
    /// dropped, and the heap stays consistent).
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// let list = heap.alloc(vec![1, 2, 3]);
    /// assert_eq!(list.iter().sum::<i32>(), 6);
    /// ```
    #[inline]
    #[track_caller]
    pub fn alloc<T: Trace + 'static>(&self, value: T) -> Gc<T> {
        match self.try_alloc(value) {
            Ok(gc) => gc,
            Err(e) => panic!("prologue-gc: {e}"),
        }
    }

    /// Like [`alloc`](Heap::alloc), but returns an error instead of panicking when the
    /// allocation would pass `max_heap_bytes` even after a collection. The value is dropped
    /// in that case.
    ///
    /// ```
    /// use prologue_gc::{Config, Heap};
    /// let heap = Heap::with_config(Config::default().max_heap_bytes(1024));
    /// assert!(heap.try_alloc([0u8; 512]).is_ok());
    /// assert!(heap.try_alloc([0u8; 4096]).is_err());
    /// ```
    #[inline]
    pub fn try_alloc<T: Trace + 'static>(&self, value: T) -> Result<Gc<T>, AllocError> {
        self.alloc_sized(value, SizedVTable::<T>::VTABLE)
    }

    /// Like [`alloc`](Heap::alloc), for a value whose [`Finalize::finalize`] the collector calls
    /// once when it finds the object unreachable, before that cycle drops or frees anything
    /// (every handle the value holds is then valid). The object, and what it reaches, is freed
    /// by a later cycle if it is still unreachable. See [`Finalize`] for an example.
    ///
    /// # Panics
    /// As [`alloc`](Heap::alloc).
    #[track_caller]
    pub fn alloc_with_finalizer<T: Trace + Finalize + 'static>(&self, value: T) -> Gc<T> {
        match self.try_alloc_with_finalizer(value) {
            Ok(gc) => gc,
            Err(e) => panic!("prologue-gc: {e}"),
        }
    }

    /// Like [`alloc_with_finalizer`](Heap::alloc_with_finalizer), but returns an error instead
    /// of panicking when the allocation would pass `max_heap_bytes` even after a collection.
    pub fn try_alloc_with_finalizer<T: Trace + Finalize + 'static>(
        &self,
        value: T,
    ) -> Result<Gc<T>, AllocError> {
        self.alloc_sized(value, FinalizedVTable::<T>::VTABLE)
    }

    /// Allocates a sized object with the given vtable (which must be made for `T`).
    #[inline]
    fn alloc_sized<T: Trace + 'static>(
        &self,
        value: T,
        vtable: &'static VTable,
    ) -> Result<Gc<T>, AllocError> {
        let layout = Layout::new::<GcBox<T>>();
        let class = const { class_for(Layout::new::<GcBox<T>>()) };
        let size = footprint(layout, class);
        self.make_room(size)?;
        let birth = self.birth_flags(vtable, class);
        let memory = self.take_memory(layout, class, false);
        let boxed = memory.cast::<GcBox<T>>();
        // SAFETY: fresh memory with `GcBox<T>`'s layout (slots are 8-aligned and only objects
        // aligned to at most 8 get one). No user code runs between taking the memory and
        // writing the header, so no cycle can see the slot uninitialised.
        unsafe {
            boxed.as_ptr().write(GcBox {
                header: Header::new(vtable, self.id, class, birth),
                value,
            });
        }
        self.register(
            boxed.cast(),
            size,
            vtable,
            class.is_none(),
            birth & OLD != 0,
        );
        // SAFETY: the header was created with a count of one, owned by this handle.
        Ok(unsafe { Gc::from_counted(boxed) })
    }

    /// Copies a string into the heap.
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// let s = heap.alloc_str("hello");
    /// assert_eq!(&*s, "hello");
    /// ```
    #[track_caller]
    pub fn alloc_str(&self, s: &str) -> Gc<str> {
        match self.try_alloc_str(s) {
            Ok(gc) => gc,
            Err(e) => panic!("prologue-gc: {e}"),
        }
    }

    /// Like [`alloc_str`](Heap::alloc_str), but returns an error instead of panicking when the
    /// string would pass `max_heap_bytes` even after a collection.
    ///
    /// ```
    /// use prologue_gc::{Config, Heap};
    /// let heap = Heap::with_config(Config::default().max_heap_bytes(1024));
    /// assert!(heap.try_alloc_str("small").is_ok());
    /// assert!(heap.try_alloc_str(&"x".repeat(4096)).is_err());
    /// ```
    #[track_caller]
    pub fn try_alloc_str(&self, s: &str) -> Result<Gc<str>, AllocError> {
        let object = slice_object_layout::<u8>(s.len()).expect("string too large for the heap");
        let (header, size) = self.raw_unsized(object, s.len(), STR_VTABLE)?;
        // SAFETY: the value area after the header has room for `s.len()` bytes.
        unsafe {
            let value = header.as_ptr().add(1).cast::<u8>();
            std::ptr::copy_nonoverlapping(s.as_ptr(), value, s.len());
        }
        self.register_unsized(header, size, STR_VTABLE);
        let fat = std::ptr::slice_from_raw_parts_mut(header.as_ptr().cast::<u8>(), s.len())
            as *mut GcBox<str>;
        // SAFETY: non-null (from `header`); the count of one belongs to this handle.
        Ok(unsafe { Gc::from_counted(NonNull::new_unchecked(fat)) })
    }

    /// Clones a slice into the heap.
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// let xs = heap.alloc_slice(&[1, 2, 3]);
    /// assert_eq!(&*xs, &[1, 2, 3]);
    /// ```
    #[track_caller]
    pub fn alloc_slice<T: Trace + Clone + 'static>(&self, items: &[T]) -> Gc<[T]> {
        match self.try_alloc_slice(items) {
            Ok(gc) => gc,
            Err(e) => panic!("prologue-gc: {e}"),
        }
    }

    /// Like [`alloc_slice`](Heap::alloc_slice), but returns an error instead of panicking when
    /// the slice would pass `max_heap_bytes` even after a collection.
    ///
    /// ```
    /// use prologue_gc::{Config, Heap};
    /// let heap = Heap::with_config(Config::default().max_heap_bytes(1024));
    /// assert!(heap.try_alloc_slice(&[1u64, 2, 3]).is_ok());
    /// assert!(heap.try_alloc_slice(&[0u64; 1024]).is_err());
    /// ```
    #[track_caller]
    pub fn try_alloc_slice<T: Trace + Clone + 'static>(
        &self,
        items: &[T],
    ) -> Result<Gc<[T]>, AllocError> {
        // Rule 2 of the crate docs: no user code runs while an object is half built. The
        // elements' `Clone` may allocate, collect, verify or panic, so every clone is made
        // before the object exists (its handles meanwhile count as held from outside the
        // heap), and then moved in.
        self.try_alloc_from_vec(items.to_vec())
    }

    /// Moves the elements of `items` into a new slice object, without cloning them (the
    /// vector's buffer is freed).
    ///
    /// # Panics
    /// As [`alloc`](Heap::alloc).
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// let names = heap.alloc_from_vec(vec![String::from("a"), String::from("b")]);
    /// assert_eq!(names.concat(), "ab");
    /// ```
    #[track_caller]
    pub fn alloc_from_vec<T: Trace + 'static>(&self, items: Vec<T>) -> Gc<[T]> {
        match self.try_alloc_from_vec(items) {
            Ok(gc) => gc,
            Err(e) => panic!("prologue-gc: {e}"),
        }
    }

    /// Like [`alloc_from_vec`](Heap::alloc_from_vec), but returns an error instead of panicking
    /// when the slice would pass `max_heap_bytes` even after a collection (the elements are
    /// then dropped).
    #[track_caller]
    pub fn try_alloc_from_vec<T: Trace + 'static>(
        &self,
        mut items: Vec<T>,
    ) -> Result<Gc<[T]>, AllocError> {
        let len = items.len();
        let object = slice_object_layout::<T>(len).expect("slice too large for the heap");
        // May run a cycle (user code); `items` is outside the heap meanwhile.
        let (header, size) = self.raw_unsized(object, len, SliceVTable::<T>::VTABLE)?;
        let fat = SliceVTable::<T>::boxed_uninit(header, len);
        // SAFETY: the value area after the header has room for `len` elements of `T`, and the
        // vector's elements are moved out exactly once: its length is set to zero before it is
        // dropped, so only its buffer is freed. No user code runs between `raw_unsized`
        // and `register_unsized` (a bitwise move runs none), so no cycle sees the object
        // before its elements are written.
        unsafe {
            let first = (&raw mut (*fat).value).cast::<T>();
            std::ptr::copy_nonoverlapping(items.as_ptr(), first, len);
            items.set_len(0);
        }
        drop(items);
        self.register_unsized(header, size, SliceVTable::<T>::VTABLE);
        // SAFETY: non-null; the count of one belongs to this handle.
        Ok(unsafe { Gc::from_counted(NonNull::new_unchecked(fat)) })
    }

    /// Builds a slice of `len` elements in the heap, element `i` being `f(i)`.
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// let squares = heap.alloc_slice_from_fn(100_000, |i| (i * i) as u64);
    /// assert_eq!(squares[300], 90_000);
    /// ```
    ///
    /// # Panics
    /// As [`alloc`](Heap::alloc), and if `f` panics (the elements made so far are dropped).
    #[track_caller]
    pub fn alloc_slice_from_fn<T: Trace + 'static>(
        &self,
        len: usize,
        f: impl FnMut(usize) -> T,
    ) -> Gc<[T]> {
        match self.try_alloc_slice_from_fn(len, f) {
            Ok(gc) => gc,
            Err(e) => panic!("prologue-gc: {e}"),
        }
    }

    /// Like [`alloc_slice_from_fn`](Heap::alloc_slice_from_fn), but returns an error instead
    /// of panicking when the slice would pass `max_heap_bytes` even after a collection (the
    /// elements are then dropped).
    ///
    /// A slice too big for a page (a large object) is built where it will live: the elements
    /// are written straight into the memory of the object-to-be, with no vector in between
    /// and no copy, and that memory may be a spare block a freed large object left
    /// (`alloc.rs`), already mapped. `f` is user code, so rule 2 of the crate docs decides
    /// the order: the block gets its header and joins the heap only once every element is
    /// written; until then it is in no list of the collector (like the vector of
    /// [`alloc_from_vec`](Heap::alloc_from_vec)), and the handles in it count as held from
    /// outside. Smaller slices are collected into a vector and moved in.
    #[track_caller]
    pub fn try_alloc_slice_from_fn<T: Trace + 'static>(
        &self,
        len: usize,
        mut f: impl FnMut(usize) -> T,
    ) -> Result<Gc<[T]>, AllocError> {
        let object = slice_object_layout::<T>(len).expect("slice too large for the heap");
        if class_for(object.layout).is_some() {
            return self.try_alloc_from_vec((0..len).map(f).collect());
        }
        let vtable = SliceVTable::<T>::VTABLE;
        let base = self.space.borrow_mut().take_large_block(object.layout);
        // SAFETY: `header_offset` is within the block (`slice_object_layout`).
        let header = unsafe { NonNull::new_unchecked(base.as_ptr().add(object.header_offset)) }
            .cast::<Header>();
        let fat = SliceVTable::<T>::boxed_uninit(header, len);
        let mut block = Unfinished::<T> {
            heap: self,
            base,
            layout: object.layout,
            // SAFETY: a place projection of the block's memory, nothing is read.
            first: unsafe { (&raw mut (*fat).value).cast::<T>() },
            written: 0,
        };
        while block.written < len {
            let item = f(block.written);
            // SAFETY: element `written` lies inside the block, is not written yet, and is
            // suitably aligned (the block has the object's layout).
            unsafe { block.first.add(block.written).write(item) };
            block.written += 1;
        }
        let size = footprint(object.layout, None);
        // May run a cycle (user code); the block is outside the heap meanwhile. On an error
        // `block` drops the elements and gives the memory back.
        self.make_room(size)?;
        // As `take_memory` does before a large allocation (it too may run destructors).
        self.sweep_large_for_allocation();
        // From here to `register_unsized` only the collector's code runs (rule 2).
        let old = block.disarm();
        // SAFETY: the prefix `usize` sits right before the header, both within the block and
        // aligned (see `slice_object_layout`); every element is written.
        unsafe { self.write_unsized_header(header, len, vtable, None) };
        self.space.borrow_mut().count_large(old);
        self.register_unsized(header, size, vtable);
        // SAFETY: non-null; the count of one belongs to this handle.
        Ok(unsafe { Gc::from_counted(NonNull::new_unchecked(fat)) })
    }

    /// Allocates an unsized object's memory and writes its length prefix and header, and
    /// returns the header and the bytes the object takes. The caller writes the elements
    /// and then calls [`register_unsized`](Self::register_unsized), running no user code in
    /// between.
    #[track_caller]
    fn raw_unsized(
        &self,
        object: ObjectLayout,
        len: usize,
        vtable: &'static VTable,
    ) -> Result<(NonNull<Header>, usize), AllocError> {
        debug_assert!(object.header_offset <= 8 || object.layout.align() > 8);
        let class = class_for(object.layout);
        let size = footprint(object.layout, class);
        self.make_room(size)?;
        // Prefixed objects in pages have their header 8 bytes into the slot; the pages of a
        // prefixed kind hold nothing else (`alloc.rs`).
        let base = self.take_memory(object.layout, class, true);
        // SAFETY: `header_offset` is within the allocation, and the prefix `usize` sits right
        // before it (see `slice_object_layout`); both are suitably aligned.
        unsafe {
            let header = NonNull::new_unchecked(base.as_ptr().add(object.header_offset)).cast();
            self.write_unsized_header(header, len, vtable, class);
            Ok((header, size))
        }
    }

    /// Writes an unsized object's length prefix and its header, born in `class` (`None`:
    /// a large object).
    ///
    /// # Safety
    /// `header` is where the object's header goes in memory of the object's layout, with room
    /// for the prefix `usize` right before it, both suitably aligned.
    unsafe fn write_unsized_header(
        &self,
        header: NonNull<Header>,
        len: usize,
        vtable: &'static VTable,
        class: Option<u8>,
    ) {
        // SAFETY: forwarded to the caller.
        unsafe {
            header.cast::<usize>().sub(1).write(len);
            header.write(Header::new(
                vtable,
                self.id,
                class,
                self.birth_flags(vtable, class),
            ));
        }
    }

    /// Memory for one object: a slot of `class` (sweeping a page of that class lazily first
    /// if one is left), or a large allocation.
    #[inline]
    fn take_memory(&self, layout: Layout, class: Option<u8>, prefixed: bool) -> NonNull<u8> {
        let Some(class) = class else {
            self.sweep_large_for_allocation();
            return self.space.borrow_mut().allocate_large(layout);
        };
        self.take_slot(class, prefixed)
    }

    /// A new object's flags. It joins the old generation at once (its header says so, and
    /// `register` counts it as old growth instead of listing it young) if it is large or
    /// finalizable (young cycles neither run finalizers nor sweep large objects), when the
    /// young generation is off. While the heap marks incrementally every object is also born
    /// marked (rule 8 of the crate docs: allocate black); a young one still goes on the young
    /// list, for the release of the young cycles that run meanwhile (rule 13).
    #[inline]
    fn birth_flags(&self, vtable: &'static VTable, class: Option<u8>) -> u32 {
        let birth = self.birth.get();
        if self.config.young_bytes == 0 || class.is_none() || vtable.finalize.is_some() {
            birth | OLD
        } else {
            birth
        }
    }

    /// Adds an initialised object to the statistics (and a large one to the space's list, a
    /// finalizable one to the pending finalizers, a young one to the young list; `old` is
    /// what [`birth_flags`](Self::birth_flags) said). Reads nothing from the new object: its
    /// cache line may still be on its way, and the caller knows everything needed.
    #[inline]
    fn register(
        &self,
        header: NonNull<Header>,
        size: usize,
        vtable: &'static VTable,
        large: bool,
        old: bool,
    ) {
        if vtable.finalize.is_some() {
            self.finalizable.borrow_mut().push(header);
        }
        if large {
            self.space.borrow_mut().insert_large(header);
        }
        if old {
            self.paced.set(self.paced.get() + size);
            self.bytes_born_old
                .set(self.bytes_born_old.get() + size as u64);
        } else {
            self.young.borrow_mut().push(header);
            self.young_bytes.set(self.young_bytes.get() + size);
        }
        self.objects.set(self.objects.get() + 1);
        self.allocations.set(self.allocations.get() + 1);
        self.bytes_allocated
            .set(self.bytes_allocated.get() + size as u64);
    }

    /// [`register`](Self::register) for a `str` or slice object, whose value is now complete.
    fn register_unsized(&self, header: NonNull<Header>, size: usize, vtable: &'static VTable) {
        // SAFETY: the header was initialised by `raw_unsized`.
        let h = unsafe { header.as_ref() };
        self.register(header, size, vtable, h.class().is_none(), h.has(OLD));
    }

    /// Runs the collections an allocation of `size` bytes calls for and enforces the limit:
    /// nothing to do while the allocation budget lasts (`slot_cache.rs`).
    #[inline]
    #[track_caller]
    fn make_room(&self, size: usize) -> Result<(), AllocError> {
        let budget = self.budget.get();
        if size <= budget {
            self.budget.set(budget - size);
            return Ok(());
        }
        let room = self.make_room_slow(size);
        if room.is_ok() {
            self.budget
                .set(self.allocation_budget().saturating_sub(size));
        }
        room
    }

    /// [`make_room`](Self::make_room) past the budget: the checks themselves.
    #[inline(never)]
    #[track_caller]
    fn make_room_slow(&self, size: usize) -> Result<(), AllocError> {
        let phase = self.phase.get();
        if matches!(phase, Phase::Roots | Phase::Mark | Phase::Verify) {
            panic!(
                "prologue-gc: allocation during root discovery, marking or verify() (from inside \
                 Trace::trace); trace impls must not allocate"
            );
        }
        // A cycle can only start from an idle heap: allocations made by destructors during a
        // sweep, by a pool drain or by observers just take memory.
        let can_collect = phase == Phase::Idle;
        let mut collected = false;
        if can_collect && self.config.incremental {
            collected = self.pace_incremental(size);
        } else if can_collect {
            if self.config.torture {
                self.run_cycle(Trigger::Torture);
                collected = true;
            } else if self.pacer.get().due(self.paced.get(), size) {
                self.run_cycle(Trigger::Pacing);
                collected = true;
            } else {
                match self.young_due(size) {
                    Some(Trigger::Young) => {
                        // Not `collected`: a full cycle may still find room for the limit.
                        self.run_young_cycle();
                    }
                    Some(trigger) => {
                        self.run_cycle(trigger);
                        collected = true;
                    }
                    None => {}
                }
            }
        }
        if let Some(limit) = self.config.max_heap_bytes {
            if self.bytes().saturating_add(size) > limit && can_collect && !collected {
                self.run_cycle(Trigger::Limit);
            }
            let heap_bytes = self.bytes();
            if heap_bytes.saturating_add(size) > limit {
                return Err(AllocError {
                    requested: size,
                    heap_bytes,
                    limit,
                });
            }
        }
        Ok(())
    }

    /// The incremental collector's part of an allocation's checks: a step while a cycle
    /// marks; else starting one when pacing says so (after sweeping what the last one left,
    /// in steps), or a young cycle. Torture mode runs cycles back to back, with the smallest
    /// step at every allocation. Returns whether a full cycle ended here (then the limit
    /// check need not collect again).
    #[track_caller]
    fn pace_incremental(&self, size: usize) -> bool {
        let torture = self.config.torture;
        if self.is_marking() {
            // A young cycle (its release only: rule 13) when the nursery is full, and at
            // every allocation in torture; a step when a step's bytes have been allocated
            // since the last. When both are due, the step waits for the next allocation
            // (the budget is then zero), so that the two stops do not add up; torture takes
            // both.
            if self.young_due(size).is_some() || (torture && !self.young.borrow().is_empty()) {
                self.run_young_cycle();
                if !torture {
                    return false;
                }
            }
            if torture || self.bytes_to_next_step() == 0 {
                self.incremental_step(torture);
            }
            return !self.is_marking();
        }
        let young = self.young_due(size);
        let start_due = torture
            || self.pacer.get().start_due(self.paced.get(), size)
            || young == Some(Trigger::Pacing);
        if start_due {
            // What the last lazy sweep left is swept first, in steps that allocation pays for
            // as it pays for marking steps: one per step's bytes, not one per allocation (a
            // round of the latency workload met sixteen back to back, 4 ms in all), each of at
            // most half the pause target: one often lands in the same stretch of the program
            // as a young cycle, and the two together should stay near the target.
            let swept = !self.space.borrow().sweep_pending() || {
                let allocated = self.bytes_allocated.get();
                let pacer = self.pacer.get();
                let step = crate::incremental::step_bytes(
                    pacer.next_goal(),
                    pacer.due(self.paced.get(), 0),
                ) as u64;
                let paid = allocated.saturating_sub(self.sweep_paid_until.get()) >= step;
                if torture || paid {
                    self.sweep_paid_until.set(allocated);
                    self.sweep_until(Instant::now() + self.config.pause_target / 2)
                } else {
                    false
                }
            };
            if swept {
                let trigger = if torture {
                    Trigger::Torture
                } else {
                    Trigger::Pacing
                };
                self.start_incremental(trigger);
                return false;
            }
            if self.pacer.get().due(self.paced.get(), size) {
                // The program outran the sweep itself: a whole cycle now.
                self.run_cycle(Trigger::Pacing);
                return true;
            }
            return false;
        }
        if young == Some(Trigger::Young) {
            self.run_young_cycle();
        }
        false
    }
}

/// A large block [`Heap::try_alloc_slice_from_fn`] is writing elements into. Dropped before
/// it is finished (`f` panicked, or the heap limit), it drops the elements written so far
/// and gives the block back to the space.
struct Unfinished<'h, T> {
    heap: &'h Heap,
    base: NonNull<u8>,
    layout: Layout,
    first: *mut T,
    written: usize,
}

impl<T> Unfinished<'_, T> {
    /// The block becomes an object: nothing is dropped or given back. Returns its layout.
    fn disarm(self) -> Layout {
        let layout = self.layout;
        std::mem::forget(self);
        layout
    }
}

impl<T> Drop for Unfinished<'_, T> {
    fn drop(&mut self) {
        struct GiveBack<'a>(&'a Heap, NonNull<u8>, Layout);
        impl Drop for GiveBack<'_> {
            fn drop(&mut self) {
                // SAFETY: the block came from `take_large_block` with this layout, holds no
                // object (its elements are dropped, it never got a header) and nothing uses
                // it any more.
                unsafe {
                    self.0
                        .space
                        .borrow_mut()
                        .give_back_large_block(self.1, self.2)
                };
            }
        }
        // Given back even if an element's destructor panics.
        let _give_back = GiveBack(self.heap, self.base, self.layout);
        // SAFETY: the first `written` elements are initialised and owned by the block alone;
        // each is dropped exactly once.
        unsafe {
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(self.first, self.written))
        };
    }
}
