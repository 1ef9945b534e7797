//! Binary-trees on a prologue `Heap` with the default configuration (GOGC=100, 4 MiB floor),
//! reporting the collector's own statistics as metrics.

use prologue::{Gc, Heap, Trace, Trigger};
use prologue_benches::binary_trees::{depths, iterations, max_depth, Output};
use prologue_benches::metric;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

#[derive(Trace)]
struct Node {
    children: Option<(Gc<Node>, Gc<Node>)>,
}

fn bottom_up(heap: &Heap, depth: u32) -> Gc<Node> {
    let children = (depth > 0).then(|| (bottom_up(heap, depth - 1), bottom_up(heap, depth - 1)));
    heap.alloc(Node { children })
}

fn check(node: &Node) -> u64 {
    1 + node
        .children
        .as_ref()
        .map_or(0, |(left, right)| check(left) + check(right))
}

/// Runs binary-trees for `n`, writing the output lines to `out` and the heap's statistics
/// (cycles, of which full ones, pause p50/p99/max in ms over all cycles, max pause of the full
/// cycles, peak heap bytes) as metrics.
pub fn run(n: u32, out: &mut Output) {
    let heap = Heap::new();
    // Young and full cycles apart: full cycles set the maximum pause.
    let full = Rc::new(Cell::new((0u64, Duration::ZERO)));
    let seen = Rc::clone(&full);
    heap.on_cycle(move |cycle| {
        if cycle.trigger != Trigger::Young {
            let (count, max) = seen.get();
            seen.set((count + 1, max.max(cycle.pause)));
        }
    });
    let max = max_depth(n);
    out.stretch(max + 1, check(&bottom_up(&heap, max + 1)));
    let long_lived = bottom_up(&heap, max);
    for d in depths(n) {
        let iters = iterations(n, d);
        let total: u64 = (0..iters).map(|_| check(&bottom_up(&heap, d))).sum();
        out.trees(iters, d, total);
    }
    out.long_lived(max, check(&long_lived));
    let stats = heap.stats();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (full_cycles, full_pause_max) = full.get();
    metric("cycles", stats.cycles as f64);
    metric("full_cycles", full_cycles as f64);
    metric("full_pause_max_ms", ms(full_pause_max));
    metric("pause_p50_ms", ms(stats.pause_p50));
    metric("pause_p99_ms", ms(stats.pause_p99));
    metric("pause_max_ms", ms(stats.pause_max));
    metric("pause_total_ms", ms(stats.pause_total));
    metric("heap_peak_bytes", stats.peak_bytes as f64);
}
