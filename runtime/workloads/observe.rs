//! What the collector did during a workload: one record per cycle, gathered with
//! [`Heap::on_cycle`], and the summaries a report needs (pause percentiles, share of wall time).

use prologue_gc::{CycleStats, Heap, HeapStats};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// One collection cycle as a workload saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleRecord {
    /// The mutator thread whose heap collected (0 for single-threaded workloads).
    pub thread: usize,
    /// When the cycle ended, measured from the start of the run.
    pub at: Duration,
    /// The whole pause.
    pub pause: Duration,
    /// The part of the pause spent draining pools (`gc_start`).
    pub clear_pools: Duration,
    /// Heap bytes when the cycle started.
    pub heap_before: usize,
    /// Heap bytes when it ended.
    pub heap_after: usize,
    /// Objects the cycle freed.
    pub objects_freed: usize,
    /// Pooled values the cycle's drain dropped.
    pub pool_items_drained: usize,
}

impl CycleRecord {
    fn new(thread: usize, at: Duration, stats: &CycleStats) -> CycleRecord {
        CycleRecord {
            thread,
            at,
            pause: stats.pause,
            clear_pools: stats.clear_pools,
            heap_before: stats.heap_before,
            heap_after: stats.heap_after,
            objects_freed: stats.objects_freed,
            pool_items_drained: stats.pool_items_drained,
        }
    }
}

/// Every cycle of a run, with the heap's peak size.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GcSummary {
    /// The cycles, in the order they ended.
    pub cycles: Vec<CycleRecord>,
    /// The largest heap size reached, in bytes (summed over the threads' heaps when several ran).
    pub heap_peak_bytes: usize,
    /// Each heap's own statistics at the end of the run (one per mutator thread).
    pub heaps: Vec<HeapStats>,
}

impl GcSummary {
    /// Merges the summaries of several threads' heaps: cycles sorted by end time, peaks summed.
    pub fn merge(parts: impl IntoIterator<Item = GcSummary>) -> GcSummary {
        let mut merged = GcSummary::default();
        for part in parts {
            merged.cycles.extend(part.cycles);
            merged.heap_peak_bytes += part.heap_peak_bytes;
            merged.heaps.extend(part.heaps);
        }
        merged.cycles.sort_by_key(|c| c.at);
        merged
    }

    /// The number of cycles.
    pub fn cycle_count(&self) -> usize {
        self.cycles.len()
    }

    /// The sum of all pauses.
    pub fn pause_total(&self) -> Duration {
        self.cycles.iter().map(|c| c.pause).sum()
    }

    /// The longest pause (zero when no cycle ran).
    pub fn pause_max(&self) -> Duration {
        self.cycles
            .iter()
            .map(|c| c.pause)
            .max()
            .unwrap_or_default()
    }

    /// The pause at quantile `q` in `[0, 1]` (nearest rank; zero when no cycle ran).
    ///
    /// ```
    /// use prologue::workloads::GcSummary;
    /// assert_eq!(GcSummary::default().pause_quantile(0.99), std::time::Duration::ZERO);
    /// ```
    pub fn pause_quantile(&self, q: f64) -> Duration {
        let mut pauses: Vec<Duration> = self.cycles.iter().map(|c| c.pause).collect();
        if pauses.is_empty() {
            return Duration::ZERO;
        }
        pauses.sort_unstable();
        let rank = (q.clamp(0.0, 1.0) * pauses.len() as f64).ceil() as usize;
        pauses[rank.clamp(1, pauses.len()) - 1]
    }

    /// Total pause as a share of `wall` (of one thread's wall time: with several threads, each
    /// pausing only its own heap, this can exceed what any one thread lost).
    pub fn gc_time_share(&self, wall: Duration) -> f64 {
        if wall.is_zero() {
            0.0
        } else {
            self.pause_total().as_secs_f64() / wall.as_secs_f64()
        }
    }

    /// Pooled values dropped by all cycles' drains.
    pub fn pool_items_drained(&self) -> usize {
        self.cycles.iter().map(|c| c.pool_items_drained).sum()
    }
}

/// Collects a [`CycleRecord`] for every cycle of one heap.
pub(crate) struct Recorder {
    records: Rc<RefCell<Vec<CycleRecord>>>,
}

impl Recorder {
    /// Starts recording the cycles of `heap`, timed from `start`.
    pub(crate) fn attach(heap: &Heap, thread: usize, start: Instant) -> Recorder {
        let records = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&records);
        heap.on_cycle(move |stats: &CycleStats| {
            sink.borrow_mut()
                .push(CycleRecord::new(thread, start.elapsed(), stats));
        });
        Recorder { records }
    }

    /// Stops recording and summarises what `heap` did.
    pub(crate) fn finish(self, heap: &Heap) -> GcSummary {
        let cycles = std::mem::take(&mut *self.records.borrow_mut());
        let stats = heap.stats();
        let heap_peak_bytes = cycles
            .iter()
            .map(|c| c.heap_before)
            .chain([stats.peak_bytes, stats.bytes])
            .max()
            .unwrap_or(0);
        GcSummary {
            cycles,
            heap_peak_bytes,
            heaps: vec![stats],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_pauses(micros: &[u64]) -> GcSummary {
        GcSummary {
            cycles: micros
                .iter()
                .map(|&us| CycleRecord {
                    thread: 0,
                    at: Duration::ZERO,
                    pause: Duration::from_micros(us),
                    clear_pools: Duration::ZERO,
                    heap_before: 0,
                    heap_after: 0,
                    objects_freed: 0,
                    pool_items_drained: 0,
                })
                .collect(),
            heap_peak_bytes: 0,
            heaps: Vec::new(),
        }
    }

    #[test]
    fn quantiles_use_nearest_rank() {
        let s = with_pauses(&[5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
        assert_eq!(s.pause_quantile(0.5), Duration::from_micros(5));
        assert_eq!(s.pause_quantile(0.99), Duration::from_micros(10));
        assert_eq!(s.pause_quantile(0.0), Duration::from_micros(1));
        assert_eq!(s.pause_max(), Duration::from_micros(10));
        assert_eq!(s.pause_total(), Duration::from_micros(55));
    }

    #[test]
    fn share_of_wall_time() {
        let s = with_pauses(&[250_000]);
        assert!((s.gc_time_share(Duration::from_secs(1)) - 0.25).abs() < 1e-9);
        assert_eq!(s.gc_time_share(Duration::ZERO), 0.0);
    }
}
