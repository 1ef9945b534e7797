//! prologue-pool: Go's `sync.Pool` for Rust (skeleton; the pool issue fills it in).

use std::time::Duration;

/// What one [`clear_pools`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Registered pools visited.
    pub pools: usize,
    /// Pooled values dropped.
    pub items: usize,
    /// Time spent.
    pub elapsed: Duration,
}

/// Empties every registered pool.
pub fn clear_pools() -> DrainReport {
    DrainReport::default()
}
