//! What an incremental cycle leaves behind: the next pacing goal and its statistics.

use std::time::Duration;

use super::Marking;
use crate::heap::Heap;
use crate::stats::CycleStats;

impl Heap {
    /// Pacing and statistics at the end of an incremental cycle.
    pub(super) fn end_incremental(
        &self,
        mut m: Marking,
        pause: Duration,
        sweep: Duration,
        finalize: Duration,
        finalized: usize,
        destructor_panics: usize,
    ) -> CycleStats {
        m.stops += 1;
        m.pause += pause;
        m.longest = m.longest.max(pause);
        // Born during the cycle and not released by the young cycles that ran meanwhile.
        let born_bytes = self.paced.get().saturating_sub(m.paced_at_start);
        let born = (self.allocations.get() - m.allocations_at_start) as usize;
        let born = born.saturating_sub(m.born_released);
        let (heap_after, zombies, zombie_bytes) = {
            let space = self.space.borrow();
            (space.bytes(), space.zombies, space.zombie_bytes)
        };
        // What survives: what the mark reached, what was born meanwhile (black), and zombies.
        let live = m.marked_bytes + born_bytes + zombie_bytes;
        self.paced.set(live);
        // The goal grows from what the mark found reachable, not from what was born during
        // the cycle: those objects are kept only because the cycle could not look at them
        // (born black), and most are garbage by now. Counted as live, they would raise every
        // goal by the runway's allocation, and through it the next cycle's runway and births
        // (a third more heap at GOGC=100). Counted as growth since the snapshot, they bring
        // the next cycle forward instead, which then looks at them.
        let mut pacer = self.pacer.get();
        let next_goal = pacer.end_incremental_cycle(m.marked_bytes + zombie_bytes, live);
        self.pacer.set(pacer);
        let objects_live = m.marked + born;
        let objects_freed = self.objects.get().saturating_sub(objects_live);
        let cycle = self.recorder.borrow_mut().count_cycle(0);
        CycleStats {
            cycle,
            trigger: m.trigger,
            at: m.at,
            pause: m.pause,
            incremental: true,
            stops: m.stops,
            longest_stop: m.longest,
            wall: m.started.elapsed(),
            outrun: m.outrun,
            unexamined: false,
            sweep_finish: Duration::ZERO,
            clear_pools: m.clear_pools,
            release: Duration::ZERO,
            objects_released: 0,
            roots: m.count_time + m.check_time,
            mark: m.mark_time,
            finalize,
            sweep,
            lazy_sweep: true,
            pool_drop: m.pool_drop,
            roots_found: m.roots,
            objects_freed,
            bytes_freed: 0,
            objects_live,
            bytes_live: m.marked_bytes + born_bytes,
            zombies,
            heap_before: m.heap_before,
            heap_after,
            next_goal,
            pools_drained: m.pools_drained,
            pool_items_drained: m.pool_items_drained,
            finalized,
            destructor_panics,
        }
    }
}
