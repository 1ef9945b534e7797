//! [`Config`]: a heap's tuning knobs.

use std::sync::OnceLock;

/// A heap's pacing and limits. `Config::default()` is Go's defaults (GOGC=100, a 4 MiB floor,
/// no limit), with torture mode on when the environment has `PROLOGUE_GC_TORTURE=1`.
///
/// Build one from the default with the setters, one per field, each named after its field:
///
/// ```
/// use prologue_gc::{Config, Heap};
///
/// let heap = Heap::with_config(Config::default().gc_percent(50).max_heap_bytes(64 << 20));
/// assert_eq!(heap.config().gc_percent, 50);
/// assert_eq!(heap.config().max_heap_bytes, Some(64 << 20));
/// ```
///
/// The struct is `#[non_exhaustive]`: outside this crate it cannot be written as a struct
/// literal (not even with `..Config::default()`), so adding a knob breaks no caller. Its fields
/// stay public to read, and to assign on a `Config` you already have.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Config {
    /// Go's GOGC: the next cycle starts once the heap has grown by this percentage over what
    /// the last cycle left live. `0` collects whenever the heap grows past the live size (or
    /// the floor). Default 100.
    pub gc_percent: u32,
    /// The smallest heap goal: no pacing-triggered cycle runs while the heap is below it.
    /// Default 4 MiB, Go's floor.
    pub min_heap_bytes: usize,
    /// A hard limit on the heap's bytes: an allocation that would pass it even after a
    /// collection fails ([`Heap::try_alloc`](crate::Heap::try_alloc) returns an error,
    /// [`Heap::alloc`](crate::Heap::alloc) panics). Default `None`.
    pub max_heap_bytes: Option<usize>,
    /// Collect before every allocation and verify the heap after every cycle: slow, and the
    /// surest way to find a value a `Trace` impl forgets. Default: `PROLOGUE_GC_TORTURE=1`.
    pub torture: bool,
    /// The nursery: a *young* cycle (objects allocated since the last cycle only; no pool
    /// drain) runs when this many bytes have been allocated young, or earlier if the full
    /// cycle's goal is closer. `0` turns the young generation off: every cycle is full.
    /// Default 4 MiB.
    pub young_bytes: usize,
    /// Run pacing-triggered full cycles incrementally: a short start pause, then counting,
    /// root finding and marking in steps paid for by allocation, a short final pause, and a
    /// lazy sweep (see the crate docs, "Incremental full cycles"). `collect()` stays a whole
    /// stop-the-world cycle either way. Default: on (off with `PROLOGUE_GC_INCREMENTAL=0`),
    /// because the longest stop is what programs with users feel: a stop-the-world cycle
    /// stops the program for time proportional to the live heap, a step for at most the
    /// [`pause_target`](Config::pause_target). The price is throughput and memory: the
    /// barriers (a thread-local test per `Gc::clone`, `WeakGc::upgrade` and cell write while
    /// a cycle marks), smaller young cycles (the nursery is sized by the pause target), and
    /// objects born during marking, which survive until the next cycle. Turn it off for batch
    /// work that only cares about total time. With [`torture`](Config::torture) it takes the
    /// smallest step at every allocation and runs cycles back to back.
    pub incremental: bool,
    /// How long one incremental step may stop the program (a step may pass it by one page's
    /// walk); with incremental cycles on, young cycles are sized to take about half of it.
    /// Steps also stop early once they have paid for the allocation that called them. Default
    /// 250 µs: a quarter of a 1 ms goal for the longest stop, leaving room for the start and
    /// final pauses and for timer granularity.
    pub pause_target: std::time::Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            gc_percent: 100,
            min_heap_bytes: 4 << 20,
            max_heap_bytes: None,
            torture: torture_from_env(),
            young_bytes: 4 << 20,
            incremental: incremental_from_env(),
            pause_target: std::time::Duration::from_micros(250),
        }
    }
}

