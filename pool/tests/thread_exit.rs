//! Pools used from thread-local destructors, after the pool's own per-thread state is gone.
//!
//! A thread that touches a thread-local of its own before its first pool use registers that
//! thread-local's destructor first, so at exit it runs last: after the destructor that hands
//! the thread's index back. A pool used there must not take an index for good, or every such
//! thread would leave one behind, and every pool's shard table (and every drain) would grow
//! with the number of threads ever started.

mod common;

use common::size;
use prologue_pool::{diagnostics, Pool};
use std::time::{Duration, Instant};

static POOL: Pool<Vec<u8>> = Pool::new(Vec::new);
/// A pool with a size limit: its `put` takes the measured path.
static MEASURED: Pool<Vec<u8>> = Pool::new(Vec::new).with_max_size(64, Vec::capacity);

/// Uses the pools in every way from its destructor.
struct Late;

impl Drop for Late {
    fn drop(&mut self) {
        POOL.put(vec![1]);
        drop(POOL.get());
        drop(POOL.try_get());
        POOL.pull().push(2); // the guard puts it back
        MEASURED.put(Vec::with_capacity(8));
        MEASURED.put(Vec::with_capacity(1024)); // over the limit: dropped
    }
}

thread_local! {
    static LATE: Late = const { Late };
}

/// How many threads are alive at once.
const BATCH: usize = 4;

/// Median time of `POOL.clear()` on an empty pool: the drain's walk over the shard table.
fn clear_time() -> Duration {
    let mut samples: Vec<Duration> = (0..101)
        .map(|_| {
            let t0 = Instant::now();
            POOL.clear();
            t0.elapsed()
        })
        .collect();
    samples.sort_unstable();
    samples[50]
}

#[test]
fn late_uses_during_thread_exit_leave_the_index_tables_flat() {
    let threads = size(3000).max(40); // 40 threads under PROLOGUE_SHORT=1 (valgrind)
    POOL.put(Vec::new());
    let before = diagnostics::thread_index_high_water();
    let drain_before = clear_time();
    for _ in 0..threads / BATCH {
        let batch: Vec<_> = (0..BATCH)
            .map(|_| {
                std::thread::spawn(|| {
                    LATE.with(|_| {}); // registered before the pool's thread state
                    POOL.put(Vec::new());
                    drop(POOL.get());
                })
            })
            .collect();
        for thread in batch {
            thread.join().unwrap();
        }
    }
    let after = diagnostics::thread_index_high_water();
    let drain_after = clear_time();
    eprintln!(
        "{threads} threads: thread indices {before} -> {after}; \
         POOL.clear() p50 {drain_before:?} -> {drain_after:?}"
    );
    // Every late destructor ran (one late `put` of `MEASURED` kept, one dropped, per thread).
    let measured = MEASURED.stats();
    assert_eq!(measured.puts, 2 * (threads / BATCH * BATCH) as u64);
    assert_eq!(measured.discarded, (threads / BATCH * BATCH) as u64);
    // At most this test's thread, the harness's and one batch hold indices at once (and a
    // lease a thread takes while another is between its exit and its join): a handful, however
    // many threads ran.
    assert!(
        after <= before + 2 * BATCH + 2,
        "thread indices grew from {before} to {after} over {threads} exiting threads"
    );
}
