//! prologue-gc (skeleton; the gc issue fills it in).

/// Runs a cycle's first phase: drains every pool.
pub fn gc_start() -> prologue_pool::DrainReport {
    prologue_pool::clear_pools()
}
