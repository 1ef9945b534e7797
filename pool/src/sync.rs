//! The synchronisation primitives the shard structure is built from.
//!
//! Under `cfg(all(loom, test))` these are loom's model-checked types, so the loom models in
//! `loom_tests.rs` explore every interleaving of the shard protocol; otherwise they are the std
//! atomics and a `parking_lot` mutex. Statics and thread-locals (the registry, the thread index)
//! keep using std directly: loom cannot reach them, and the models do not need them.

#[cfg(all(loom, test))]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize,
};
#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize,
};

/// An `UnsafeCell` with loom's closure-based API (`with` / `with_mut`), so that loom can check
/// every access to the cell for data races.
#[cfg(all(loom, test))]
pub(crate) use loom::cell::UnsafeCell;

/// An `UnsafeCell` with loom's closure-based API (`with` / `with_mut`), so that loom can check
/// every access to the cell for data races.
#[cfg(not(all(loom, test)))]
#[derive(Debug, Default)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(all(loom, test)))]
impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a mutable raw pointer to the contents.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// A mutex whose `lock` cannot fail: `parking_lot`'s (no poisoning, one byte, fast when
/// uncontended), or loom's under the model checker.
#[cfg(not(all(loom, test)))]
pub(crate) type Mutex<T> = parking_lot::Mutex<T>;

/// A mutex whose `lock` cannot fail: `parking_lot`'s (no poisoning, one byte, fast when
/// uncontended), or loom's under the model checker.
#[cfg(all(loom, test))]
#[derive(Debug)]
pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

#[cfg(all(loom, test))]
impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        // The shard code never panics while holding a stash lock, so it is never poisoned.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One step of a spin-wait for a flag another thread clears after a few instructions:
/// spin briefly, then yield the CPU (the other thread may have been preempted).
#[cfg(not(all(loom, test)))]
#[inline]
pub(crate) fn spin_wait(spins: &mut u32) {
    if *spins < 64 {
        *spins += 1;
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// One step of a spin-wait: under loom, every spin must yield to the model's scheduler.
#[cfg(all(loom, test))]
#[inline]
pub(crate) fn spin_wait(_spins: &mut u32) {
    loom::thread::yield_now();
}

/// Asks the CPU to bring the cache line at `p` closer: a hint with no visible effect, which
/// lets a drain overlap the cache misses of the next pools with the work on the current one.
#[cfg(all(target_arch = "x86_64", not(all(loom, test))))]
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    // SAFETY: `prefetcht0` never faults, whatever the address, and changes no architectural
    // state (no memory is read into a register, nothing is written).
    unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast()) }
}

/// Asks the CPU to bring the cache line at `p` closer (a no-op on this target and under loom).
#[cfg(not(all(target_arch = "x86_64", not(all(loom, test)))))]
#[inline(always)]
pub(crate) fn prefetch<T>(_p: *const T) {}
