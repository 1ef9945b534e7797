//! Pause of a full prologue collection with a large live heap, and the pool drain inside it.
//!
//! Part 1, live heap: a balanced tree of `live` small nodes (two optional handles and a `u64`)
//! stays reachable from one handle; before each measured `collect()` the mutator allocates
//! `garbage` more nodes as depth-4 trees it drops at once (steady garbage). Pacing and the young
//! generation are switched off (`min_heap_bytes = usize::MAX`, `young_bytes = 0`), so every cycle
//! is an explicit, full `collect()` (its sweep completes inside the pause). Per configuration
//! the medians over the cycles of each phase in `CycleStats`, root discovery + mark throughput
//! (live objects per second), and the pause per million live objects; then the per-object costs
//! fitted from the rows (how the pause grows with live and with dead objects).
//!
//! Part 2, pool drain: 1,000 pools x 100 pooled items, refilled before each cycle, on a small heap
//! (1,000 live nodes), as Go's `BenchmarkPoolSTW` (one pool of 100,000 items; the table's title
//! quotes Go's figures from a run on the same kind of machine). Reported: p50 and p95 of the
//! whole pause and of `clear_pools`, and the share of the pause `clear_pools` takes. Two kinds of pools: `Pool<Vec<u8>>` (plain values) and
//! `LocalPool<Gc<_>>` (handles, which the drain must drop before root discovery so the same cycle
//! frees their objects).
//!
//! Knobs: `PROLOGUE_PAUSE_LIVE` (comma list, default `1000000,10000000`), `PROLOGUE_PAUSE_GARBAGE`
//! (comma list, default `0,1000000`), `PROLOGUE_PAUSE_CYCLES` (default 5), `PROLOGUE_POOL_CYCLES`
//! (default 200); `PROLOGUE_SHORT=1` runs 1 million live objects, 3 cycles, 50 pool cycles (well
//! under a minute).
//!
//! `cargo bench -p prologue-benches --bench gc_pause`

use prologue::{Config, CycleStats, Gc, Heap, LocalPool, Pool, Trace};
use prologue_benches::{env_flag, env_list, env_usize, median};
use std::time::Duration;

#[derive(Trace)]
struct Node {
    left: Option<Gc<Node>>,
    right: Option<Gc<Node>>,
    value: u64,
}

/// A balanced tree of exactly `count` nodes.
fn tree_of(heap: &Heap, count: u64) -> Option<Gc<Node>> {
    (count > 0).then(|| {
        let left = (count - 1) / 2;
        heap.alloc(Node {
            left: tree_of(heap, left),
            right: tree_of(heap, count - 1 - left),
            value: count,
        })
    })
}

fn sum(node: &Option<Gc<Node>>) -> u64 {
    node.as_ref()
        .map_or(0, |n| n.value % 7 + sum(&n.left) + sum(&n.right))
}

