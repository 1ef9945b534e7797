//! Binary-trees on a prologue heap and on `Box`, in one process, for a quick ratio:
//! `cargo run --release -p prologue-gc --example binary_trees -- 18 [young_bytes]`
//! (the optional second argument sets `Config::young_bytes`; 0 turns the young generation off).
//! (The full comparison against the other Rust GCs lives in benches/.)

use std::time::{Duration, Instant};

use prologue_gc::{Config, Gc, Heap, Trace};

#[derive(Trace)]
struct GcNode {
    children: Option<(Gc<GcNode>, Gc<GcNode>)>,
}

fn gc_tree(heap: &Heap, depth: u32) -> Gc<GcNode> {
    let children = (depth > 0).then(|| (gc_tree(heap, depth - 1), gc_tree(heap, depth - 1)));
    heap.alloc(GcNode { children })
}

fn gc_check(node: &GcNode) -> u64 {
    1 + node
        .children
        .as_ref()
        .map_or(0, |(l, r)| gc_check(l) + gc_check(r))
}

struct BoxNode {
    children: Option<(Box<BoxNode>, Box<BoxNode>)>,
}

fn box_tree(depth: u32) -> Box<BoxNode> {
    let children = (depth > 0).then(|| (box_tree(depth - 1), box_tree(depth - 1)));
    Box::new(BoxNode { children })
}

fn box_check(node: &BoxNode) -> u64 {
    1 + node
        .children
        .as_ref()
        .map_or(0, |(l, r)| box_check(l) + box_check(r))
}

/// Runs the benchmark's shape with `make` + `check`, returning the total checksum.
fn run<T>(n: u32, make: impl Fn(u32) -> T, check: impl Fn(&T) -> u64) -> u64 {
    let mut total = check(&make(n + 1));
    let long_lived = make(n);
    let mut depth = 4;
    while depth <= n {
        let iterations = 1u64 << (n - depth + 4);
        for _ in 0..iterations {
            total += check(&make(depth));
        }
        depth += 2;
    }
    total + check(&long_lived)
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(16);
    let start = Instant::now();
    let boxed = run(n, box_tree, |t| box_check(t));
    let box_time = start.elapsed();

    let mut config = Config::default();
    if let Some(young) = std::env::args().nth(2).and_then(|a| a.parse().ok()) {
        config.young_bytes = young;
    }
    let heap = Heap::with_config(config);
    let start = Instant::now();
    let gc = run(n, |d| gc_tree(&heap, d), |t| gc_check(t));
    let gc_time = start.elapsed();
    assert_eq!(boxed, gc);

    let stats = heap.stats();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "binary-trees depth {n}: Box {:.0} ms, prologue {:.0} ms = {:.2}x Box",
        ms(box_time),
        ms(gc_time),
        gc_time.as_secs_f64() / box_time.as_secs_f64()
    );
    println!(
        "cycles {}, pause total {:.0} ms ({:.0}% of the run), p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, peak heap {:.1} MiB",
        stats.cycles,
        ms(stats.pause_total),
        100.0 * stats.pause_total.as_secs_f64() / gc_time.as_secs_f64(),
        ms(stats.pause_p50),
        ms(stats.pause_p99),
        ms(stats.pause_max),
        stats.peak_bytes as f64 / (1 << 20) as f64
    );
}
