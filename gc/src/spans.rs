//! The collector as seen by the `tracing` crate (cargo feature `tracing`), so a program that
//! already uses `tracing` sees its collections among its own spans.
//!
//! - every stop of the program for the collector is a span, target `prologue_gc`, level
//!   `DEBUG`, field `heap` (the heap's id): `gc_full` (a stop-the-world full cycle), `gc_young`,
//!   `gc_incremental_start`, `gc_incremental_step`, `gc_incremental_finish` (the three kinds of
//!   stop of an incremental cycle; a step that completes the marking holds the finish), and
//!   `gc_sweep` (sweeping an allocation had to do: a page a lazy sweep left);
//! - every cycle ends with a `DEBUG` event "gc cycle" carrying its figures (trigger, pause,
//!   objects and bytes freed and live, heap before and after, next goal), inside the span of
//!   the stop that ended it, after one `DEBUG` event "gc phase" per phase it ran (`phase`:
//!   sweep_finish, clear_pools, release, roots, mark, finalize, sweep, pool_drop), each with
//!   its duration and its figures;
//! - every pause is a `TRACE` event "gc pause" (`kind`, `pause_ns`).
//!
//! Durations are integer nanoseconds (`*_ns`). The figures come from the cycle's
//! [`CycleStats`], built where every kind of cycle ends (`report_cycle`), so the events need no
//! code in the phases themselves. Without the feature every function here is an empty inline
//! one: no cost.

use crate::recorder::Pause;
use crate::stats::CycleStats;

/// Which kind of stop a span covers.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stop {
    Full,
    Young,
    IncrementalStart,
    IncrementalStep,
    IncrementalFinish,
    Sweep,
}

/// The span of one stop, entered until dropped.
#[must_use]
pub(crate) struct StopSpan {
    #[cfg(feature = "tracing")]
    _entered: tracing::span::EnteredSpan,
}

/// Enters the span of a stop of `kind` on heap `heap_id`.
#[inline(always)]
pub(crate) fn enter(kind: Stop, heap_id: u32) -> StopSpan {
    #[cfg(feature = "tracing")]
    {
        let span = match kind {
            Stop::Full => tracing::debug_span!(target: "prologue_gc", "gc_full", heap = heap_id),
            Stop::Young => tracing::debug_span!(target: "prologue_gc", "gc_young", heap = heap_id),
            Stop::IncrementalStart => {
                tracing::debug_span!(target: "prologue_gc", "gc_incremental_start", heap = heap_id)
            }
            Stop::IncrementalStep => {
                tracing::debug_span!(target: "prologue_gc", "gc_incremental_step", heap = heap_id)
            }
            Stop::IncrementalFinish => {
                tracing::debug_span!(target: "prologue_gc", "gc_incremental_finish", heap = heap_id)
            }
            Stop::Sweep => tracing::debug_span!(target: "prologue_gc", "gc_sweep", heap = heap_id),
        };
        StopSpan {
            _entered: span.entered(),
        }
    }
    #[cfg(not(feature = "tracing"))]
    {
        let _ = (kind, heap_id);
        StopSpan {}
    }
}

/// The "gc phase" events and the "gc cycle" event of a cycle that ended.
#[inline(always)]
pub(crate) fn cycle_end(stats: &CycleStats) {
    #[cfg(feature = "tracing")]
    emit_cycle(stats);
    #[cfg(not(feature = "tracing"))]
    let _ = stats;
}

/// The "gc pause" event.
#[inline(always)]
pub(crate) fn pause(pause: &Pause) {
    #[cfg(feature = "tracing")]
    tracing::trace!(
        target: "prologue_gc",
        kind = ?pause.kind,
        pause_ns = nanos(pause.duration),
        "gc pause"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = pause;
}

#[cfg(feature = "tracing")]
fn nanos(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(feature = "tracing")]
#[inline(never)]
fn emit_cycle(s: &CycleStats) {
    use crate::stats::Trigger;
    if !tracing::enabled!(target: "prologue_gc", tracing::Level::DEBUG) {
        return;
    }
    let young = s.trigger == Trigger::Young;
    macro_rules! phase {
        ($name:literal, $d:expr $(, $k:ident = $v:expr)*) => {
            tracing::debug!(
                target: "prologue_gc",
                phase = $name,
                duration_ns = nanos($d),
                $($k = $v,)*
                "gc phase"
            )
        };
    }
    if !young {
        phase!("sweep_finish", s.sweep_finish);
        phase!(
            "clear_pools",
            s.clear_pools,
            pools = s.pools_drained as u64,
            items = s.pool_items_drained as u64
        );
    }
    if young {
        phase!(
            "release",
            s.release,
            objects_released = s.objects_released as u64
        );
    }
    phase!("roots", s.roots, roots_found = s.roots_found as u64);
    phase!(
        "mark",
        s.mark,
        objects_marked = s.objects_live as u64,
        bytes_marked = s.bytes_live as u64
    );
    if s.finalized != 0 {
        phase!("finalize", s.finalize, finalized = s.finalized as u64);
    }
    phase!(
        "sweep",
        s.sweep,
        lazy = s.lazy_sweep,
        objects_freed = s.objects_freed as u64,
        bytes_freed = s.bytes_freed as u64
    );
    if !young {
        phase!("pool_drop", s.pool_drop);
    }
    tracing::debug!(
        target: "prologue_gc",
        cycle = s.cycle,
        trigger = ?s.trigger,
        incremental = s.incremental,
        stops = s.stops,
        pause_ns = nanos(s.pause),
        longest_stop_ns = nanos(s.longest_stop),
        objects_freed = s.objects_freed as u64,
        bytes_freed = s.bytes_freed as u64,
        objects_live = s.objects_live as u64,
        bytes_live = s.bytes_live as u64,
        heap_before = s.heap_before as u64,
        heap_after = s.heap_after as u64,
        next_goal = s.next_goal as u64,
        "gc cycle"
    );
}
