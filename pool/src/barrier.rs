//! Asymmetric fences: a nearly free fence on the owner's fast path, a heavy one for the drainer.
//!
//! The shard protocol (see `shard.rs`) is a Dekker handshake: the owner writes `busy` then reads
//! the drain gate; the drainer writes the gate then reads `busy`. Each side needs a store-load
//! fence between its write and its read, or both could miss the other's write. A `SeqCst` fence
//! on every `get`/`put` would cost as much as the rest of the round trip, so we use the Linux
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` system call instead: it executes a full memory
//! barrier on every CPU running a thread of this process, which lets the owner's side shrink to a
//! compiler fence. Drains are rare, so moving the whole cost there is a good trade.
//!
//! Where `membarrier` is unavailable (other systems, old kernels, valgrind, loom), both sides
//! use a `SeqCst` fence: the same protocol, slower fast path. The owner learns which from the
//! gate's closed value (`shard::Gate`), so its fast path reads no mode flag.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Once;

/// Owners fence with `SeqCst` (also the state before [`init`] has decided).
const MODE_FENCE: u8 = 0;
/// Owners use a compiler fence and `heavy` calls `membarrier`.
const MODE_MEMBARRIER: u8 = 1;

static MODE: AtomicU8 = AtomicU8::new(MODE_FENCE);
static INIT: Once = Once::new();

/// Decides the mode, once per process. Runs before the first shard exists (`PoolCore::new`
/// calls it through `registry::prepare_gate`), and the mode never changes afterwards.
pub(crate) fn init() {
    INIT.call_once(|| {
        if cfg!(all(loom, test)) {
            return;
        }
        if membarrier::register() {
            MODE.store(MODE_MEMBARRIER, Ordering::Relaxed);
        }
    });
}

/// Whether owners may use a compiler fence (the drainer's `heavy` calls `membarrier`).
pub(crate) fn uses_membarrier() -> bool {
    init();
    MODE.load(Ordering::Relaxed) == MODE_MEMBARRIER
}

/// The drainer's side of the handshake, between its gate store and its first `busy` load.
pub(crate) fn heavy() {
    init();
    crate::sync::fence(Ordering::SeqCst);
    if MODE.load(Ordering::Relaxed) == MODE_MEMBARRIER {
        // Registration succeeded, so this command cannot fail; if it ever did, owners would be
        // running with compiler fences only and continuing would be unsound.
        if !membarrier::private_expedited() {
            std::process::abort();
        }
    }
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64"),
    not(all(loom, test))
))]
mod membarrier {
    //! The `membarrier(2)` system call, issued directly (no libc dependency for one call).

    const CMD_PRIVATE_EXPEDITED: usize = 1 << 3;
    const CMD_REGISTER_PRIVATE_EXPEDITED: usize = 1 << 4;

    #[cfg(target_arch = "x86_64")]
    const SYS_MEMBARRIER: usize = 324;
    #[cfg(target_arch = "aarch64")]
    const SYS_MEMBARRIER: usize = 283;

    fn membarrier(cmd: usize) -> isize {
        let ret: isize;
        // SAFETY: membarrier(cmd, flags = 0, cpu_id = 0) reads and writes no user memory; the
        // asm clobbers only the registers the kernel's system-call ABI says it may clobber
        // (rcx and r11 on x86_64; on aarch64 only x0 carries the result).
        unsafe {
            #[cfg(target_arch = "x86_64")]
            std::arch::asm!(
                "syscall",
                inlateout("rax") SYS_MEMBARRIER as isize => ret,
                in("rdi") cmd,
                in("rsi") 0usize,
                in("rdx") 0usize,
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack),
            );
            #[cfg(target_arch = "aarch64")]
            std::arch::asm!(
                "svc 0",
                in("x8") SYS_MEMBARRIER,
                inlateout("x0") cmd as isize => ret,
                in("x1") 0usize,
                in("x2") 0usize,
                options(nostack),
            );
        }
        ret
    }

    /// Registers the process for expedited private barriers; false if the kernel refuses.
    pub(super) fn register() -> bool {
        membarrier(CMD_REGISTER_PRIVATE_EXPEDITED) == 0 && private_expedited()
    }

    /// A full barrier on every CPU running one of this process's threads.
    pub(super) fn private_expedited() -> bool {
        membarrier(CMD_PRIVATE_EXPEDITED) == 0
    }
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64"),
    not(all(loom, test))
)))]
mod membarrier {
    //! No `membarrier` here: both sides use `SeqCst` fences.

    pub(super) fn register() -> bool {
        false
    }

    pub(super) fn private_expedited() -> bool {
        false
    }
}
