//! [`Config`]: a heap's tuning knobs.

use std::sync::OnceLock;

/// A heap's pacing and limits. `Config::default()` is Go's defaults (GOGC=100, a 4 MiB floor,
/// no limit), with torture mode on when the environment has `PROLOGUE_GC_TORTURE=1`.
///
/// ```
/// use prologue_gc::{Config, Heap};
///
/// let heap = Heap::with_config(Config {
///     gc_percent: 50,
///     max_heap_bytes: Some(64 << 20),
///     ..Config::default()
/// });
/// assert_eq!(heap.config().gc_percent, 50);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
    /// stop-the-world cycle either way. Default: off, or on with `PROLOGUE_GC_INCREMENTAL=1`;
    /// with [`torture`](Config::torture) it takes the smallest step at every allocation and
    /// runs cycles back to back.
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

/// `PROLOGUE_GC_INCREMENTAL=1`, read once per process.
fn incremental_from_env() -> bool {
    static INCREMENTAL: OnceLock<bool> = OnceLock::new();
    *INCREMENTAL.get_or_init(|| std::env::var("PROLOGUE_GC_INCREMENTAL").is_ok_and(|v| v == "1"))
}

/// `PROLOGUE_GC_TORTURE=1`, read once per process.
fn torture_from_env() -> bool {
    static TORTURE: OnceLock<bool> = OnceLock::new();
    *TORTURE.get_or_init(|| std::env::var("PROLOGUE_GC_TORTURE").is_ok_and(|v| v == "1"))
}
