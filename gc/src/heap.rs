//! [`Heap`]: owns the objects, allocates them, and runs the cycles.

use std::alloc::Layout;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::alloc::ObjectSpace;
use crate::config::Config;
use crate::gc::Gc;
use crate::header::{
    slice_object_layout, GcBox, Header, ObjectLayout, SizedVTable, SliceVTable, VTable, STR_VTABLE,
};
use crate::pacing::Pacer;
use crate::stats::{CycleStats, HeapStats, Recorder, Trigger};
use crate::trace::{Trace, Tracer};
use crate::weak::{self, WeakTable};

/// Where the heap is in its life; guards against re-entrancy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No cycle running.
    Idle,
    /// `gc_start`: pools are being drained (their values' destructors run).
    ClearPools,
    /// Root discovery (user `trace` runs).
    Roots,
    /// Mark (user `trace` runs).
    Mark,
    /// Sweep (user destructors run).
    Sweep,
    /// Statistics, gctrace and observers.
    End,
    /// `verify()` is tracing the heap (user `trace` runs).
    Verify,
    /// The heap is being dropped.
    Dropped,
}

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

/// Observers registered with [`Heap::on_cycle`].
type Observer = Box<dyn FnMut(&CycleStats)>;

/// A garbage-collected heap: it owns every object allocated in it, and its collector frees
/// the objects no handle outside the heap can reach, cycles included.
///
/// A `Heap` is `!Send`: one per thread (or per isolate, interpreter, ...); several may coexist
/// on a thread, and handles of one may be stored in another's objects.
///
/// ```
/// use prologue_gc::{Gc, GcCell, Heap, Trace};
///
/// #[derive(Trace)]
/// struct Person {
///     name: String,
///     friends: GcCell<Vec<Gc<Person>>>,
/// }
///
/// let heap = Heap::new();
/// let ann = heap.alloc(Person { name: "Ann".into(), friends: GcCell::new(vec![]) });
/// let bob = heap.alloc(Person { name: "Bob".into(), friends: GcCell::new(vec![ann.clone()]) });
/// ann.friends.borrow_mut().push(bob.clone());
///
/// assert_eq!(heap.collect().objects_freed, 0); // both held by locals
/// drop(ann);
/// assert_eq!(bob.friends.borrow()[0].name, "Ann"); // still reachable through bob
/// drop(bob);
/// assert_eq!(heap.collect().objects_freed, 2); // the cycle is garbage
/// assert_eq!(heap.stats().objects, 0);
/// ```
///
/// # Dropping a heap while handles remain
/// Dropping a `Heap` runs a final collection. Objects still reachable from handles outside
/// the heap are then *leaked*: their memory stays valid for as long as the process runs (so
/// the handles keep working, and dereferencing them is safe), but their values are never
/// dropped. Drop the handles first to avoid the leak.
pub struct Heap {
    pub(crate) id: u32,
    pub(crate) config: Config,
    pub(crate) phase: Cell<Phase>,
    pub(crate) space: RefCell<ObjectSpace>,
    /// Objects that are not dead.
    pub(crate) objects: Cell<usize>,
    /// Dead objects kept for a resurrected handle.
    pub(crate) zombies: Cell<usize>,
    pub(crate) pacer: Cell<Pacer>,
    pub(crate) tracer: RefCell<Tracer>,
    /// Scratch list of condemned objects, reused by every sweep.
    pub(crate) doomed: RefCell<Vec<NonNull<Header>>>,
    pub(crate) recorder: RefCell<Recorder>,
    pub(crate) weak: Rc<RefCell<WeakTable>>,
    pub(crate) observers: RefCell<Vec<Observer>>,
}

/// Source of heap ids. Ids are never reused, so a handle from a dropped heap's leaked object is
/// never mistaken for one of a newer heap's objects.
static NEXT_HEAP_ID: AtomicU32 = AtomicU32::new(1);

fn new_heap_id() -> u32 {
    let id = NEXT_HEAP_ID.fetch_add(1, Ordering::Relaxed);
    assert!(
        id != 0 && id != u32::MAX,
        "prologue-gc: more than 2^32 - 2 heaps created in this process; heap ids are exhausted"
    );
    id
}

impl Heap {
    /// A heap with [`Config::default()`].
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// assert_eq!(heap.stats().objects, 0);
    /// ```
    pub fn new() -> Heap {
        Heap::with_config(Config::default())
    }

    /// A heap with the given pacing and limits.
    ///
    /// ```
    /// use prologue_gc::{Config, Heap};
    /// let heap = Heap::with_config(Config { gc_percent: 200, ..Config::default() });
    /// assert_eq!(heap.config().gc_percent, 200);
    /// ```
    pub fn with_config(config: Config) -> Heap {
        crate::gctrace::note_start();
        let id = new_heap_id();
        let weak = Rc::new(RefCell::new(WeakTable::default()));
        weak::register_table(id, Rc::clone(&weak));
        let poison = cfg!(debug_assertions) || config.torture;
        Heap {
            id,
            pacer: Cell::new(Pacer::new(&config)),
            config,
            phase: Cell::new(Phase::Idle),
            space: RefCell::new(ObjectSpace::new(poison)),
            objects: Cell::new(0),
            zombies: Cell::new(0),
            tracer: RefCell::new(Tracer::new(id)),
            doomed: RefCell::new(Vec::new()),
            recorder: RefCell::new(Recorder::new()),
            weak,
            observers: RefCell::new(Vec::new()),
        }
    }

