//! Minimum mutator utilisation (Cheng and Blelloch) from a log of pauses: of every window of a
//! given length inside the run, the least share the program had to itself.
//!
//! The paused time in a window sliding over the run is piecewise linear in the window's start,
//! and it can only stop growing where the window's start enters a pause or its end leaves one.
//! So the worst window of each length starts where a pause starts or ends where a pause ends
//! (or sits at either end of the run), and it is enough to measure those: exact, in one pass
//! over the log per window length. A window longer than the run is the whole run (as Go's
//! trace tool does), so the curve ends at the run's overall utilisation.
//!
//! ```
//! use prologue_workloads::mmu::{mmu, Span};
//! use std::time::Duration;
//!
//! let ms = Duration::from_millis;
//! // One 3 ms pause in a 200 ms run.
//! let log = [Span { start: ms(5), end: ms(8) }];
//! assert_eq!(mmu(&log, ms(200), ms(1)), 0.0);
//! assert!((mmu(&log, ms(200), ms(10)) - 0.7).abs() < 1e-9);
//! ```

use std::time::Duration;

/// One pause, as times from the start of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// When the program stopped.
    pub start: Duration,
    /// When it resumed.
    pub end: Duration,
}

/// The window lengths the reports give: 1 ms, 10 ms and 100 ms.
pub const REPORT_WINDOWS: [Duration; 3] = [
    Duration::from_millis(1),
    Duration::from_millis(10),
    Duration::from_millis(100),
];

/// The paused time before a point, for points visited in increasing order.
struct Cursor<'a> {
    spans: &'a [(u64, u64)],
    /// Paused time before `spans[i]`, for every `i` (and the total at the end).
    before: &'a [u64],
    /// The first span that does not end before the last point asked.
    next: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of the run.
    fn new(spans: &'a [(u64, u64)], before: &'a [u64]) -> Cursor<'a> {
        Cursor {
            spans,
            before,
            next: 0,
        }
    }

    /// Paused time in `[0, t)`; `t` never decreases from one call to the next.
    fn paused_before(&mut self, t: u64) -> u64 {
        while self.next < self.spans.len() && self.spans[self.next].1 <= t {
            self.next += 1;
        }
        let partial = match self.spans.get(self.next) {
            Some(&(start, _)) if start < t => t - start,
            _ => 0,
        };
        self.before[self.next] + partial
    }
}

