//! What a cycle did ([`CycleStats`]) and what the heap has done so far ([`HeapStats`]).
//!
//! Both are `#[non_exhaustive]`: the collector adds figures as it learns to do more, and code
//! that reads them keeps compiling. With the `serde` feature both derive `serde::Serialize`;
//! every `Duration` field is written as an integer number of **nanoseconds** (so
//! `pause: 1200` is 1.2 µs).

use std::fmt;
use std::time::Duration;

/// Why a cycle ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum Trigger {
    /// [`Heap::collect`](crate::Heap::collect).
    Explicit,
    /// An allocation passed the pacing goal.
    Pacing,
    /// An allocation would pass `max_heap_bytes`.
    Limit,
    /// Torture mode: every allocation collects.
    Torture,
    /// The heap is being dropped.
    HeapDrop,
    /// A young cycle: the objects allocated since the last cycle outgrew the nursery
    /// ([`Config::young_bytes`](crate::Config::young_bytes)).
    Young,
}

/// What one collection cycle did. Durations are wall-clock times of each phase; `pause` is
/// their sum: the time the cycle stopped the program, in one stop for a young or
/// stop-the-world cycle, in `stops` stops for an incremental one.
///
/// Its `Display` is the `PROLOGUE_GCTRACE=1` line (Go's `GODEBUG=gctrace=1`):
///
/// ```text
/// gc 7 @0.412s pacing: 0.003+0.000+0.210+0.350+0.120 ms clear_pools+release+roots+mark+sweep = 0.690 ms pause (+0.004 ms pool drop); 8192.0->4100.5->8201.0 KiB heap->live->goal; 1 roots, 5120 live, 4890 freed (0 released); 2 pools, 31 items drained
/// ```
///
/// ```
/// let heap = prologue_gc::Heap::new();
/// let line = heap.collect().to_string();
/// assert!(line.starts_with("gc 1 @"));
/// assert!(line.contains("clear_pools+release+roots+mark+sweep"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CycleStats {
    /// 1 for the heap's first cycle, then counting up.
    pub cycle: u64,
    /// Why the cycle ran.
    pub trigger: Trigger,
    /// When the cycle started, measured from the creation of the process's first heap.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub at: Duration,
    /// The time the cycle stopped the program: `sweep_finish + clear_pools + release + roots +
    /// mark + finalize + sweep` (plus bookkeeping). A whole cycle that replaced an incremental
    /// one in progress (`collect()`, the limit) includes that one's stops here, in `stops`,
    /// `longest_stop` and `wall`, and its `at` is that one's start, so that the cycles' pauses
    /// add up to every [`Pause`](crate::Pause) recorded except sweep steps (a cycle a panic in
    /// `Trace::trace` abandoned is the exception: it reports nothing).
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub pause: Duration,
    /// Whether the cycle ran incrementally (in steps between which the program ran).
    pub incremental: bool,
    /// How many times the cycle stopped the program (1 unless incremental, or replacing an
    /// incremental cycle: see [`pause`](Self::pause)).
    pub stops: u32,
    /// The longest of those stops.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub longest_stop: Duration,
    /// From the cycle's start to its end, the program's time between stops included.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub wall: Duration,
    /// The collector ran out of its budget. An incremental cycle: the heap passed its goal by
    /// half before the steps had finished, and the rest of the marking was done in one stop.
    /// A young cycle (incremental cycles on): its mark reached the pause target, and every
    /// young object it had not proven dead was promoted as it stood, for a full cycle to
    /// judge; or its release walk reached half the pause target, and the objects it had not
    /// reached stayed young for the next young cycle, while those it had kept were promoted.
    pub outrun: bool,
    /// A young cycle that promoted what its release left without counting and marking it:
    /// once a young cycle's mark has found (almost) no garbage cycles among those objects,
    /// the next seven promote them as they stand, and the eighth looks again (see the gc
    /// crate's young-generation docs). An outrun young cycle is unexamined too, and so is one
    /// that runs while an incremental cycle marks (its objects were born marked: rule 13).
    pub unexamined: bool,
    /// Finishing the previous cycle's lazy sweep (the pages no allocation had swept yet)
    /// before anything is counted.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub sweep_finish: Duration,
    /// `gc_start`: detaching every pool's contents and dropping this thread's `LocalPool`
    /// values (the ones that may hold handles).
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub clear_pools: Duration,
    /// A young cycle's first step: releasing the objects no handle names, and what that
    /// frees in turn, before anything is traced (`release.rs`). Zero for full cycles.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub release: Duration,
    /// Objects the release step freed (included in `objects_freed`).
    pub objects_released: usize,
    /// Root discovery: counting the handles inside the heap.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub roots: Duration,
    /// Marking from the roots.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub mark: Duration,
    /// Running the finalizers of the objects found unreachable (inside the pause, between
    /// condemning and dropping).
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub finalize: Duration,
    /// Dropping the unreachable values and freeing their memory (finalizers excluded). For a
    /// lazy sweep only what stays in the pause: emptying the weak slots of unreachable objects
    /// and marking every page unswept.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub sweep: Duration,
    /// Whether this cycle left its sweep to the allocations that follow (pacing-triggered
    /// cycles do; `collect()` and every other trigger sweep before returning).
    pub lazy_sweep: bool,
    /// After the pause: dropping the values detached from the shared pools (not part of
    /// `pause`).
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub pool_drop: Duration,
    /// Objects held from outside the heap (handle count above internal references).
    pub roots_found: usize,
    /// Objects found unreachable and dropped by this cycle (by a lazy sweep: found
    /// unreachable, and dropped by the allocations that follow).
    pub objects_freed: usize,
    /// Bytes freed by this cycle (including memory of objects dead in earlier cycles whose
    /// last handle has gone); 0 for a lazy sweep, which frees as allocation sweeps.
    pub bytes_freed: usize,
    /// Objects found reachable.
    pub objects_live: usize,
    /// Heap bytes after the sweep that zombies do not hold: the reachable objects (plus any
    /// object a destructor allocated during the sweep).
    pub bytes_live: usize,
    /// Dead objects whose memory is kept because a destructor resurrected a handle to them.
    pub zombies: usize,
    /// Heap bytes when the cycle started.
    pub heap_before: usize,
    /// Heap bytes when the cycle ended.
    pub heap_after: usize,
    /// Heap bytes at which the next pacing-triggered cycle starts.
    pub next_goal: usize,
    /// Pools visited by the drain.
    pub pools_drained: usize,
    /// Pooled values the drain dropped (local ones in the pause, shared ones after it).
    pub pool_items_drained: usize,
    /// Finalizers run by this cycle.
    pub finalized: usize,
    /// Finalizers and destructors that panicked during the cycle (the first panic is resumed
    /// once the cycle has completed).
    pub destructor_panics: usize,
}