/// A heap that collects only when asked, every cycle full (no nursery).
fn explicit_heap() -> Heap {
    Heap::with_config(Config::default().min_heap_bytes(usize::MAX).young_bytes(0))
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Medians of one configuration's cycles.
struct Row {
    live: u64,
    garbage: u64,
    pause: f64,
    clear_pools: f64,
    roots: f64,
    mark: f64,
    sweep: f64,
    freed: f64,
}

fn measure_live_heap(live: u64, garbage: u64, cycles: usize) -> Row {
    let heap = explicit_heap();
    let root = tree_of(&heap, live);
    let checksum = sum(&root);
    heap.collect();
    let mut stats: Vec<CycleStats> = Vec::with_capacity(cycles);
    for _ in 0..cycles {
        for _ in 0..garbage / 31 {
            drop(tree_of(&heap, 31));
        }
        stats.push(heap.collect());
    }
    assert_eq!(sum(&root), checksum, "the live tree changed");
    assert_eq!(
        heap.stats().objects as u64,
        live,
        "live objects after collect"
    );
    let med = |f: &dyn Fn(&CycleStats) -> f64| median(&stats.iter().map(f).collect::<Vec<_>>());
    Row {
        live,
        garbage: garbage / 31 * 31,
        pause: med(&|s| ms(s.pause)),
        clear_pools: med(&|s| ms(s.clear_pools)),
        roots: med(&|s| ms(s.roots)),
        mark: med(&|s| ms(s.mark)),
        sweep: med(&|s| ms(s.sweep)),
        freed: med(&|s| s.objects_freed as f64),
    }
}

fn live_heap_part(short: bool) {
    let lives = env_list(
        "PROLOGUE_PAUSE_LIVE",
        if short { "1000000" } else { "1000000,10000000" },
    );
    let garbages = env_list("PROLOGUE_PAUSE_GARBAGE", "0,1000000");
    let cycles = env_usize("PROLOGUE_PAUSE_CYCLES", if short { 3 } else { 5 }).max(1);
    println!("Full-cycle pause with a large live heap ({cycles} cycles each; medians, ms)");
    println!(
        "{:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>16} {:>12}",
        "live",
        "garbage",
        "pause",
        "clr_pools",
        "roots",
        "mark",
        "sweep",
        "freed",
        "roots+mark obj/s",
        "pause/M live"
    );
    let mut rows = Vec::new();
    for &live in &lives {
        for &garbage in &garbages {
            let r = measure_live_heap(live as u64, garbage as u64, cycles);
            let rate = r.live as f64 / ((r.roots + r.mark) / 1e3);
            println!(
                "{:>10} {:>9} {:>9.2} {:>9.3} {:>9.2} {:>9.2} {:>9.2} {:>9} {:>16.3e} {:>12.2}",
                r.live,
                r.garbage,
                r.pause,
                r.clear_pools,
                r.roots,
                r.mark,
                r.sweep,
                r.freed,
                rate,
                r.pause / (r.live as f64 / 1e6)
            );
            rows.push(r);
        }
    }
    // Per-object costs: live from the garbage-free rows, dead from the difference the garbage
    // makes at the same live size.
    for r in rows.iter().filter(|r| r.garbage == 0) {
        let per_live = r.pause * 1e6 / r.live as f64;
        print!("live {}: {per_live:.1} ns per live object", r.live);
        for g in rows.iter().filter(|g| g.live == r.live && g.garbage > 0) {
            let per_dead = (g.pause - r.pause) * 1e6 / g.garbage as f64;
            let roots_dead = (g.roots - r.roots) * 1e6 / g.garbage as f64;
            let sweep_dead = (g.sweep - r.sweep) * 1e6 / g.garbage as f64;
            print!(
                "; +{per_dead:.1} ns per dead object ({roots_dead:.1} in roots, {sweep_dead:.1} in sweep)"
            );
        }
        println!();
    }
}

const POOLS: usize = 1000;
const ITEMS: usize = 100;

/// p50 and p95 of a sample, by rank like Go's benchmark.
fn p50_p95(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: usize| values[(values.len() * q / 100).min(values.len() - 1)];
    (at(50), at(95))
}

fn report_drain(kind: &str, stats: &[CycleStats]) {
    let (pause50, pause95) = p50_p95(stats.iter().map(|s| us(s.pause)).collect());
    let (clear50, clear95) = p50_p95(stats.iter().map(|s| us(s.clear_pools)).collect());
    let share = median(
        &stats
            .iter()
            .map(|s| s.clear_pools.as_secs_f64() / s.pause.as_secs_f64())
            .collect::<Vec<_>>(),
    );
    let items = median(
        &stats
            .iter()
            .map(|s| s.pool_items_drained as f64)
            .collect::<Vec<_>>(),
    );
    println!(
        "{kind:<22} {pause50:>10.1} {pause95:>10.1} {clear50:>10.1} {clear95:>10.1} {:>8.1}% {items:>9}",
        share * 100.0
    );
}

fn pool_drain_part(short: bool) {
    let cycles = env_usize("PROLOGUE_POOL_CYCLES", if short { 50 } else { 200 }).max(1);
    println!(
        "\nPool drain inside the pause: {POOLS} pools x {ITEMS} items, {cycles} cycles, small heap \
         (1,000 live nodes); Go BenchmarkPoolSTW p50 17-18 us, p95 23-24 us"
    );
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9}",
        "pools", "pause p50", "pause p95", "clr p50", "clr p95", "clr share", "items"
    );
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>10}",
        "", "us", "us", "us", "us"
    );
    let heap = explicit_heap();
    let _live = tree_of(&heap, 1000);

    let empty: Vec<CycleStats> = (0..cycles).map(|_| heap.collect()).collect();
    report_drain("none (baseline)", &empty);

    let pools: Vec<Pool<Vec<u8>>> = (0..POOLS)
        .map(|_| Pool::new(|| Vec::with_capacity(32)))
        .collect();
    let mut stats = Vec::with_capacity(cycles);
    for _ in 0..cycles + 3 {
        for pool in &pools {
            for _ in 0..ITEMS {
                pool.put(Vec::with_capacity(32));
            }
        }
        stats.push(heap.collect());
    }
    report_drain("Pool<Vec<u8>>", &stats[3..]);
    drop(pools);

    let local: Vec<LocalPool<Gc<Node>>> = (0..POOLS)
        .map(|_| LocalPool::new(unreachable_node))
        .collect();
    let mut stats = Vec::with_capacity(cycles);
    for _ in 0..cycles + 3 {
        for pool in &local {
            for i in 0..ITEMS {
                pool.put(heap.alloc(Node {
                    left: None,
                    right: None,
                    value: i as u64,
                }));
            }
        }
        stats.push(heap.collect());
    }
    report_drain("LocalPool<Gc<Node>>", &stats[3..]);
    let freed = median(
        &stats
            .iter()
            .map(|s| s.objects_freed as f64)
            .collect::<Vec<_>>(),
    );
    println!(
        "(LocalPool<Gc<Node>>: {freed} objects freed per cycle by the cycle that drained them)"
    );
}

/// The `new` function of the handle pools; the benchmark only puts, so it is never called.
fn unreachable_node() -> Gc<Node> {
    panic!("the benchmark never gets from an empty pool")
}

fn main() {
    let short = env_flag("PROLOGUE_SHORT");
    live_heap_part(short);
    pool_drain_part(short);
}
