//! [`Heap`]: owns the objects and runs the cycles (its allocation entry points are in
//! `heap_alloc.rs`).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::alloc::ObjectSpace;
use crate::config::Config;
use crate::header::Header;
use crate::incremental::Marking;
use crate::observers::Observers;
use crate::pacing::Pacer;
use crate::recorder::Recorder;
use crate::slot_cache::{SlotCache, KINDS};
use crate::stats::{CycleStats, HeapStats, Trigger};
use crate::sweep::Doomed;
use crate::trace::Tracer;
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
    /// Finalizers run (between condemning and dropping).
    Finalize,
    /// Statistics, gctrace and observers.
    End,
    /// `verify()` is tracing the heap (user `trace` runs).
    Verify,
    /// The heap is being dropped.
    Dropped,
}

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
/// Dropping a `Heap` runs a final collection (and, if that ran finalizers, a few more to free
/// their objects). Objects still reachable from handles outside the heap are then *leaked*: their memory stays valid for as long as the process runs (so
/// the handles keep working, and dereferencing them is safe), but their values are never
/// dropped. Drop the handles first to avoid the leak.
pub struct Heap {
    pub(crate) id: u32,
    pub(crate) config: Config,
    pub(crate) phase: Cell<Phase>,
    pub(crate) space: RefCell<ObjectSpace>,
    /// Each small-object kind's claimed bitmap word (`slot_cache.rs`).
    pub(crate) slot_caches: [SlotCache; KINDS],
    /// Bytes that can be allocated before any cycle could be due (`slot_cache.rs`).
    pub(crate) budget: Cell<usize>,
    /// Objects that are not dead (garbage a lazy sweep has not reached yet included).
    pub(crate) objects: Cell<usize>,
    /// The heap size pacing compares with its goal: what the last cycle found live plus every
    /// byte allocated since (garbage left for a lazy sweep is not counted).
    pub(crate) paced: Cell<usize>,
    /// The young generation: every object that is not old (allocated since the last cycle,
    /// large and finalizable ones excepted), and their bytes.
    pub(crate) young: RefCell<Vec<NonNull<Header>>>,
    pub(crate) young_bytes: Cell<usize>,
    /// Young bytes that start a young cycle: `Config::young_bytes`, or less when incremental
    /// cycles size it by the pause target (`young.rs`).
    pub(crate) nursery: Cell<usize>,
    /// Young cycles left that promote without counting and marking (`young.rs`).
    pub(crate) young_skips: Cell<u8>,
    /// How many entries at the front of the young list a young cycle's release walk left
    /// unreached (`young.rs`): the next walk takes them first, so that none starves.
    pub(crate) young_backlog: Cell<usize>,
    /// Scratch lists of the release step (`release.rs`): targets to look at, and the
    /// released objects to free.
    pub(crate) release_stack: RefCell<Vec<NonNull<Header>>>,
    pub(crate) released: RefCell<Vec<NonNull<Header>>>,
    /// Objects and bytes allocated so far.
    pub(crate) allocations: Cell<u64>,
    pub(crate) bytes_allocated: Cell<u64>,
    /// Bytes allocated straight into the old generation (large and finalizable objects, and
    /// every object when the young generation is off): what an incremental cycle's steps
    /// charge in full.
    pub(crate) bytes_born_old: Cell<u64>,
    /// The share of young bytes that survive a young cycle's release, in 256ths, averaged
    /// over the last cycles (`young.rs`): how much of the young allocation an incremental
    /// cycle's steps charge (`incremental/`).
    pub(crate) young_survival: Cell<u32>,
    pub(crate) pacer: Cell<Pacer>,
    pub(crate) tracer: RefCell<Tracer>,
    /// Scratch list of condemned objects, reused by every sweep.
    pub(crate) doomed: RefCell<Vec<Doomed>>,
    /// Scratch list of an eager sweep: the pages holding dead objects.
    pub(crate) dead_pages: RefCell<Vec<u32>>,
    /// Scratch list of an eager sweep: one page's dead objects.
    pub(crate) page_doomed: RefCell<Vec<Doomed>>,
    /// Live objects whose finalizer has not run yet.
    pub(crate) finalizable: RefCell<Vec<NonNull<Header>>>,
    pub(crate) recorder: RefCell<Recorder>,
    pub(crate) weak: Rc<RefCell<WeakTable>>,
    pub(crate) observers: Observers,
    /// The flags objects are born with: `MARKED` while an incremental cycle marks (rule 8),
    /// else 0 (`birth_flags` adds `OLD` for objects that skip the young generation).
    pub(crate) birth: Cell<u32>,
    /// The incremental cycle in progress (`incremental/`).
    pub(crate) marking: RefCell<Option<Box<Marking>>>,
    /// `bytes_allocated` at the last sweep step an incremental cycle's start waited for: the
    /// next one comes a step's allocation later (`heap_alloc.rs`, `pace_incremental`).
    pub(crate) sweep_paid_until: Cell<u64>,
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
    /// let heap = Heap::with_config(Config::default().gc_percent(200));
    /// assert_eq!(heap.config().gc_percent, 200);
    /// ```
    pub fn with_config(config: Config) -> Heap {
        crate::gctrace::note_start();
        let id = new_heap_id();
        let weak = Rc::new(RefCell::new(WeakTable::default()));
        weak::register_table(id, Rc::clone(&weak));
        let poison = cfg!(debug_assertions) || config.torture;
        let nursery = config.young_bytes;
        Heap {
            id,
            pacer: Cell::new(Pacer::new(&config)),
            config,
            phase: Cell::new(Phase::Idle),
            space: RefCell::new(ObjectSpace::new(poison)),
            slot_caches: SlotCache::all_empty(),
            budget: Cell::new(0),
            objects: Cell::new(0),
            paced: Cell::new(0),
            young: RefCell::new(Vec::new()),
            young_bytes: Cell::new(0),
            nursery: Cell::new(nursery),
            young_skips: Cell::new(0),
            young_backlog: Cell::new(0),
            release_stack: RefCell::new(Vec::new()),
            released: RefCell::new(Vec::new()),
            allocations: Cell::new(0),
            bytes_allocated: Cell::new(0),
            bytes_born_old: Cell::new(0),
            young_survival: Cell::new(256),
            tracer: RefCell::new(Tracer::new(id)),
            doomed: RefCell::new(Vec::new()),
            dead_pages: RefCell::new(Vec::new()),
            page_doomed: RefCell::new(Vec::new()),
            finalizable: RefCell::new(Vec::new()),
            recorder: RefCell::new(Recorder::new()),
            weak,
            observers: Observers::default(),
            birth: Cell::new(0),
            sweep_paid_until: Cell::new(0),
            marking: RefCell::new(None),
        }
    }

