//! What the collector did during a workload: one record per cycle, gathered with
//! [`Heap::on_cycle`], one per stop of the program, gathered with [`Heap::on_pause`], and the
//! summaries a report needs (pause percentiles, share of wall time, minimum mutator
//! utilisation).

use super::mmu::{mmu_curve, Span};
use prologue::{Census, CycleStats, Heap, HeapStats, Pause, PauseKind};
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

/// One stop of the program for the collector (a cycle, a sweep step, whatever
/// [`Heap::on_pause`] reports), as a workload saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PauseRecord {
    /// The mutator thread that stopped (0 for single-threaded workloads).
    pub thread: usize,
    /// When the stop began, measured from the start of the run.
    pub start: Duration,
    /// How long the program waited.
    pub duration: Duration,
    /// What the collector did meanwhile.
    pub kind: PauseKind,
}

impl PauseRecord {
    /// When the program resumed, measured from the start of the run.
    pub fn end(&self) -> Duration {
        self.start + self.duration
    }
}

/// Stops counted by kind. The gc crate may add kinds; those land in `other`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PauseCounts {
    /// Young cycles.
    pub young: u64,
    /// Full-cycle stops: whole stop-the-world cycles, and an incremental cycle's start, steps
    /// and final pause.
    pub full: u64,
    /// Sweeping an allocation had to do.
    pub sweep: u64,
    /// Kinds this code does not know by name.
    pub other: u64,
    /// The longest young stop.
    pub young_max: Duration,
    /// The longest full-cycle stop.
    pub full_max: Duration,
    /// The longest sweep stop.
    pub sweep_max: Duration,
    /// The 99th percentile of the young stops (nearest rank; zero when none).
    pub young_p99: Duration,
    /// The 99th percentile of the full-cycle stops.
    pub full_p99: Duration,
    /// The 99th percentile of the sweep stops.
    pub sweep_p99: Duration,
}

/// Every cycle and every pause of a run, with the heap's peak size.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GcSummary {
    /// The cycles, in the order they ended.
    pub cycles: Vec<CycleRecord>,
    /// Every stop of the program, in the order they began (each thread's in its own order when
    /// several threads ran).
    pub pauses: Vec<PauseRecord>,
    /// The largest heap size reached, in bytes (summed over the threads' heaps when several ran).
    pub heap_peak_bytes: usize,
    /// Each heap's own statistics at the end of the run (one per mutator thread).
    pub heaps: Vec<HeapStats>,
    /// What the heaps held at the end of the run, by type (all heaps merged), when
    /// [`Params::census`](super::Params::census) asked for it.
    pub census: Option<Census>,
}

impl GcSummary {
    /// Merges the summaries of several threads' heaps: cycles sorted by end time, peaks summed.
    pub fn merge(parts: impl IntoIterator<Item = GcSummary>) -> GcSummary {
        let mut merged = GcSummary::default();
        for part in parts {
            merged.cycles.extend(part.cycles);
            merged.pauses.extend(part.pauses);
            merged.heap_peak_bytes += part.heap_peak_bytes;
            merged.heaps.extend(part.heaps);
            merged.census = match (merged.census.take(), part.census) {
                (Some(a), Some(b)) => Some(Census::merge([a, b])),
                (a, b) => a.or(b),
            };
        }
        merged.cycles.sort_by_key(|c| c.at);
        merged.pauses.sort_by_key(|p| (p.start, p.thread));
        merged
    }

    /// The number of stops of the program (every pause [`Heap::on_pause`] reported, summed
    /// over the threads).
    pub fn pause_count(&self) -> usize {
        self.pauses.len()
    }

