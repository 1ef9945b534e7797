//! What a cycle did ([`CycleStats`]) and what the heap has done so far ([`HeapStats`]).
//!
//! With the `serde` feature both derive `serde::Serialize`; every `Duration` field is written
//! as an integer number of **nanoseconds** (so `pause: 1200` is 1.2 µs).

use std::time::Duration;

use hdrhistogram::Histogram;

/// Why a cycle ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
/// their sum (the whole cycle runs with the program stopped).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CycleStats {
    /// 1 for the heap's first cycle, then counting up.
    pub cycle: u64,
    /// Why the cycle ran.
    pub trigger: Trigger,
    /// The whole cycle: `sweep_finish + clear_pools + release + roots + mark + finalize +
    /// sweep` (plus bookkeeping).
    #[cfg_attr(feature = "serde", serde(serialize_with = "nanos"))]
    pub pause: Duration,
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

/// The heap's totals and pause distribution. Durations and percentiles cover every cycle so
/// far; percentiles come from an HDR histogram (2 significant digits: within 1%).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HeapStats {
    /// Cycles run.
    pub cycles: u64,
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
}

#[cfg(feature = "serde")]
fn nanos<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_nanos().min(u64::MAX as u128) as u64)
}

/// Running totals kept by the heap.
pub(crate) struct Recorder {
    pub(crate) cycles: u64,
    pub(crate) objects_freed: u64,
    pub(crate) pause_total: Duration,
    pub(crate) pause_max: Duration,
    /// Pauses in nanoseconds; created at the first cycle.
    pauses: Option<Histogram<u64>>,
    /// p50, p90, p99, computed on demand: reading them walks the histogram's buckets, so
    /// they are cached until the next pause is recorded.
    percentiles: std::cell::Cell<Option<[Duration; 3]>>,
}

/// The histogram's range: 1 ns to one hour, 2 significant digits (within 1%; about 40 KiB).
const HIST_MAX_NANOS: u64 = 3_600_000_000_000;

impl Recorder {
    pub(crate) fn new() -> Recorder {
        Recorder {
            cycles: 0,
            objects_freed: 0,
            pause_total: Duration::ZERO,
            pause_max: Duration::ZERO,
            pauses: None,
            percentiles: std::cell::Cell::new(None),
        }
    }

    /// Counts one finished cycle (full or young): its pause and the objects its sweep freed
    /// in the pause. Returns the cycle's number.
    pub(crate) fn record_cycle(&mut self, pause: Duration, objects_freed: usize) -> u64 {
        self.cycles += 1;
        self.objects_freed += objects_freed as u64;
        self.record_pause(pause);
        self.cycles
    }

    fn record_pause(&mut self, pause: Duration) {
        self.pause_total += pause;
        self.pause_max = self.pause_max.max(pause);
        let hist = self.pauses.get_or_insert_with(|| {
            Histogram::new_with_bounds(1, HIST_MAX_NANOS, 2).expect("valid histogram bounds")
        });
        let nanos = (pause.as_nanos() as u64).clamp(1, HIST_MAX_NANOS);
        hist.saturating_record(nanos);
        self.percentiles.set(None);
    }

    /// The p50, p90 and p99 pauses.
    pub(crate) fn percentiles(&self) -> [Duration; 3] {
        if let Some(cached) = self.percentiles.get() {
            return cached;
        }
        let computed = [
            self.percentile(0.50),
            self.percentile(0.90),
            self.percentile(0.99),
        ];
        self.percentiles.set(Some(computed));
        computed
    }

    fn percentile(&self, q: f64) -> Duration {
        match &self.pauses {
            // The histogram reports a bucket's upper edge, which can pass the true maximum.
            Some(h) if !h.is_empty() => {
                Duration::from_nanos(h.value_at_quantile(q)).min(self.pause_max)
            }
            _ => Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_follow_the_recorded_pauses() {
        let mut r = Recorder::new();
        assert_eq!(r.percentile(0.5), Duration::ZERO);
        for us in 1..=100u64 {
            r.record_pause(Duration::from_micros(us));
        }
        let p50 = r.percentile(0.5).as_micros();
        let p99 = r.percentile(0.99).as_micros();
        assert!((49..=51).contains(&p50), "p50 {p50}");
        assert!((98..=100).contains(&p99), "p99 {p99}");
        assert_eq!(r.pause_max, Duration::from_micros(100));
        assert_eq!(r.pause_total, Duration::from_micros(5050));
    }
}
