//! Ports of Go's sync.Pool benchmarks (src/sync/pool_test.go) and the same round trip on the
//! alternatives: a bare `thread_local!` `RefCell<Vec<T>>` (the floor: no sharing at all), a
//! `parking_lot::Mutex<Vec<T>>`, and the `object-pool` and `lockfree-object-pool` crates.
//!
//! Round trip (BenchmarkPool with Go's usual 4 KiB buffer): get, clear, push one byte, put.
//! The 2-thread figures are per thread: wall time / round trips of one thread, both threads
//! working on one shared pool at once (Go's RunParallel prints half that: it divides by the
//! round trips of all goroutines).
//!
//! BenchmarkPoolSTW: the detach time of `detach_pools` (the part that runs inside a collection
//! pause) with 1 pool x 100,000 values and 1,000 pools x 100 values; p50 and p95 are printed.
//!
//! Run: `cargo bench -p prologue-benches --bench pool -- --warm-up-time 1 --measurement-time 2`

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::cell::RefCell;
use std::hint::black_box;
use std::sync::{Barrier, Mutex as StdMutex};
use std::time::{Duration, Instant};

const BUF: usize = 4096;

fn new_buf() -> Vec<u8> {
    Vec::with_capacity(BUF)
}

/// One round trip's work on a buffer.
#[inline(always)]
fn touch(buf: &mut Vec<u8>) {
    buf.clear();
    buf.push(1);
    black_box(&buf);
}

static POOL: prologue::Pool<Vec<u8>> = prologue::Pool::new(new_buf);

thread_local! {
    static FLOOR: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

static MUTEX: parking_lot::Mutex<Vec<Vec<u8>>> = parking_lot::const_mutex(Vec::new());

/// The peer crates' pools, built once.
struct Peers {
    object_pool: object_pool::Pool<Vec<u8>>,
    lockfree: lockfree_object_pool::LinearObjectPool<Vec<u8>>,
}

fn peers() -> &'static Peers {
    static PEERS: std::sync::OnceLock<Peers> = std::sync::OnceLock::new();
    PEERS.get_or_init(|| Peers {
        object_pool: object_pool::Pool::new(0, new_buf),
        lockfree: lockfree_object_pool::LinearObjectPool::new(new_buf, |v| v.clear()),
    })
}

#[inline(always)]
fn floor_round_trip() {
    let mut buf = FLOOR.with(|f| f.borrow_mut().pop()).unwrap_or_else(new_buf);
    touch(&mut buf);
    FLOOR.with(|f| f.borrow_mut().push(buf));
}

#[inline(always)]
fn pool_round_trip() {
    let mut buf = POOL.get();
    touch(&mut buf);
    POOL.put(buf);
}

#[inline(always)]
fn mutex_round_trip() {
    let mut buf = MUTEX.lock().pop().unwrap_or_else(new_buf);
    touch(&mut buf);
    MUTEX.lock().push(buf);
}

#[inline(always)]
fn object_pool_round_trip() {
    let mut buf = peers().object_pool.pull(new_buf);
    touch(&mut buf);
}

#[inline(always)]
fn lockfree_round_trip() {
    let mut buf = peers().lockfree.pull();
    touch(&mut buf);
}

/// Runs `work(iters)` on `threads` threads started together; returns the slowest thread's
/// time, i.e. the per-thread time of `iters` operations with all threads contending.
fn parallel(threads: usize, iters: u64, work: impl Fn(u64) + Sync) -> Duration {
    let barrier = Barrier::new(threads);
    let slowest = StdMutex::new(Duration::ZERO);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                work(iters.min(1000)); // warm this thread's caches outside the timing
                barrier.wait();
                let start = Instant::now();
                work(iters);
                let took = start.elapsed();
                let mut slowest = slowest.lock().unwrap();
                *slowest = (*slowest).max(took);
            });
        }
    });
    slowest.into_inner().unwrap()
}

fn bench_group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(20);
    group
}

/// Benchmarks one round trip (monomorphised: no indirect call in the loop).
fn bench_round_trip(
    group: &mut BenchmarkGroup<'_, WallTime>,
    threads: usize,
    name: &str,
    op: impl Fn() + Sync,
) {
    group.bench_function(name, |b| {
        if threads == 1 {
            b.iter(&op);
        } else {
            b.iter_custom(|iters| {
                parallel(threads, iters, |n| {
                    for _ in 0..n {
                        op();
                    }
                })
            });
        }
    });
}