    /// The stops by kind.
    pub fn pause_counts(&self) -> PauseCounts {
        let mut counts = PauseCounts::default();
        let (mut young, mut full, mut sweep) = (Vec::new(), Vec::new(), Vec::new());
        for pause in &self.pauses {
            let (count, max, all) = match pause.kind {
                PauseKind::Young => (&mut counts.young, &mut counts.young_max, &mut young),
                // An incremental cycle's start, steps and final pause are full-cycle stops.
                PauseKind::Full | PauseKind::Start | PauseKind::Step | PauseKind::Finish => {
                    (&mut counts.full, &mut counts.full_max, &mut full)
                }
                PauseKind::Sweep => (&mut counts.sweep, &mut counts.sweep_max, &mut sweep),
                _ => {
                    counts.other += 1;
                    continue;
                }
            };
            *count += 1;
            *max = (*max).max(pause.duration);
            all.push(pause.duration);
        }
        counts.young_p99 = nearest_rank(young, 0.99);
        counts.full_p99 = nearest_rank(full, 0.99);
        counts.sweep_p99 = nearest_rank(sweep, 0.99);
        counts
    }

    /// The stop at quantile `q` in `[0, 1]` over every stop (nearest rank; zero when none).
    pub fn stop_quantile(&self, q: f64) -> Duration {
        nearest_rank(self.pauses.iter().map(|p| p.duration).collect(), q)
    }

    /// The longest stop (zero when none).
    pub fn stop_max(&self) -> Duration {
        self.pauses
            .iter()
            .map(|p| p.duration)
            .max()
            .unwrap_or_default()
    }

    /// Minimum mutator utilisation for each window length in `windows`, over a run of length
    /// `wall`, from the pause log (see [`mmu`](super::mmu)). With several threads each thread's
    /// pauses stop only that thread: this is the worst thread's figure.
    pub fn mmu_curve(&self, wall: Duration, windows: &[Duration]) -> Vec<f64> {
        let threads = self
            .pauses
            .iter()
            .map(|p| p.thread)
            .max()
            .map_or(0, |t| t + 1);
        let mut worst = vec![1.0f64; windows.len()];
        for thread in 0..threads {
            let spans: Vec<Span> = self
                .pauses
                .iter()
                .filter(|p| p.thread == thread)
                .map(|p| Span {
                    start: p.start,
                    end: p.end(),
                })
                .collect();
            for (w, u) in worst.iter_mut().zip(mmu_curve(&spans, wall, windows)) {
                *w = w.min(u);
            }
        }
        worst
    }

    /// The number of cycles.
    pub fn cycle_count(&self) -> usize {
        self.cycles.len()
    }