/// The pause log in nanoseconds, clipped to `[0, run]`, in order, overlaps merged.
fn normalise(spans: &[Span], run: u64) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = spans
        .iter()
        .map(|s| {
            let a = (s.start.as_nanos() as u64).min(run);
            let b = (s.end.as_nanos() as u64).clamp(a, run);
            (a, b)
        })
        .filter(|&(a, b)| b > a)
        .collect();
    out.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(out.len());
    for (a, b) in out {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// The MMU of every window length in `windows`, for a run of length `run` whose pauses are
/// `spans` (in any order; parts outside the run are ignored). Each value is in `[0, 1]`; a run
/// with no pause (or of zero length) gives 1.
pub fn mmu_curve(spans: &[Span], run: Duration, windows: &[Duration]) -> Vec<f64> {
    let run = run.as_nanos() as u64;
    let spans = normalise(spans, run);
    let mut before = Vec::with_capacity(spans.len() + 1);
    let mut total = 0;
    for &(a, b) in &spans {
        before.push(total);
        total += b - a;
    }
    before.push(total);
    windows
        .iter()
        .map(|window| {
            let w = (window.as_nanos() as u64).min(run);
            if w == 0 || total == 0 {
                return 1.0;
            }
            let worst = worst_window(&spans, &before, run, w);
            1.0 - worst.min(w) as f64 / w as f64
        })
        .collect()
}

/// The MMU of one window length (see [`mmu_curve`]).
pub fn mmu(spans: &[Span], run: Duration, window: Duration) -> f64 {
    mmu_curve(spans, run, &[window])[0]
}

/// The most paused time in any window `[a, a + w)` with `0 <= a <= run - w`.
fn worst_window(spans: &[(u64, u64)], before: &[u64], run: u64, w: u64) -> u64 {
    let last_start = run - w;
    let mut worst = 0;
    // Windows starting where a pause starts (or as late as the run allows), and the one
    // starting at 0: the start never decreases, nor does the end.
    let mut lo = Cursor::new(spans, before);
    let mut hi = Cursor::new(spans, before);
    let starts = std::iter::once(0).chain(spans.iter().map(|&(a, _)| a.min(last_start)));
    for a in starts {
        worst = worst.max(hi.paused_before(a + w) - lo.paused_before(a));
    }
    // Windows ending where a pause ends (or as early as the run allows), and the one ending at
    // the end of the run.
    let mut lo = Cursor::new(spans, before);
    let mut hi = Cursor::new(spans, before);
    let ends = spans
        .iter()
        .map(|&(_, b)| b.max(w))
        .chain(std::iter::once(run));
    for b in ends {
        worst = worst.max(hi.paused_before(b) - lo.paused_before(b - w));
    }
    worst
}

/// `count` window lengths spaced evenly on a log scale from `from` to `to` (both included).
pub fn log_windows(from: Duration, to: Duration, count: usize) -> Vec<Duration> {
    let (a, b) = (from.as_secs_f64().ln(), to.as_secs_f64().ln());
    let steps = count.max(2) - 1;
    (0..=steps)
        .map(|i| Duration::from_secs_f64((a + (b - a) * i as f64 / steps as f64).exp()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: every window start on a 1 us grid, the overlap summed pause by pause.
    fn brute(pauses: &[(u64, u64)], run: u64, w: u64) -> f64 {
        let w = w.min(run);
        let mut worst = 0;
        for a in 0..=run - w {
            let paused: u64 = pauses
                .iter()
                .map(|&(s, e)| e.min(a + w).saturating_sub(s.max(a)))
                .sum();
            worst = worst.max(paused);
        }
        1.0 - worst as f64 / w as f64
    }

    fn spans(pauses: &[(u64, u64)]) -> Vec<Span> {
        pauses
            .iter()
            .map(|&(s, e)| Span {
                start: Duration::from_micros(s),
                end: Duration::from_micros(e),
            })
            .collect()
    }

    #[test]
    fn matches_brute_force_on_a_random_log() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..20 {
            // 20 pauses of 1-200 us, gaps of 0-300 us (so some touch), in microseconds.
            let mut pauses = Vec::new();
            let mut t = next(50);
            for _ in 0..20 {
                let len = next(200) + 1;
                pauses.push((t, t + len));
                t += len + next(300);
            }
            let run = t + next(300);
            let windows: Vec<u64> = vec![1, 7, 50, 333, 1000, 2500, run / 2, run, run * 3];
            let durations: Vec<Duration> =
                windows.iter().map(|&w| Duration::from_micros(w)).collect();
            let got = mmu_curve(&spans(&pauses), Duration::from_micros(run), &durations);
            for (&w, got) in windows.iter().zip(got) {
                let want = brute(&pauses, run, w);
                assert!((got - want).abs() < 1e-12, "window {w} us: {got} vs {want}");
            }
        }
    }

    #[test]
    fn whole_run_and_empty_cases() {
        let log = spans(&[(10, 30), (50, 60)]);
        let run = Duration::from_micros(100);
        // A window as long as the run, or longer, is the run: 30 us of 100 paused.
        let long = mmu(&log, run, Duration::from_secs(1));
        assert!((long - 0.7).abs() < 1e-12, "{long}");
        // A 20 us window fits inside the first pause.
        assert_eq!(mmu(&log, run, Duration::from_micros(20)), 0.0);
        assert_eq!(mmu(&[], run, Duration::from_micros(5)), 1.0);
        assert_eq!(mmu(&log, Duration::ZERO, Duration::from_micros(5)), 1.0);
    }

    #[test]
    fn overlapping_and_unordered_pauses_count_once() {
        // Two threads' logs mixed up would overlap; the time is paused once.
        let log = spans(&[(40, 60), (10, 30), (20, 50)]);
        let run = Duration::from_micros(100);
        let u = mmu(&log, run, Duration::from_micros(100));
        assert!((u - 0.5).abs() < 1e-12, "{u}");
    }

    #[test]
    fn log_windows_span_the_range() {
        let w = log_windows(Duration::from_micros(100), Duration::from_secs(1), 41);
        assert_eq!(w.len(), 41);
        assert!((w[0].as_secs_f64() - 1e-4).abs() < 1e-12);
        assert!((w[40].as_secs_f64() - 1.0).abs() < 1e-9);
        assert!((w[10].as_secs_f64() - 1e-3).abs() < 1e-9);
        assert!(w.windows(2).all(|p| p[0] < p[1]));
    }
}