/// A cycle that did nothing: explicit, all counts and times zero. The collector never reports
/// one; it is for code outside this crate that builds a `CycleStats` (the struct is
/// `#[non_exhaustive]`, so a literal is refused), for instance to test an
/// [`on_cycle`](crate::Heap::on_cycle) observer:
///
/// ```
/// use prologue_gc::CycleStats;
/// use std::time::Duration;
///
/// let mut cycle = CycleStats::default();
/// cycle.cycle = 3;
/// cycle.pause = Duration::from_micros(1500);
/// cycle.objects_freed = 10;
/// assert!(cycle.to_string().starts_with("gc 3 @0.000s explicit: "));
/// ```
impl Default for CycleStats {
    fn default() -> CycleStats {
        CycleStats {
            cycle: 0,
            trigger: Trigger::Explicit,
            at: Duration::ZERO,
            pause: Duration::ZERO,
            incremental: false,
            stops: 0,
            longest_stop: Duration::ZERO,
            wall: Duration::ZERO,
            outrun: false,
            unexamined: false,
            sweep_finish: Duration::ZERO,
            clear_pools: Duration::ZERO,
            release: Duration::ZERO,
            objects_released: 0,
            roots: Duration::ZERO,
            mark: Duration::ZERO,
            finalize: Duration::ZERO,
            sweep: Duration::ZERO,
            lazy_sweep: false,
            pool_drop: Duration::ZERO,
            roots_found: 0,
            objects_freed: 0,
            bytes_freed: 0,
            objects_live: 0,
            bytes_live: 0,
            zombies: 0,
            heap_before: 0,
            heap_after: 0,
            next_goal: 0,
            pools_drained: 0,
            pool_items_drained: 0,
            finalized: 0,
            destructor_panics: 0,
        }
    }
}

