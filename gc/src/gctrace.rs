//! `PROLOGUE_GCTRACE=1`: one line per cycle on stderr, like Go's `GODEBUG=gctrace=1` (the
//! line is [`CycleStats`]'s `Display`).
//!
//! The time after `@` is measured from the first `Heap` created in the process.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::stats::CycleStats;

static START: OnceLock<Instant> = OnceLock::new();
static ENABLED: OnceLock<bool> = OnceLock::new();

/// Remembers when the first heap was created (the `@` time's origin).
pub(crate) fn note_start() {
    START.get_or_init(Instant::now);
}

/// How long ago the first heap of the process was created.
pub(crate) fn since_start() -> Duration {
    START.get().map_or(Duration::ZERO, |s| s.elapsed())
}

/// Whether `PROLOGUE_GCTRACE=1` (read once per process).
fn gctrace_enabled() -> bool {
    *ENABLED.get_or_init(|| std::env::var("PROLOGUE_GCTRACE").is_ok_and(|v| v == "1"))
}

pub(crate) fn emit(stats: &CycleStats) {
    if gctrace_enabled() {
        eprintln!("{stats}");
    }
}
