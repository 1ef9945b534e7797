//! The heap's running totals: cycles, objects freed, and every pause, the way the program
//! felt it. A pause is any stop of the program for the collector: a whole stop-the-world
//! cycle, a young cycle, a step of an incremental cycle, a page an allocation had to sweep.
//! Each one goes into an HDR histogram (percentiles), the minimum-mutator-utilisation tracker
//! (`mmu.rs`), and to the observers registered with [`Heap::on_pause`](crate::Heap::on_pause).

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::mmu::Mmu;

/// What kind of stop a [`Pause`] was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum PauseKind {
    /// A whole young cycle.
    Young,
    /// A whole stop-the-world full cycle (`collect()`, and every full cycle when
    /// incremental collection is off).
    Full,
    /// Sweeping that an allocation had to do before it could take memory (a page, or the large
    /// objects, a lazy sweep left), or that an incremental cycle does before it starts.
    Sweep,
    /// An incremental cycle's start: the pools' drain and the switch to marking.
    Start,
    /// A step of an incremental cycle's counting, root finding and marking, paid for by an
    /// allocation.
    Step,
    /// An incremental cycle's final pause: the last marking, finalizers, and the switch to
    /// sweeping.
    Finish,
}

/// One stop of the program for the collector, as [`Heap::on_pause`](crate::Heap::on_pause)
/// reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pause {
    /// When the stop began.
    pub start: Instant,
    /// How long the program waited.
    pub duration: Duration,
    /// What the collector did meanwhile.
    pub kind: PauseKind,
}

impl Pause {
    /// A stop of `duration` from `start`, of `kind`: what code outside the crate needs to
    /// test an [`on_pause`](crate::Heap::on_pause) observer of its own (the fields stay
    /// public to read; `#[non_exhaustive]` only keeps literals out, so that a figure can be
    /// added later without breaking anyone).
    ///
    /// ```
    /// use prologue_gc::{Pause, PauseKind};
    /// use std::time::{Duration, Instant};
    ///
    /// let pause = Pause::new(Instant::now(), Duration::from_micros(120), PauseKind::Step);
    /// assert_eq!(pause.kind, PauseKind::Step);
    /// assert_eq!(pause.duration, Duration::from_micros(120));
    /// ```
    pub fn new(start: Instant, duration: Duration, kind: PauseKind) -> Pause {
        Pause {
            start,
            duration,
            kind,
        }
    }
}

/// Running totals kept by the heap.
pub(crate) struct Recorder {
    /// When the heap was created: the MMU's time origin.
    origin: Instant,
    pub(crate) cycles: u64,
    pub(crate) objects_freed: u64,
    pub(crate) pauses: u64,
    pub(crate) pause_total: Duration,
    pub(crate) pause_max: Duration,
    /// Pauses in nanoseconds; created at the first pause.
    histogram: Option<Histogram<u64>>,
    /// p50, p90, p99, computed on demand: reading them walks the histogram's buckets, so
    /// they are cached until the next pause is recorded.
    percentiles: std::cell::Cell<Option<[Duration; 3]>>,
    mmu: Mmu,
}

/// The histogram's range: 1 ns to one hour, 2 significant digits (within 1%; about 40 KiB).
const HIST_MAX_NANOS: u64 = 3_600_000_000_000;

impl Recorder {
    pub(crate) fn new() -> Recorder {
        Recorder {
            origin: Instant::now(),
            cycles: 0,
            objects_freed: 0,
            pauses: 0,
            pause_total: Duration::ZERO,
            pause_max: Duration::ZERO,
            histogram: None,
            percentiles: std::cell::Cell::new(None),
            mmu: Mmu::default(),
        }
    }

    /// Counts one finished cycle (full or young) and the objects its sweep freed in it.
    /// Returns the cycle's number.
    pub(crate) fn count_cycle(&mut self, objects_freed: usize) -> u64 {
        self.cycles += 1;
        self.objects_freed += objects_freed as u64;
        self.cycles
    }

    /// Records one pause.
    pub(crate) fn record_pause(&mut self, pause: &Pause) {
        let duration = pause.duration;
        self.pauses += 1;
        self.pause_total += duration;
        self.pause_max = self.pause_max.max(duration);
        let hist = self.histogram.get_or_insert_with(|| {
            Histogram::new_with_bounds(1, HIST_MAX_NANOS, 2).expect("valid histogram bounds")
        });
        let nanos = (duration.as_nanos() as u64).clamp(1, HIST_MAX_NANOS);
        hist.saturating_record(nanos);
        self.percentiles.set(None);
        let start = self.nanos_since_origin(pause.start);
        self.mmu.record(start, start + duration.as_nanos() as u64);
    }

    fn nanos_since_origin(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.origin).as_nanos() as u64
    }

    /// Minimum mutator utilisation in windows of 1, 10 and 100 ms, up to `now`.
    pub(crate) fn mmu(&self, now: Instant) -> [f64; 3] {
        self.mmu.utilisation(self.nanos_since_origin(now))
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
        match &self.histogram {
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
        let start = Instant::now();
        for us in 1..=100u64 {
            r.record_pause(&Pause {
                start: start + Duration::from_millis(us),
                duration: Duration::from_micros(us),
                kind: PauseKind::Young,
            });
        }
        let p50 = r.percentile(0.5).as_micros();
        let p99 = r.percentile(0.99).as_micros();
        assert!((49..=51).contains(&p50), "p50 {p50}");
        assert!((98..=100).contains(&p99), "p99 {p99}");
        assert_eq!(r.pause_max, Duration::from_micros(100));
        assert_eq!(r.pause_total, Duration::from_micros(5050));
        assert_eq!(r.pauses, 100);
        // The 100 us pause is the worst 1 ms window's only pause: 0.9 utilisation.
        let mmu = r.mmu(start + Duration::from_millis(200));
        assert!((mmu[0] - 0.9).abs() < 0.011, "{mmu:?}");
    }
}
