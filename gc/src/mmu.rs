//! Minimum mutator utilisation: of every window of a given length, the least share the
//! program had to itself (Cheng and Blelloch's MMU). A 1 ms MMU of 0.6 means that no
//! millisecond of the run lost more than 0.4 ms to the collector, however its pauses were
//! spread; a single pause of 3 ms gives a 1 ms MMU of 0.
//!
//! Tracked online, for a few window lengths, from the stream of pauses. The paused time in a
//! window sliding over the timeline is piecewise linear, and it is largest where the window's
//! end leaves a pause or its start enters one. So it is enough to look at the windows that end
//! where a pause ends, and those that start where a pause starts; each is measured with a
//! running total of paused time and a binary search over the pauses still in reach (those of
//! the last window's length). Cost per pause: O(windows x log(pauses in the longest window)).
//! Windows may reach before the heap was created; no pause happened there.

use std::collections::VecDeque;
use std::time::Duration;

/// The window lengths tracked: 1 ms, 10 ms, 100 ms.
pub(crate) const WINDOWS: [Duration; 3] = [
    Duration::from_millis(1),
    Duration::from_millis(10),
    Duration::from_millis(100),
];

const LONGEST: u64 = 100_000_000;

/// One pause in the log, times in nanoseconds from the heap's creation.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u64,
    end: u64,
    /// Paused time before this pause.
    before: u64,
}

/// The MMU tracker.
#[derive(Debug, Default)]
pub(crate) struct Mmu {
    /// The pauses whose windows may still matter (within the longest window of the last).
    log: VecDeque<Span>,
    /// Paused time of every pause so far.
    total: u64,
    /// Per window: the most paused time seen in one window.
    worst: [u64; 3],
    /// Per window: how many pauses of `log` have had their "window starting here" measured.
    started: [usize; 3],
}

impl Mmu {
    /// Adds the pause `[start, end)` (nanoseconds from the heap's creation; pauses come in
    /// order and do not overlap).
    pub(crate) fn record(&mut self, start: u64, end: u64) {
        let end = end.max(start);
        self.log.push_back(Span {
            start,
            end,
            before: self.total,
        });
        self.total += end - start;
        for (i, window) in WINDOWS.iter().enumerate() {
            let w = window.as_nanos() as u64;
            // The window ending where this pause ends.
            let paused = self.paused_until(end) - self.paused_until(end.saturating_sub(w));
            self.worst[i] = self.worst[i].max(paused);
            // Windows starting where earlier pauses started, now closed.
            while self.started[i] < self.log.len() {
                let s = self.log[self.started[i]].start;
                if s + w > end {
                    break;
                }
                let paused = self.paused_until(s + w) - self.paused_until(s);
                self.worst[i] = self.worst[i].max(paused);
                self.started[i] += 1;
            }
        }
        // Forget pauses no window of the longest length can reach any more, once every
        // window starting at them has been measured.
        let done = *self.started.iter().min().expect("windows");
        let mut drop = 0;
        while drop < done && drop + 1 < self.log.len() && self.log[drop].end + LONGEST < end {
            drop += 1;
        }
        if drop > 0 {
            self.log.drain(..drop);
            for started in &mut self.started {
                *started -= drop;
            }
        }
    }

    /// Paused time in `[0, t)`.
    fn paused_until(&self, t: u64) -> u64 {
        // The last pause starting before `t`.
        let after = self.log.partition_point(|span| span.start < t);
        if after == 0 {
            // Before every pause still logged: all earlier pauses ended long before `t`
            // only if none is logged before it; the first logged pause's `before` says how
            // much came earlier.
            return self.log.front().map_or(self.total, |first| first.before);
        }
        let span = self.log[after - 1];
        span.before + (t.min(span.end) - span.start)
    }

    /// The MMU for each of [`WINDOWS`], as of `now` (nanoseconds from the heap's creation):
    /// windows ending at `now` count too.
    pub(crate) fn utilisation(&self, now: u64) -> [f64; 3] {
        let mut out = [1.0; 3];
        for (i, window) in WINDOWS.iter().enumerate() {
            let w = window.as_nanos() as u64;
            let mut worst = self.worst[i];
            worst = worst.max(self.paused_until(now) - self.paused_until(now.saturating_sub(w)));
            for span in self.log.iter().skip(self.started[i]) {
                if span.start >= now {
                    break;
                }
                let paused = self.paused_until((span.start + w).min(now)) - span.before;
                worst = worst.max(paused);
            }
            out[i] = 1.0 - (worst.min(w) as f64 / w as f64);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    /// The reference: the most paused time in any window of length `w`, by brute force over
    /// every start on a 10 us grid.
    fn brute(pauses: &[(u64, u64)], w: u64, now: u64) -> u64 {
        let step = 10_000;
        let mut worst = 0;
        let mut s = 0;
        while s <= now {
            let e = (s + w).min(now);
            let paused: u64 = pauses
                .iter()
                .map(|&(a, b)| b.min(e).saturating_sub(a.max(s)))
                .sum();
            worst = worst.max(paused);
            s += step;
        }
        worst
    }

    #[test]
    fn one_long_pause_gives_zero_for_shorter_windows() {
        let mut m = Mmu::default();
        m.record(5 * MS, 8 * MS);
        let u = m.utilisation(200 * MS);
        assert_eq!(u[0], 0.0);
        assert!((u[1] - 0.7).abs() < 1e-9, "{u:?}");
        assert!((u[2] - 0.97).abs() < 1e-9, "{u:?}");
    }

    #[test]
    fn no_pause_is_full_utilisation() {
        assert_eq!(Mmu::default().utilisation(10 * MS), [1.0; 3]);
    }

    #[test]
    fn matches_brute_force_on_clustered_pauses() {
        // Pauses on a 10 us grid so the brute force sees every breakpoint.
        let mut x: u64 = 12345;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut pauses = Vec::new();
        let mut t = 0;
        for _ in 0..400 {
            t += (next() % 300 + 1) * 10_000; // gaps of 10 us to 3 ms
            let len = (next() % 80 + 1) * 10_000; // pauses of 10 us to 0.8 ms
            pauses.push((t, t + len));
            t += len;
        }
        let mut m = Mmu::default();
        for &(a, b) in &pauses {
            m.record(a, b);
        }
        let now = t + 5 * MS;
        let got = m.utilisation(now);
        for (i, window) in WINDOWS.iter().enumerate() {
            let w = window.as_nanos() as u64;
            let want = 1.0 - brute(&pauses, w, now) as f64 / w as f64;
            assert!(
                (got[i] - want).abs() < 1e-9,
                "window {w}: {} vs {want}",
                got[i]
            );
        }
    }
}
