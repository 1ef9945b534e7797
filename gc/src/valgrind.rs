//! Memcheck client requests, so valgrind still sees use-after-free inside our pages.
//!
//! A page is one system allocation, so to memcheck every byte of it stays addressable after
//! we free a slot in it: a stale handle reading a freed object would go unreported. With the
//! `valgrind` cargo feature on x86_64, the allocator tells memcheck what it does: a page's
//! slots start *no-access*, a slot handed out becomes *undefined* (its bytes are written
//! before they are read), and a freed slot becomes *no-access* again. Without the feature, or
//! on other targets, these functions do nothing.
//!
//! The requests are the "special instruction" sequence of valgrind.h (rotations of `rdi` that
//! add up to a no-op, then `xchg rbx, rbx`): on a real CPU they change nothing; under
//! valgrind the JIT sees the sequence and serves the request. No crate was used: none that
//! builds offline here wraps them, and they are a few lines.

#[cfg(all(feature = "valgrind", target_arch = "x86_64"))]
mod requests {
    /// `VG_USERREQ_TOOL_BASE('M', 'C')` from memcheck.h: the first memcheck request.
    const MEMCHECK_BASE: u64 = ((b'M' as u64) << 24) | ((b'C' as u64) << 16);
    const MAKE_MEM_NOACCESS: u64 = MEMCHECK_BASE;
    const MAKE_MEM_UNDEFINED: u64 = MEMCHECK_BASE + 1;

    /// Sends one client request with two arguments; returns valgrind's answer, or 0 when not
    /// running under valgrind.
    #[inline]
    fn client_request(request: u64, arg1: u64, arg2: u64) -> u64 {
        let args: [u64; 6] = [request, arg1, arg2, 0, 0, 0];
        let mut result: u64 = 0;
        // SAFETY: the four rotations of rdi add up to 128 bits, leaving it unchanged (it is
        // still declared clobbered), and `xchg rbx, rbx` is a no-op, so outside valgrind the
        // sequence changes nothing but the flags. Under valgrind it reads the six words at
        // `args` (alive for the whole asm block) and writes the answer to rdx. It touches no
        // other memory of ours and uses no stack.
        unsafe {
            std::arch::asm!(
                "rol rdi, 3",
                "rol rdi, 13",
                "rol rdi, 61",
                "rol rdi, 51",
                "xchg rbx, rbx",
                inout("rdi") 0u64 => _,
                in("rax") args.as_ptr(),
                inout("rdx") result,
                options(nostack),
            );
        }
        result
    }

    pub(crate) fn no_access(ptr: *const u8, len: usize) {
        client_request(MAKE_MEM_NOACCESS, ptr as u64, len as u64);
    }

    pub(crate) fn undefined(ptr: *const u8, len: usize) {
        client_request(MAKE_MEM_UNDEFINED, ptr as u64, len as u64);
    }
}

#[cfg(not(all(feature = "valgrind", target_arch = "x86_64")))]
mod requests {
    #[inline(always)]
    pub(crate) fn no_access(_: *const u8, _: usize) {}

    #[inline(always)]
    pub(crate) fn undefined(_: *const u8, _: usize) {}
}

/// Tells memcheck that `len` bytes at `ptr` must not be touched (a free slot).
#[inline(always)]
pub(crate) fn mark_no_access(ptr: *const u8, len: usize) {
    requests::no_access(ptr, len);
}

/// Tells memcheck that `len` bytes at `ptr` are allocated but not yet written (a new object).
#[inline(always)]
pub(crate) fn mark_undefined(ptr: *const u8, len: usize) {
    requests::undefined(ptr, len);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_change_nothing_but_memchecks_view() {
        let mut bytes = [7u8; 64];
        mark_no_access(bytes.as_ptr(), 32);
        // Addressable again (undefined under valgrind), then written before any read.
        mark_undefined(bytes.as_ptr(), 64);
        bytes.fill(1);
        assert_eq!(bytes, [1; 64]);
    }
}
