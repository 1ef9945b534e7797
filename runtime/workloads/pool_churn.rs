//! Pool churn: threads take and return expensive buffers from static pools while their heaps
//! collect, after Go's `BenchmarkPoolExpensiveNew` (src/sync/pool_test.go).
//!
//! Each of `threads` mutator threads owns a heap and runs `2^depth` rounds. A round takes
//! [`ITEMS_PER_ROUND`] buffers from one shared pool, and for each one allocates
//! [`GARBAGE_BYTES`] of garbage (Go's `sink = make([]byte, 32<<10)`), so the heaps collect every
//! few rounds; then it checks each buffer is intact and puts them all back. Every collection on
//! any thread drains the pool (`gc_start` calls `clear_pools`), so what the pool saves depends on
//! the drain policy: the report's pool hits and news, Go's `New/op`, say how much.
//!
//! A buffer costs [`BUFFER_BYTES`] filled with a computed pattern to make (Go's benchmark sleeps a
//! millisecond in `New`; a computed fill keeps the baseline finite). The baseline makes a fresh
//! buffer for every take and allocates its garbage with `Vec`.
//!
//! ```
//! use prologue_workloads::{pool_churn, Engine, Params, Workload};
//!
//! let params = Params::new(Workload::PoolChurn, 2);
//! let run = pool_churn::run(Engine::Prologue, &params);
//! assert_eq!(run.checksum, 2 * 4 * pool_churn::ITEMS_PER_ROUND as u64);
//! assert!(run.pools.unwrap().gets >= run.checksum);
//! ```

use super::observe::{GcSummary, Recorder};
use super::{Engine, Params, RunResult, Workload};
use prologue::Heap;
use prologue::{DrainPolicy, Pool, PoolStats};
use std::hint::black_box;
use std::ops::RangeInclusive;
use std::time::Instant;

/// Sizes `prologue bench --workload pool-churn` accepts: `2^depth` rounds per thread.
pub const DEPTH_RANGE: RangeInclusive<u32> = 0..=20;

/// The default size.
pub const DEFAULT_DEPTH: u32 = 10;

/// Buffers each round holds at once (Go's benchmark: 100).
pub const ITEMS_PER_ROUND: usize = 100;

/// The size of a pooled buffer.
pub const BUFFER_BYTES: usize = 16 << 10;

/// Garbage allocated per buffer taken (Go's benchmark: 32 KiB).
pub const GARBAGE_BYTES: usize = 32 << 10;

/// The pool of buffers with the default policy ([`DrainPolicy::Drain`]).
static DRAIN_BUFFERS: Pool<Buffer> = Pool::new(Buffer::new);

/// The same pool with [`DrainPolicy::Victim`].
static VICTIM_BUFFERS: Pool<Buffer> = Pool::new(Buffer::new).with_policy(DrainPolicy::Victim);

/// Zeros the garbage is copied from (a stand-in for Go's zeroed `make`).
static ZEROS: [u8; GARBAGE_BYTES] = [0; GARBAGE_BYTES];

/// An expensive value: a buffer filled with a pattern derived from its seed, which a user can
/// check is still intact.
pub struct Buffer {
    seed: u64,
    bytes: Vec<u8>,
}

impl Buffer {
    /// Makes a buffer of [`BUFFER_BYTES`] filled with a pseudo-random pattern (the cost of `new`).
    pub fn new() -> Buffer {
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEEDS: AtomicU64 = AtomicU64::new(1);
        let seed = SEEDS.fetch_add(1, Ordering::Relaxed);
        let mut bytes = Vec::with_capacity(BUFFER_BYTES);
        let mut state = seed;
        while bytes.len() < BUFFER_BYTES {
            state = xorshift(state);
            bytes.extend_from_slice(&state.to_le_bytes());
        }
        Buffer { seed, bytes }
    }

    /// Whether the buffer still holds the pattern it was made with (spot checks, start and end).
    pub fn is_intact(&self) -> bool {
        let first = xorshift(self.seed).to_le_bytes();
        self.bytes.len() == BUFFER_BYTES && self.bytes[..8] == first && {
            let mut state = self.seed;
            for _ in 0..BUFFER_BYTES / 8 {
                state = xorshift(state);
            }
            self.bytes[BUFFER_BYTES - 8..] == state.to_le_bytes()
        }
    }
}

impl Default for Buffer {
    fn default() -> Self {
        Buffer::new()
    }
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

fn pool_for(policy: DrainPolicy) -> Option<&'static Pool<Buffer>> {
    match policy {
        DrainPolicy::Drain => Some(&DRAIN_BUFFERS),
        DrainPolicy::Victim => Some(&VICTIM_BUFFERS),
        _ => None,
    }
}