/// The heap's totals and pause distribution. A pause is any stop of the program for the
/// collector ([`Pause`](crate::Pause)): a cycle, or a page an allocation had to sweep. Durations
/// and percentiles cover every pause so far; percentiles come from an HDR histogram (2
/// significant digits: within 1%).
///
/// `HeapStats::default()` has every figure zero (the MMUs too), for code outside this crate
/// that builds one (the struct is `#[non_exhaustive]`), such as tests of a report:
///
/// ```
/// let mut stats = prologue_gc::HeapStats::default();
/// stats.cycles = 2;
/// assert_eq!(stats.objects, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct HeapStats {
    /// Cycles run.
    pub cycles: u64,
    /// Pauses: every cycle, and every sweep an allocation had to make.
    pub pauses: u64,
    /// Objects that are not dead (after `collect()`: exactly the reachable ones).
    pub objects: usize,
    /// Bytes of all objects, headers included.
    pub bytes: usize,
    /// Dead objects whose memory a resurrected handle still holds.
    pub zombies: usize,
    /// Largest `bytes` ever seen.
    pub peak_bytes: usize,
    /// Heap bytes at which the next pacing-triggered cycle starts.
    pub next_goal: usize,
    /// Objects allocated so far.
    pub allocations: u64,
    /// Bytes allocated so far.
    pub bytes_allocated: u64,
    /// Objects freed so far.
    pub objects_freed: u64,
    /// Objects with a weak slot.
    pub weak_slots: usize,
    /// Sum of all pauses.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub pause_total: Duration,
    /// Longest pause.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub pause_max: Duration,
    /// Median pause.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub pause_p50: Duration,
    /// 90th percentile pause.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub pause_p90: Duration,
    /// 99th percentile pause.
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub pause_p99: Duration,
    /// Minimum mutator utilisation over 1 ms windows: the least share of any millisecond of
    /// the heap's life that the program had to itself (1.0: never paused; 0.0: some pause
    /// lasted a whole millisecond). See `mmu.rs`.
    pub mmu_1ms: f64,
    /// The same over 10 ms windows.
    pub mmu_10ms: f64,
    /// The same over 100 ms windows.
    pub mmu_100ms: f64,
}

#[cfg(feature = "serde")]
fn nanos<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_nanos().min(u64::MAX as u128) as u64)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn kib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Trigger::Explicit => "explicit",
            Trigger::Pacing => "pacing",
            Trigger::Limit => "limit",
            Trigger::Torture => "torture",
            Trigger::HeapDrop => "heap-drop",
            Trigger::Young => "young",
        })
    }
}

impl fmt::Display for CycleStats {
    /// The gctrace line, without a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gc {} @{:.3}s {}: {:.3}+{:.3}+{:.3}+{:.3}+{:.3} ms clear_pools+release+roots+mark+sweep = {:.3} ms pause{} \
             (+{:.3} ms pool drop); \
             {:.1}->{:.1}->{:.1} KiB heap->live->goal; {} roots, {} live, {} freed ({} released); {} pools, {} items drained",
            self.cycle,
            self.at.as_secs_f64(),
            self.trigger,
            ms(self.clear_pools),
            ms(self.release),
            ms(self.roots),
            ms(self.mark),
            ms(self.sweep),
            ms(self.pause),
            IncrementalNote(self),
            ms(self.pool_drop),
            kib(self.heap_before),
            kib(self.heap_after),
            kib(self.next_goal),
            self.roots_found,
            self.objects_live,
            self.objects_freed,
            self.objects_released,
            self.pools_drained,
            self.pool_items_drained,
        )
    }
}

/// ` in 12 stops, longest 0.210 ms over 35.000 ms` for an incremental cycle; nothing otherwise.
struct IncrementalNote<'a>(&'a CycleStats);

impl fmt::Display for IncrementalNote<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        if !c.incremental {
            return Ok(());
        }
        write!(
            f,
            " in {} stops, longest {:.3} ms over {:.3} ms{}",
            c.stops,
            ms(c.longest_stop),
            ms(c.wall),
            if c.outrun { ", outrun" } else { "" }
        )
    }
}