/// BenchmarkPool: round trip of a 4 KiB buffer, 1 and 2 threads on one shared pool.
fn round_trip(c: &mut Criterion) {
    peers();
    for threads in [1, 2] {
        let mut group = bench_group(c, &format!("round_trip_4k/{threads}_thread"));
        bench_round_trip(&mut group, threads, "thread_local_floor", floor_round_trip);
        bench_round_trip(&mut group, threads, "prologue_pool", pool_round_trip);
        bench_round_trip(
            &mut group,
            threads,
            "parking_lot_mutex_vec",
            mutex_round_trip,
        );
        bench_round_trip(&mut group, threads, "object_pool", object_pool_round_trip);
        bench_round_trip(
            &mut group,
            threads,
            "lockfree_object_pool",
            lockfree_round_trip,
        );
        group.finish();
    }
}

/// BenchmarkPoolOverflow: 100 puts then 100 gets per operation; 2 threads, per thread.
fn overflow(c: &mut Criterion) {
    let pool: prologue::Pool<u64> = prologue::Pool::new(|| 0);
    let mut group = bench_group(c, "overflow_100");
    group.bench_function("prologue_pool/2_threads", |b| {
        b.iter_custom(|iters| {
            parallel(2, iters, |n| {
                for _ in 0..n {
                    for i in 0..100 {
                        pool.put(i);
                    }
                    for _ in 0..100 {
                        black_box(pool.get());
                    }
                }
            })
        })
    });
    let mutex = parking_lot::Mutex::new(Vec::new());
    group.bench_function("parking_lot_mutex_vec/2_threads", |b| {
        b.iter_custom(|iters| {
            parallel(2, iters, |n| {
                for _ in 0..n {
                    for i in 0..100u64 {
                        mutex.lock().push(i);
                    }
                    for _ in 0..100 {
                        black_box(mutex.lock().pop().unwrap_or(0));
                    }
                }
            })
        })
    });
    group.finish();
}

/// BenchmarkPoolStarvation: 67 puts then 100 gets (forces stealing and `new`); 2 threads.
fn starvation(c: &mut Criterion) {
    let pool: prologue::Pool<u64> = prologue::Pool::new(|| 0);
    let mut group = bench_group(c, "starvation_67_of_100");
    group.bench_function("prologue_pool/2_threads", |b| {
        b.iter_custom(|iters| {
            parallel(2, iters, |n| {
                for _ in 0..n {
                    for i in 0..67 {
                        pool.put(i);
                    }
                    for _ in 0..100 {
                        black_box(pool.get());
                    }
                }
            })
        })
    });
    group.finish();
    let stats = pool.stats();
    println!(
        "starvation: {} gets, {} news, {} stolen",
        stats.gets, stats.news, stats.stolen
    );
}

/// One STW sample: fill the pools, time `detach_pools`, drop outside the timing.
fn stw_sample(pools: &[prologue::Pool<u64>], per_pool: u64) -> Duration {
    for p in pools {
        for i in 0..per_pool {
            p.put(i);
        }
    }
    let detached = prologue::detach_pools();
    let took = detached.detach_time();
    detached.finish();
    took
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// BenchmarkPoolSTW: detach time with 1 pool x 100,000 values and 1,000 pools x 100 values.
fn stw(c: &mut Criterion) {
    let mut group = bench_group(c, "stw_detach");
    for (count, per_pool) in [(1usize, 100_000u64), (1000, 100)] {
        let pools: Vec<prologue::Pool<u64>> =
            (0..count).map(|_| prologue::Pool::new(|| 0)).collect();
        let name = format!("{count}_pools_x_{per_pool}");
        let mut samples = Vec::new();
        for _ in 0..101 {
            samples.push(stw_sample(&pools, per_pool));
        }
        samples.sort_unstable();
        println!(
            "stw_detach/{name}: p50 {:?}  p95 {:?}  (101 samples; membarrier: {})",
            percentile(&samples, 50),
            percentile(&samples, 95),
            prologue::diagnostics::uses_membarrier()
        );
        group.bench_function(&name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| stw_sample(&pools, per_pool)).sum())
        });
    }
    group.finish();
}

criterion_group!(benches, round_trip, overflow, starvation, stw);
criterion_main!(benches);
