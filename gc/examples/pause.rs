//! How a full collection's pause grows with the live heap: `cargo run --release -p prologue-gc
//! --example pause -- 1000000`. Builds N live small objects (a binary tree, so the mark stack
//! stays shallow) plus N/2 garbage, then times `collect()` per phase.

use std::time::Duration;

use prologue_gc::{Config, Gc, Heap, Trace};

#[derive(Trace)]
struct Node {
    left: Option<Gc<Node>>,
    right: Option<Gc<Node>>,
}

fn tree(heap: &Heap, n: usize) -> Option<Gc<Node>> {
    if n == 0 {
        return None;
    }
    let rest = n - 1;
    let (l, r) = (tree(heap, rest / 2), tree(heap, rest - rest / 2));
    Some(heap.alloc(Node { left: l, right: r }))
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let heap = Heap::with_config(
        Config::default()
            .min_heap_bytes(usize::MAX) // only the explicit collections below
            .torture(false),
    );
    let live = tree(&heap, n);
    drop(tree(&heap, n / 2));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for round in 0..3 {
        let c = heap.collect();
        let traced = c.objects_live + c.objects_freed;
        println!(
            "round {round}: {} live, {} freed: pause {:.1} ms = clear_pools {:.3} + roots {:.1} + mark {:.1} + sweep {:.1} ms; \
             roots {:.0} M objects/s (all objects), mark {:.0} M objects/s (live), {:.1} ms per million live",
            c.objects_live,
            c.objects_freed,
            ms(c.pause),
            ms(c.clear_pools),
            ms(c.roots),
            ms(c.mark),
            ms(c.sweep),
            traced as f64 / c.roots.as_secs_f64() / 1e6,
            c.objects_live as f64 / c.mark.as_secs_f64() / 1e6,
            ms(c.pause) / (c.objects_live as f64 / 1e6),
        );
    }
    drop(live);
}
