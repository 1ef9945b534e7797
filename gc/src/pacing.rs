//! When the next cycle runs: Go's GOGC pacing.
//!
//! A collector that runs too rarely lets the heap grow without bound; one that runs too often
//! spends the program's time re-marking the same live objects. Go's answer, which we follow,
//! ties the two together with one ratio: after a cycle has found `live` bytes reachable, the
//! next cycle starts when the heap reaches
//!
//! ```text
//! goal = max(min_heap_bytes, live * (1 + gc_percent / 100))
//! ```
//!
//! so the work of a cycle (proportional to the live heap) is paid for by allocating
//! `live * gc_percent / 100` new bytes: the collector's cost per allocated byte is constant,
//! whatever the heap's size. Raising `gc_percent` trades memory for fewer cycles; the floor
//! keeps tiny heaps from collecting at every few allocations. The goal is checked at each
//! allocation ([`Pacer::due`]), and `max_heap_bytes` is a hard ceiling on top of it.
//!
//! "Live" here is the heap's size right after the sweep: reachable objects plus any memory
//! still held by resurrected objects and objects allocated by destructors during the sweep.

use crate::config::Config;

/// Where, between the live heap and the goal, an incremental cycle starts (percent of the
/// growth allowed): the rest of the way is the runway its steps are paid from. Go's pacer
/// aims its trigger from measurements; a fixed 70% leaves the mark about 40% of the live heap
/// to allocate at GOGC=100, and a step pays for every allocation in proportion.
const START_PERCENT: usize = 70;

/// The pacing state of one heap.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pacer {
    gc_percent: u32,
    min_heap_bytes: usize,
    next_goal: usize,
    /// Where the next incremental cycle starts.
    next_start: usize,
}

impl Pacer {
    pub(crate) fn new(config: &Config) -> Pacer {
        Pacer {
            gc_percent: config.gc_percent,
            min_heap_bytes: config.min_heap_bytes,
            next_goal: config.min_heap_bytes,
            next_start: config.min_heap_bytes / 100 * START_PERCENT,
        }
    }

    /// The heap size at which the next cycle starts.
    pub(crate) fn next_goal(&self) -> usize {
        self.next_goal
    }

    /// How many bytes a heap of `bytes` may grow before the next cycle is due.
    #[inline]
    pub(crate) fn room(&self, bytes: usize) -> usize {
        self.next_goal.saturating_sub(bytes)
    }

    /// Whether a heap of `bytes` has passed its goal by half: an incremental cycle still
    /// marking then finishes in one stop.
    #[inline]
    pub(crate) fn overshot(&self, bytes: usize) -> bool {
        bytes > self.next_goal.saturating_add(self.next_goal / 2)
    }

    /// Whether allocating `request` more bytes on a heap of `bytes` should start a cycle.
    #[inline]
    pub(crate) fn due(&self, bytes: usize, request: usize) -> bool {
        bytes.saturating_add(request) > self.next_goal
    }

    /// How many bytes a heap of `bytes` may grow before an incremental cycle should start.
    #[inline]
    pub(crate) fn room_to_start(&self, bytes: usize) -> usize {
        self.next_start.saturating_sub(bytes)
    }

    /// Whether allocating `request` more bytes on a heap of `bytes` should start an
    /// incremental cycle (before the goal, so that its steps can finish by then).
    #[inline]
    pub(crate) fn start_due(&self, bytes: usize, request: usize) -> bool {
        bytes.saturating_add(request) > self.next_start
    }

    /// Sets the next goal from the heap's size after a cycle, and returns it.
    pub(crate) fn end_cycle(&mut self, live: usize) -> usize {
        let growth =
            (live as u128 * self.gc_percent as u128 / 100).min(usize::MAX as u128) as usize;
        self.next_goal = live.saturating_add(growth).max(self.min_heap_bytes);
        let room = self.next_goal - live.min(self.next_goal);
        self.next_start = self.next_goal - room / 100 * (100 - START_PERCENT);
        self.next_goal
    }

    /// Sets the next goal after an incremental cycle, from the `reached` bytes its mark found
    /// live, and returns it. `heap` is the old generation now: `reached` plus what was born
    /// (black) during the cycle. Born objects are growth since the snapshot, not live bytes
    /// the goal grows from; but however many there were, the next cycle keeps the runway a
    /// cycle started at its usual point would have: when they already fill the way to the
    /// start, the next cycle starts at once and its goal is a runway beyond the heap.
    pub(crate) fn end_incremental_cycle(&mut self, reached: usize, heap: usize) -> usize {
        self.end_cycle(reached);
        let runway = (self.next_goal - reached.min(self.next_goal)) / 100 * (100 - START_PERCENT);
        if heap.saturating_add(runway) > self.next_goal {
            self.next_goal = heap.saturating_add(runway);
            self.next_start = heap;
        }
        self.next_goal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacer(gc_percent: u32, min: usize) -> Pacer {
        Pacer::new(&Config {
            gc_percent,
            min_heap_bytes: min,
            max_heap_bytes: None,
            torture: false,
            young_bytes: 0,
            ..Config::default()
        })
    }

    #[test]
    fn goal_is_live_times_one_plus_gc_percent() {
        let mut p = pacer(100, 10);
        assert_eq!(p.end_cycle(1000), 2000);
        let mut p = pacer(50, 10);
        assert_eq!(p.end_cycle(1000), 1500);
    }

    #[test]
    fn goal_never_drops_below_the_floor() {
        let mut p = pacer(100, 4096);
        assert_eq!(p.next_goal(), 4096);
        assert_eq!(p.end_cycle(10), 4096);
    }

    #[test]
    fn due_when_the_request_passes_the_goal() {
        let p = pacer(100, 100);
        assert!(!p.due(50, 50));
        assert!(p.due(50, 51));
        assert!(p.due(usize::MAX, 1));
    }

    #[test]
    fn room_is_what_is_left_to_the_goal() {
        let mut p = pacer(100, 100);
        assert_eq!(p.end_cycle(1000), 2000);
        assert_eq!(p.room(1500), 500);
        assert_eq!(p.room(2500), 0);
    }

    #[test]
    fn incremental_cycles_start_seventy_percent_of_the_way_to_the_goal() {
        let mut p = pacer(100, 100);
        p.end_cycle(1000);
        assert!(!p.start_due(1600, 100));
        assert!(p.start_due(1600, 101));
        assert!(!p.due(1600, 101));
        assert!(!p.overshot(3000) && p.overshot(3001));
    }

    #[test]
    fn an_incremental_goal_grows_from_what_the_mark_reached() {
        let mut p = pacer(100, 100);
        // A quarter more was born during the cycle: the goal ignores it, the start does not
        // move, and the heap has its 30% runway left.
        assert_eq!(p.end_incremental_cycle(1000, 1250), 2000);
        assert!(!p.start_due(1250, 450) && p.start_due(1250, 451));
    }

    #[test]
    fn an_incremental_cycle_born_full_starts_the_next_at_once_with_a_runway() {
        let mut p = pacer(100, 100);
        // As much was born as was reached (a structure built during the cycle): the next
        // cycle starts with the next allocation, and its goal is a runway beyond the heap.
        assert_eq!(p.end_incremental_cycle(1000, 2000), 2300);
        assert!(p.start_due(2000, 1));
        assert!(!p.due(2000, 300) && p.due(2000, 301));
    }

    #[test]
    fn huge_live_heap_saturates() {
        let mut p = pacer(u32::MAX, 0);
        assert_eq!(p.end_cycle(usize::MAX / 2), usize::MAX);
    }
}