/// What the pool did between two snapshots of its counters.
fn delta(before: PoolStats, after: PoolStats) -> PoolStats {
    let mut during = after;
    during.gets -= before.gets;
    during.news -= before.news;
    during.puts -= before.puts;
    during.drained -= before.drained;
    during.discarded -= before.discarded;
    during.stolen -= before.stolen;
    during.victim_hits -= before.victim_hits;
    during
}

/// What one thread did: buffers handled and how many were found damaged.
#[derive(Default)]
struct Tally {
    handled: u64,
    damaged: u64,
}

fn rounds_on_heap(
    params: &Params,
    pool: &Pool<Buffer>,
    thread: usize,
    start: Instant,
) -> (Tally, GcSummary) {
    let heap = Heap::with_config(params.config.clone());
    let recorder = Recorder::attach(&heap, thread, start).census(params.census);
    let mut tally = Tally::default();
    let mut items = Vec::with_capacity(ITEMS_PER_ROUND);
    for _ in 0..1u64 << params.depth {
        for _ in 0..ITEMS_PER_ROUND {
            items.push(pool.get());
            black_box(heap.alloc_slice(&ZEROS[..]));
        }
        for item in items.drain(..) {
            tally.handled += 1;
            tally.damaged += u64::from(!item.is_intact());
            pool.put(item);
        }
    }
    (tally, recorder.finish(&heap))
}

fn rounds_on_box(params: &Params) -> Tally {
    let mut tally = Tally::default();
    let mut items = Vec::with_capacity(ITEMS_PER_ROUND);
    for _ in 0..1u64 << params.depth {
        for _ in 0..ITEMS_PER_ROUND {
            items.push(Buffer::new());
            black_box(ZEROS.to_vec());
        }
        for item in items.drain(..) {
            tally.handled += 1;
            tally.damaged += u64::from(!item.is_intact());
        }
    }
    tally
}

/// Runs pool churn with `params` on `engine`.
///
/// # Panics
///
/// Panics if `params.depth` is outside [`DEPTH_RANGE`] or `params.threads` is zero.
pub fn run(engine: Engine, params: &Params) -> RunResult {
    assert!(
        DEPTH_RANGE.contains(&params.depth) && params.threads > 0,
        "pool-churn size out of range"
    );
    let local_pool;
    let pool = match pool_for(params.policy) {
        Some(pool) => pool,
        None => {
            local_pool = Pool::new(Buffer::new).with_policy(params.policy);
            &local_pool
        }
    };
    let before = pool.stats();
    let start = Instant::now();
    let (tallies, gc): (Vec<Tally>, Option<GcSummary>) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..params.threads)
            .map(|thread| {
                scope.spawn(move || match engine {
                    Engine::Prologue => {
                        let (tally, gc) = rounds_on_heap(params, pool, thread, start);
                        (tally, Some(gc))
                    }
                    Engine::Baseline => (rounds_on_box(params), None),
                })
            })
            .collect();
        let (tallies, summaries): (Vec<Tally>, Vec<Option<GcSummary>>) = workers
            .into_iter()
            .map(|w| w.join().expect("a pool-churn thread panicked"))
            .unzip();
        let gc = match engine {
            Engine::Prologue => Some(GcSummary::merge(summaries.into_iter().flatten())),
            Engine::Baseline => None,
        };
        (tallies, gc)
    });
    let wall = start.elapsed();
    let handled: u64 = tallies.iter().map(|t| t.handled).sum();
    let damaged: u64 = tallies.iter().map(|t| t.damaged).sum();
    let output = format!(
        "{} threads x {} rounds x {ITEMS_PER_ROUND} buffers of {} KiB, {} KiB of garbage each\n\
         buffers handled: {handled}, damaged: {damaged}\n",
        params.threads,
        1u64 << params.depth,
        BUFFER_BYTES >> 10,
        GARBAGE_BYTES >> 10,
    );
    RunResult {
        workload: Workload::PoolChurn,
        engine,
        depth: params.depth,
        output,
        checksum: handled,
        wall,
        gc,
        pools: (engine == Engine::Prologue).then(|| delta(before, pool.stats())),
        rounds: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_buffers_are_intact_and_damage_is_seen() {
        let mut buffer = Buffer::new();
        assert!(buffer.is_intact());
        buffer.bytes[BUFFER_BYTES - 1] ^= 1;
        assert!(!buffer.is_intact());
    }

    #[test]
    fn engines_agree_and_buffers_come_back_intact() {
        for policy in [DrainPolicy::Drain, DrainPolicy::Victim] {
            let mut params = Params::new(Workload::PoolChurn, 3);
            params.policy = policy;
            let heap = run(Engine::Prologue, &params);
            let boxed = run(Engine::Baseline, &params);
            assert_eq!(heap.output, boxed.output);
            assert!(heap.output.contains("damaged: 0"));
            let pools = heap.pools.unwrap();
            assert_eq!(pools.gets, 2 * 8 * ITEMS_PER_ROUND as u64);
            assert!(pools.news <= pools.gets);
        }
    }
}
