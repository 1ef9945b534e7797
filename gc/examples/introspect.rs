//! What `Heap::census` and `Heap::retainers` cost per object: `cargo run --release -p
//! prologue-gc --example introspect -- 1000000`. Builds N live small objects (a binary tree)
//! plus N/2 garbage, then times a census and the retainers of the tree's last leaf (the walk
//! reaches it last, so it visits the whole tree).

use std::time::{Duration, Instant};

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

/// The rightmost leaf: the last node a breadth-first walk from the root reaches.
fn last_leaf(root: &Gc<Node>) -> Gc<Node> {
    let mut at = root.clone();
    loop {
        let next = match (&at.right, &at.left) {
            (Some(r), _) => r.clone(),
            (None, Some(l)) => l.clone(),
            (None, None) => return at,
        };
        at = next;
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let config = Config::default()
        // no cycle runs: the garbage stays in the heap
        .min_heap_bytes(usize::MAX)
        .young_bytes(0)
        .torture(false)
        .incremental(false);
    let heap = Heap::with_config(config);
    let live = tree(&heap, n).expect("n > 0");
    drop(tree(&heap, n / 2));
    let leaf = last_leaf(&live);
    let objects = heap.stats().objects;
    let per = |d: Duration| d.as_secs_f64() * 1e9 / objects as f64;
    for round in 0..3 {
        let t = Instant::now();
        let census = heap.census().expect("idle");
        let census_time = t.elapsed();
        let t = Instant::now();
        let path = heap.retainers(&leaf).expect("idle");
        let retainers_time = t.elapsed();
        assert_eq!(census.objects(), objects);
        println!(
            "round {round}: {objects} objects; census {:.1} ms ({:.1} ns/object), retainers \
             {:.1} ms ({:.1} ns/object, path of {})",
            census_time.as_secs_f64() * 1e3,
            per(census_time),
            retainers_time.as_secs_f64() * 1e3,
            per(retainers_time),
            path.len()
        );
    }
}
