//! `PROLOGUE_GCTRACE=1`: one line per cycle on stderr, like Go's `GODEBUG=gctrace=1`.
//!
//! ```text
//! gc 7 @0.412s pacing: 0.003+0.000+0.210+0.350+0.120 ms clear_pools+release+roots+mark+sweep = 0.690 ms pause (+0.004 ms pool drop); 8192.0->4100.5->8201.0 KiB heap->live->goal; 1 roots, 5120 live, 4890 freed (0 released); 2 pools, 31 items drained
//! ```
//!
//! The time after `@` is measured from the first `Heap` created in the process.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::stats::{CycleStats, Trigger};

static START: OnceLock<Instant> = OnceLock::new();
static ENABLED: OnceLock<bool> = OnceLock::new();

/// Remembers when the first heap was created (the `@` time's origin).
pub(crate) fn note_start() {
    START.get_or_init(Instant::now);
}

/// Whether `PROLOGUE_GCTRACE=1` (read once per process).
pub fn gctrace_enabled() -> bool {
    *ENABLED.get_or_init(|| std::env::var("PROLOGUE_GCTRACE").is_ok_and(|v| v == "1"))
}

pub(crate) fn emit(stats: &CycleStats) {
    if gctrace_enabled() {
        eprintln!("{}", gctrace_line(stats));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn kib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

/// The gctrace line for one cycle (what `PROLOGUE_GCTRACE=1` prints), without a newline.
///
/// ```
/// let heap = prologue_gc::Heap::new();
/// let line = prologue_gc::gctrace_line(&heap.collect());
/// assert!(line.starts_with("gc 1 @"));
/// assert!(line.contains("clear_pools+release+roots+mark+sweep"));
/// ```
pub fn gctrace_line(stats: &CycleStats) -> String {
    let since = START.get().map_or(Duration::ZERO, |s| s.elapsed());
    let trigger = match stats.trigger {
        Trigger::Explicit => "explicit",
        Trigger::Pacing => "pacing",
        Trigger::Limit => "limit",
        Trigger::Torture => "torture",
        Trigger::HeapDrop => "heap-drop",
        Trigger::Young => "young",
    };
    format!(
        "gc {} @{:.3}s {}: {:.3}+{:.3}+{:.3}+{:.3}+{:.3} ms clear_pools+release+roots+mark+sweep = {:.3} ms pause \
         (+{:.3} ms pool drop); \
         {:.1}->{:.1}->{:.1} KiB heap->live->goal; {} roots, {} live, {} freed ({} released); {} pools, {} items drained",
        stats.cycle,
        since.as_secs_f64(),
        trigger,
        ms(stats.clear_pools),
        ms(stats.release),
        ms(stats.roots),
        ms(stats.mark),
        ms(stats.sweep),
        ms(stats.pause),
        ms(stats.pool_drop),
        kib(stats.heap_before),
        kib(stats.heap_after),
        kib(stats.next_goal),
        stats.roots_found,
        stats.objects_live,
        stats.objects_freed,
        stats.objects_released,
        stats.pools_drained,
        stats.pool_items_drained,
    )
}