/// The setters: `Config::default().gc_percent(50).incremental(true)`. Each replaces one field
/// and returns the whole `Config`, so they chain.
impl Config {
    /// Sets [`gc_percent`](Config::gc_percent), Go's GOGC: how far the old generation grows
    /// over what the last full cycle left live before the next full cycle starts.
    ///
    /// ```
    /// let config = prologue_gc::Config::default().gc_percent(50);
    /// assert_eq!(config.gc_percent, 50);
    /// ```
    #[must_use]
    pub fn gc_percent(mut self, percent: u32) -> Config {
        self.gc_percent = percent;
        self
    }

    /// Sets [`min_heap_bytes`](Config::min_heap_bytes), the smallest heap goal.
    ///
    /// ```
    /// let config = prologue_gc::Config::default().min_heap_bytes(64 << 10);
    /// assert_eq!(config.min_heap_bytes, 64 << 10);
    /// ```
    #[must_use]
    pub fn min_heap_bytes(mut self, bytes: usize) -> Config {
        self.min_heap_bytes = bytes;
        self
    }

    /// Sets [`max_heap_bytes`](Config::max_heap_bytes), the hard limit: a number of bytes, or
    /// `None` for no limit.
    ///
    /// ```
    /// use prologue_gc::Config;
    ///
    /// let limited = Config::default().max_heap_bytes(64 << 20);
    /// assert_eq!(limited.max_heap_bytes, Some(64 << 20));
    /// assert_eq!(limited.max_heap_bytes(None).max_heap_bytes, None);
    /// ```
    #[must_use]
    pub fn max_heap_bytes(mut self, limit: impl Into<Option<usize>>) -> Config {
        self.max_heap_bytes = limit.into();
        self
    }

    /// Sets [`torture`](Config::torture): collect before every allocation and verify after
    /// every cycle. `false` also overrides `PROLOGUE_GC_TORTURE=1`.
    ///
    /// ```
    /// let config = prologue_gc::Config::default().torture(false);
    /// assert!(!config.torture);
    /// ```
    #[must_use]
    pub fn torture(mut self, torture: bool) -> Config {
        self.torture = torture;
        self
    }

    /// Sets [`young_bytes`](Config::young_bytes), the nursery's size; `0` makes every cycle
    /// full.
    ///
    /// ```
    /// let config = prologue_gc::Config::default().young_bytes(0);
    /// assert_eq!(config.young_bytes, 0);
    /// ```
    #[must_use]
    pub fn young_bytes(mut self, bytes: usize) -> Config {
        self.young_bytes = bytes;
        self
    }

    /// Sets [`incremental`](Config::incremental): run pacing-triggered full cycles in bounded
    /// steps (the default) or stop the world for each. Overrides `PROLOGUE_GC_INCREMENTAL`.
    ///
    /// ```
    /// let config = prologue_gc::Config::default().incremental(true);
    /// assert!(config.incremental);
    /// ```
    #[must_use]
    pub fn incremental(mut self, incremental: bool) -> Config {
        self.incremental = incremental;
        self
    }

    /// Sets [`pause_target`](Config::pause_target), how long one incremental step may stop the
    /// program.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = prologue_gc::Config::default()
    ///     .incremental(true)
    ///     .pause_target(Duration::from_micros(500));
    /// assert_eq!(config.pause_target, Duration::from_micros(500));
    /// ```
    #[must_use]
    pub fn pause_target(mut self, target: std::time::Duration) -> Config {
        self.pause_target = target;
        self
    }
}

/// On unless `PROLOGUE_GC_INCREMENTAL=0`, read once per process.
fn incremental_from_env() -> bool {
    static INCREMENTAL: OnceLock<bool> = OnceLock::new();
    *INCREMENTAL.get_or_init(|| std::env::var("PROLOGUE_GC_INCREMENTAL").map_or(true, |v| v != "0"))
}

/// `PROLOGUE_GC_TORTURE=1`, read once per process.
fn torture_from_env() -> bool {
    static TORTURE: OnceLock<bool> = OnceLock::new();
    *TORTURE.get_or_init(|| std::env::var("PROLOGUE_GC_TORTURE").is_ok_and(|v| v == "1"))
}
