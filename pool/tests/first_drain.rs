//! A drain in a process that never used a shared pool leaves the fence mode undecided: the
//! decision (a `membarrier(2)` registration on Linux, which waits for an RCU grace period,
//! 9 to 20 ms) belongs to the first pool's first use, never to a collection pause. Its own
//! test binary, so no other test has used a pool first.

use prologue_pool::{clear_pools, diagnostics, LocalPool, Pool};

#[test]
fn drains_leave_the_fence_mode_to_the_first_shared_pool() {
    let local = LocalPool::new(|| 0u8);
    local.put(1);
    let report = clear_pools();
    assert_eq!(report.items, 1, "the local pool's value was dropped");
    assert!(
        !diagnostics::fence_mode_decided(),
        "a drain decided the fence mode"
    );

    static SHARED: Pool<u32> = Pool::new(|| 0);
    SHARED.put(7);
    assert!(diagnostics::fence_mode_decided());
    // After the decision drains use it: the value put before is detached and dropped.
    assert!(clear_pools().items >= 1);
    assert_eq!(SHARED.try_get(), None);
    SHARED.put(8);
    assert_eq!(SHARED.try_get(), Some(8));
}