    /// The time the program waited for the collector: the sum of every stop (cycles' stops,
    /// sweep steps) when stops were recorded, else of the cycles' pauses.
    pub fn pause_total(&self) -> Duration {
        if self.pauses.is_empty() {
            self.cycles.iter().map(|c| c.pause).sum()
        } else {
            self.pauses.iter().map(|p| p.duration).sum()
        }
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
    /// use prologue_workloads::GcSummary;
    /// assert_eq!(GcSummary::default().pause_quantile(0.99), std::time::Duration::ZERO);
    /// ```
    pub fn pause_quantile(&self, q: f64) -> Duration {
        nearest_rank(self.cycles.iter().map(|c| c.pause).collect(), q)
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

/// The value at quantile `q` in `[0, 1]` of `values`, by nearest rank (zero when empty).
pub(crate) fn nearest_rank(mut values: Vec<Duration>, q: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort_unstable();
    let rank = (q.clamp(0.0, 1.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// Collects a [`CycleRecord`] for every cycle of one heap and a [`PauseRecord`] for every stop.
pub(crate) struct Recorder {
    records: Rc<RefCell<Vec<CycleRecord>>>,
    pauses: Rc<RefCell<Vec<PauseRecord>>>,
    /// Whether `finish` takes a census of the heap.
    census: bool,
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
        let pauses = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&pauses);
        heap.on_pause(move |pause: &Pause| {
            sink.borrow_mut().push(PauseRecord {
                thread,
                start: pause.start.saturating_duration_since(start),
                duration: pause.duration,
                kind: pause.kind,
            });
        });
        Recorder {
            records,
            pauses,
            census: false,
        }
    }

    /// Makes `finish` take a census of the heap too (`on`), for `prologue bench --census`.
    pub(crate) fn census(mut self, on: bool) -> Recorder {
        self.census = on;
        self
    }

    /// Stops recording and summarises what `heap` did.
    pub(crate) fn finish(self, heap: &Heap) -> GcSummary {
        let cycles = std::mem::take(&mut *self.records.borrow_mut());
        let mut pauses = std::mem::take(&mut *self.pauses.borrow_mut());
        // Reported as each stop ends; listed as they began.
        pauses.sort_by_key(|p| p.start);
        let stats = heap.stats();
        let heap_peak_bytes = cycles
            .iter()
            .map(|c| c.heap_before)
            .chain([stats.peak_bytes, stats.bytes])
            .max()
            .unwrap_or(0);
        // The heap is idle here, so the census cannot be refused.
        let census = self.census.then(|| heap.census().ok()).flatten();
        GcSummary {
            cycles,
            pauses,
            heap_peak_bytes,
            heaps: vec![stats],
            census,
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
            pauses: Vec::new(),
            heap_peak_bytes: 0,
            heaps: Vec::new(),
            census: None,
        }
    }

    fn stop(thread: usize, start_us: u64, us: u64, kind: PauseKind) -> PauseRecord {
        PauseRecord {
            thread,
            start: Duration::from_micros(start_us),
            duration: Duration::from_micros(us),
            kind,
        }
    }

    #[test]
    fn stops_are_counted_by_kind_and_ranked() {
        let s = GcSummary {
            pauses: vec![
                stop(0, 0, 30, PauseKind::Young),
                stop(0, 100, 5, PauseKind::Sweep),
                stop(0, 200, 900, PauseKind::Full),
                stop(0, 2000, 10, PauseKind::Sweep),
                stop(0, 3000, 120, PauseKind::Step),
            ],
            ..GcSummary::default()
        };
        let counts = s.pause_counts();
        assert_eq!((counts.young, counts.full, counts.sweep), (1, 2, 2));
        assert_eq!(counts.other, 0);
        let us = Duration::from_micros;
        assert_eq!(
            (counts.young_max, counts.full_max, counts.sweep_max),
            (us(30), us(900), us(10))
        );
        // Nearest rank over each kind's own stops: with two stops, p99 is the longer one.
        assert_eq!(
            (counts.young_p99, counts.full_p99, counts.sweep_p99),
            (us(30), us(900), us(10))
        );
        assert_eq!(s.pause_count(), 5);
        // Every stop is time the program waited, the sweep steps no cycle reports included.
        assert_eq!(
            s.pause_total(),
            Duration::from_micros(30 + 5 + 900 + 10 + 120)
        );
        assert_eq!(s.stop_quantile(0.5), Duration::from_micros(30));
        assert_eq!(s.stop_max(), Duration::from_micros(900));
    }

    #[test]
    fn mmu_is_the_worst_threads() {
        // Thread 0 loses 500 us of its first millisecond; thread 1 loses 200 us.
        let mut s = GcSummary {
            pauses: vec![
                stop(0, 100, 500, PauseKind::Full),
                stop(1, 100, 200, PauseKind::Young),
            ],
            ..GcSummary::default()
        };
        let wall = Duration::from_millis(10);
        let u = s.mmu_curve(wall, &[Duration::from_millis(1)]);
        assert!((u[0] - 0.5).abs() < 1e-12, "{u:?}");
        s.pauses.remove(0);
        let u = s.mmu_curve(wall, &[Duration::from_millis(1)]);
        assert!((u[0] - 0.8).abs() < 1e-12, "{u:?}");
        assert_eq!(GcSummary::default().mmu_curve(wall, &[wall]), vec![1.0]);
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
