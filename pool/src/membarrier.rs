//! The `membarrier(2)` system call, issued directly (no libc dependency for one call): the
//! drainer's heavy fence (`handshake.rs` says why). Where the call does not exist, or under
//! loom, `register` says no and the handshake uses `SeqCst` fences on both sides.

pub(crate) use imp::{private_expedited, register};

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64"),
    not(all(loom, test))
))]
mod imp {
    //! Linux on x86_64 and aarch64: the system call.

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
    pub(crate) fn register() -> bool {
        membarrier(CMD_REGISTER_PRIVATE_EXPEDITED) == 0 && private_expedited()
    }

    /// A full barrier on every CPU running one of this process's threads.
    pub(crate) fn private_expedited() -> bool {
        membarrier(CMD_PRIVATE_EXPEDITED) == 0
    }
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64"),
    not(all(loom, test))
)))]
mod imp {
    //! No `membarrier` here (or a loom model): both sides use `SeqCst` fences.

    pub(crate) fn register() -> bool {
        false
    }

    pub(crate) fn private_expedited() -> bool {
        false
    }
}