    /// The configuration the heap was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Moves `value` into the heap and returns the first handle to it. May run a collection
    /// first (pacing, or torture mode).
    ///
    /// # Panics
    /// If the allocation would pass `max_heap_bytes` even after a collection (use
    /// [`try_alloc`](Heap::try_alloc) to get an error instead), or if called from inside a
    /// `Trace::trace` impl during a cycle.
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// let list = heap.alloc(vec![1, 2, 3]);
    /// assert_eq!(list.iter().sum::<i32>(), 6);
    /// ```
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
    /// let heap = Heap::with_config(Config { max_heap_bytes: Some(1024), ..Config::default() });
    /// assert!(heap.try_alloc([0u8; 512]).is_ok());
    /// assert!(heap.try_alloc([0u8; 4096]).is_err());
    /// ```
    pub fn try_alloc<T: Trace + 'static>(&self, value: T) -> Result<Gc<T>, AllocError> {
        let layout = Layout::new::<GcBox<T>>();
        self.make_room(layout.size())?;
        let memory = self.space.borrow_mut().allocate(layout);
        let boxed = memory.cast::<GcBox<T>>();
        // SAFETY: fresh memory with `GcBox<T>`'s layout.
        unsafe {
            boxed.as_ptr().write(GcBox {
                header: Header::new(SizedVTable::<T>::VTABLE, self.id),
                value,
            });
        }
        self.register(boxed.cast(), layout.size());
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
    /// let heap = Heap::with_config(Config { max_heap_bytes: Some(1024), ..Config::default() });
    /// assert!(heap.try_alloc_str("small").is_ok());
    /// assert!(heap.try_alloc_str(&"x".repeat(4096)).is_err());
    /// ```
    #[track_caller]
    pub fn try_alloc_str(&self, s: &str) -> Result<Gc<str>, AllocError> {
        let object = slice_object_layout::<u8>(s.len()).expect("string too large for the heap");
        let header = self.raw_unsized(object, s.len(), STR_VTABLE)?;
        // SAFETY: the value area after the header has room for `s.len()` bytes.
        unsafe {
            let value = header.as_ptr().add(1).cast::<u8>();
            std::ptr::copy_nonoverlapping(s.as_ptr(), value, s.len());
        }
        self.register(header, object.layout.size());
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
    /// let heap = Heap::with_config(Config { max_heap_bytes: Some(1024), ..Config::default() });
    /// assert!(heap.try_alloc_slice(&[1u64, 2, 3]).is_ok());
    /// assert!(heap.try_alloc_slice(&[0u64; 1024]).is_err());
    /// ```
    #[track_caller]
    pub fn try_alloc_slice<T: Trace + Clone + 'static>(
        &self,
        items: &[T],
    ) -> Result<Gc<[T]>, AllocError> {
        let object = slice_object_layout::<T>(items.len()).expect("slice too large for the heap");
        let header = self.raw_unsized(object, items.len(), SliceVTable::<T>::VTABLE)?;
        let fat = SliceVTable::<T>::boxed_uninit(header, items.len());
        // SAFETY: the value area after the header has room for `items.len()` elements.
        let first = unsafe { (&raw mut (*fat).value).cast::<T>() };
        // Clone into place; if a `clone` panics, drop what was written and free the memory.
        struct Partial<'a, T> {
            heap: &'a Heap,
            first: *mut T,
            written: usize,
            base: NonNull<u8>,
            layout: Layout,
        }
        impl<T> Drop for Partial<'_, T> {
            fn drop(&mut self) {
                // SAFETY: exactly `written` elements were initialised; the memory came from
                // `allocate` and was never registered.
                unsafe {
                    std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(
                        self.first,
                        self.written,
                    ));
                    self.heap.space.borrow_mut().abandon(self.base, self.layout);
                }
            }
        }
        let mut partial = Partial {
            heap: self,
            first,
            written: 0,
            // SAFETY: the allocation starts `header_offset` bytes before the header.
            base: unsafe {
                NonNull::new_unchecked(header.as_ptr().cast::<u8>().sub(object.header_offset))
            },
            layout: object.layout,
        };
        for item in items {
            // SAFETY: in bounds (`written < items.len()`), uninitialised slot.
            unsafe { first.add(partial.written).write(item.clone()) };
            partial.written += 1;
        }
        std::mem::forget(partial);
        self.register(header, object.layout.size());
        // SAFETY: non-null; the count of one belongs to this handle.
        Ok(unsafe { Gc::from_counted(NonNull::new_unchecked(fat)) })
    }

    /// Allocates an unsized object's memory, writes its length prefix and header, and returns
    /// the header (not yet registered).
    #[track_caller]
    fn raw_unsized(
        &self,
        object: ObjectLayout,
        len: usize,
        vtable: &'static VTable,
    ) -> Result<NonNull<Header>, AllocError> {
        self.make_room(object.layout.size())?;
        let base = self.space.borrow_mut().allocate(object.layout);
        // SAFETY: `header_offset` is within the allocation, and the prefix `usize` sits right
        // before it (see `slice_object_layout`); both are suitably aligned.
        unsafe {
            let header = base.as_ptr().add(object.header_offset).cast::<Header>();
            header.cast::<usize>().sub(1).write(len);
            header.write(Header::new(vtable, self.id));
            Ok(NonNull::new_unchecked(header))
        }
    }

    /// Adds an initialised object to the space and the statistics.
    fn register(&self, header: NonNull<Header>, size: usize) {
        let mut space = self.space.borrow_mut();
        space.insert(header, size);
        let bytes = space.bytes();
        drop(space);
        self.objects.set(self.objects.get() + 1);
        let mut rec = self.recorder.borrow_mut();
        rec.allocations += 1;
        rec.bytes_allocated += size as u64;
        rec.peak_bytes = rec.peak_bytes.max(bytes);
    }

    /// Runs the collections an allocation of `size` bytes calls for and enforces the limit.
    #[track_caller]
    fn make_room(&self, size: usize) -> Result<(), AllocError> {
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
        if can_collect {
            if self.config.torture {
                self.run_cycle(Trigger::Torture);
                collected = true;
            } else if self.pacer.get().due(self.bytes(), size) {
                self.run_cycle(Trigger::Pacing);
                collected = true;
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

    fn bytes(&self) -> usize {
        self.space.borrow().bytes()
    }

    /// Runs a full cycle: drain the pools, find the roots, mark, sweep. When it returns,
    /// every object unreachable at its start has been dropped and freed (except those a
    /// destructor resurrected, which are dead and freed once their last handle goes), and
    /// `stats().objects` is the number of reachable objects.
    ///
    /// # Panics
    /// If called re-entrantly: from inside `Trace::trace`, a destructor run by the sweep, a
    /// pool drain or a cycle observer. If a destructor panicked during the sweep, the first
    /// such panic is resumed after the cycle has completed (the heap stays consistent).
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// let keep = heap.alloc(1);
    /// drop(heap.alloc(2));
    /// let cycle = heap.collect();
    /// assert_eq!((cycle.objects_freed, cycle.objects_live), (1, 1));
    /// # drop(keep);
    /// ```
    #[track_caller]
    pub fn collect(&self) -> CycleStats {
        self.run_cycle(Trigger::Explicit)
    }

    /// The heap's current totals and pause distribution.
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// let _a = heap.alloc(1u64);
    /// heap.collect();
    /// let stats = heap.stats();
    /// assert!(stats.cycles >= 1); // more in torture mode: every allocation collects
    /// assert_eq!(stats.objects, 1);
    /// assert!(stats.pause_max >= stats.pause_p50);
    /// ```
    pub fn stats(&self) -> HeapStats {
        let rec = self.recorder.borrow();
        let [pause_p50, pause_p90, pause_p99] = rec.percentiles();
        HeapStats {
            cycles: rec.cycles,
            objects: self.objects.get(),
            bytes: self.bytes(),
            zombies: self.zombies.get(),
            peak_bytes: rec.peak_bytes,
            next_goal: self.pacer.get().next_goal(),
            allocations: rec.allocations,
            bytes_allocated: rec.bytes_allocated,
            objects_freed: rec.objects_freed,
            weak_slots: self.weak.borrow().len(),
            pause_total: rec.pause_total,
            pause_max: rec.pause_max,
            pause_p50,
            pause_p90,
            pause_p99,
        }
    }

    /// Calls `f` with the statistics of every cycle from now on, right after the cycle (in
    /// registration order). `f` must not call [`collect`](Heap::collect) (that panics).
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let heap = prologue_gc::Heap::new();
    /// let seen = Rc::new(Cell::new(0));
    /// let counter = Rc::clone(&seen);
    /// heap.on_cycle(move |cycle| counter.set(cycle.cycle));
    /// heap.collect();
    /// heap.collect();
    /// assert_eq!(seen.get(), 2);
    /// ```
    pub fn on_cycle(&self, f: impl FnMut(&CycleStats) + 'static) {
        self.observers.borrow_mut().push(Box::new(f));
    }
}

impl Default for Heap {
    fn default() -> Heap {
        Heap::new()
    }
}

impl fmt::Debug for Heap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heap")
            .field("id", &self.id)
            .field("objects", &self.objects.get())
            .field("bytes", &self.bytes())
            .field("phase", &self.phase.get())
            .finish()
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        // A final cycle frees what nothing outside holds; whatever survives is leaked so the
        // handles to it stay valid (see the type's docs).
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if self.phase.get() == Phase::Idle {
                self.run_cycle(Trigger::HeapDrop);
            }
        }));
        self.phase.set(Phase::Dropped);
        weak::unregister_table(self.id);
        self.space.borrow_mut().leak_all();
        if let Err(payload) = result {
            if !std::thread::panicking() {
                std::panic::resume_unwind(payload);
            }
        }
    }
}