    /// The configuration the heap was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Bytes of the heap's objects (claimed slots the caches have not handed out excluded).
    pub(crate) fn bytes(&self) -> usize {
        self.space.borrow().bytes() - self.cached_bytes()
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
        let [mmu_1ms, mmu_10ms, mmu_100ms] = rec.mmu(std::time::Instant::now());
        HeapStats {
            cycles: rec.cycles,
            pauses: rec.pauses,
            objects: self.objects.get(),
            bytes: self.bytes(),
            zombies: self.space.borrow().zombies,
            // Peaks are noted only with the slot caches flushed (every free happens in a
            // cycle or a page sweep, which flush them first), so claimed slots never count.
            peak_bytes: self.space.borrow().noted_peak().max(self.bytes()),
            next_goal: self.pacer.get().next_goal(),
            allocations: self.allocations.get(),
            bytes_allocated: self.bytes_allocated.get(),
            objects_freed: rec.objects_freed,
            weak_slots: self.weak.borrow().len(),
            pause_total: rec.pause_total,
            pause_max: rec.pause_max,
            pause_p50,
            pause_p90,
            pause_p99,
            mmu_1ms,
            mmu_10ms,
            mmu_100ms,
        }
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

/// At most this many final cycles run when a heap is dropped (each one that ran finalizers is
/// followed by another to free their objects).
const FINAL_CYCLES: usize = 16;

impl Drop for Heap {
    fn drop(&mut self) {
        // A final cycle frees what nothing outside holds; whatever survives is leaked so the
        // handles to it stay valid (see the type's docs).
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if self.phase.get() == Phase::Idle {
                // A cycle that ran finalizers kept their objects for one more cycle; finalizers
                // may allocate finalizable objects in turn, so the rounds are bounded.
                for _ in 0..FINAL_CYCLES {
                    if self.run_cycle(Trigger::HeapDrop).finalized == 0 {
                        break;
                    }
                }
            }
        }));
        self.flush_slot_caches();
        self.phase.set(Phase::Dropped);
        weak::unregister_table(self.id);
        // The final cycle abandoned any incremental one; should it not have run (a panic left
        // the heap busy), the barriers still must forget this heap.
        crate::barrier::stop_marking(self.id);
        self.space.borrow_mut().leak_all();
        self.finalizable.borrow_mut().clear();
        if let Err(payload) = result {
            if !std::thread::panicking() {
                std::panic::resume_unwind(payload);
            }
        }
    }
}
