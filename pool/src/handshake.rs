//! The drain handshake: how a drain empties a thread's private cache while the thread keeps
//! using it.
//!
//! # The protocol
//! Each shard's owner brackets every touch of its private cache with `busy = true` ...
//! `busy = false` ([`Busy`]), and right after setting `busy` checks the process-wide [`Gate`].
//! A drainer (one at a time: [`lock_drainers`]) opens the gate, then waits for `busy == false`
//! before it takes the private cache, and closes the gate when it is done with every pool.
//!
//! This is Dekker's pattern: the owner writes `busy` then reads the gate, the drainer writes the
//! gate then reads `busy`. With a store-load fence between each side's write and its read, at
//! least one of them sees the other's write: either the owner sees the gate open (and uses its
//! stash, behind the stash lock, for the rest of the drain) or the drainer sees `busy` (and
//! waits the few instructions until the owner leaves). Without those fences each CPU could read
//! before its own write became visible, both would read the old values, and owner and drainer
//! would touch the private cache at once.
//!
//! # The fences: asymmetric where the system allows
//! A `SeqCst` fence on every `get`/`put` (an `mfence` or locked instruction on x86-64, which
//! waits for the store buffer to drain) would be the one expensive instruction of a fast path
//! that otherwise does no atomic read-modify-write. So where Linux offers
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` the drainer issues it after opening the gate
//! ([`heavy`]): it runs a full memory barrier on every CPU currently running a thread of this
//! process, which has the effect of turning each owner's compiler fence (all the owner's side
//! has then) into a full fence at that moment. Drains are rare, so the whole cost moves to
//! them.
//!
//! Elsewhere both sides use a `SeqCst` fence: the same protocol with a slower fast path. The
//! mode is decided once, before the first shard exists, and never changes ([`init`]). Which
//! mode runs where:
//! - `membarrier`: Linux on x86_64 and aarch64 whose kernel accepts the private expedited
//!   command (4.14 and later), including under valgrind, which passes the call through to the
//!   kernel (valgrind also runs one thread at a time, so there every interleaving it produces
//!   is sequentially consistent);
//! - `SeqCst` fences: other systems, older kernels, a process started with
//!   `PROLOGUE_POOL_FORCE_FENCE=1` (how CI runs the pool's tests on the fallback), and the loom
//!   models (`loom_tests.rs`), which cannot model a system call.
//!
//! The owner learns the mode from the gate's closed value, so its fast path reads one byte.
//!
//! # Memory orderings
//! - `busy = true` is relaxed: its order against the gate load is the fences' business above.
//! - The owner's `busy = false` is a release and the drainer's `busy` load an acquire, so the
//!   drainer sees the owner's last writes to its private cache before it takes it.
//! - Closing the gate is a release and the owner's gate load an acquire, so an owner admitted
//!   after a drain sees what the drain did to its private cache (the `mem::take`).
//! - Opening the gate is a relaxed store: [`heavy`] follows it with a `SeqCst` fence (and the
//!   `membarrier` call), which is what orders it before the drainer's `busy` loads.

use crate::membarrier;
use crate::sync::{fence, spin_wait, AtomicBool, AtomicU8};
use std::marker::PhantomData;
use std::sync::atomic::compiler_fence;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::sync::Once;

/// The environment variable that forces the `SeqCst` fallback where `membarrier` would work,
/// so that tests can run the fallback natively.
pub(crate) const FORCE_FENCE_VAR: &str = "PROLOGUE_POOL_FORCE_FENCE";

/// Owners fence with `SeqCst` (also the state before [`init`] has decided).
const MODE_FENCE: u8 = 0;
/// Owners use a compiler fence and [`heavy`] calls `membarrier`.
const MODE_MEMBARRIER: u8 = 1;

/// The mode. std's atomic even under loom: a process-wide static the models never change.
static MODE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(MODE_FENCE);
static INIT: Once = Once::new();

/// Decides the mode, once per process: `membarrier` if the kernel accepts the registration and
/// `PROLOGUE_POOL_FORCE_FENCE=1` is not set. Runs before the first shard exists ([`prepare`]),
/// and the mode never changes afterwards.
pub(crate) fn init() {
    INIT.call_once(|| {
        if cfg!(all(loom, test)) || std::env::var_os(FORCE_FENCE_VAR).is_some_and(|v| v == "1") {
            return;
        }
        if membarrier::register() {
            MODE.store(MODE_MEMBARRIER, Relaxed);
        }
    });
}

/// Decides now how drains fence against the threads that use shared pools (`membarrier(2)`
/// where the kernel offers it, see the module docs); without this call the first use of the
/// process's first [`Pool`](crate::Pool) decides (a drain never does). Call it before the
/// process starts threads, if it will use shared pools: Linux registers a process of one
/// thread for `membarrier` at once, but one with several threads waits for an RCU grace
/// period, milliseconds (tens of them on a busy machine), in whichever pool access pays for
/// it. A process that uses no shared pool need not call it: its drains then fence with one
/// `SeqCst` fence and no system call.
///
/// ```
/// prologue_pool::prepare_process();
/// std::thread::spawn(|| { /* pools and collections, no registration left to pay */ })
///     .join()
///     .unwrap();
/// ```
pub fn prepare_process() {
    prepare();
}

/// Whether owners may use a compiler fence (the drainer's [`heavy`] calls `membarrier`).
pub(crate) fn uses_membarrier() -> bool {
    init();
    MODE.load(Relaxed) == MODE_MEMBARRIER
}

/// Whether the mode is decided and is `membarrier`, without deciding it. A drain asks this,
/// not [`uses_membarrier`]: before the mode is decided no shard exists ([`prepare`] decides
/// it first), so no owner relies on the drainer's `membarrier` and a drain need not decide.
/// Deciding costs a registration system call that waits for an RCU grace period (9 to 20 ms
/// measured here), which would otherwise land in the first collection pause of every
/// program that never uses a shared pool.
///
/// `Once::is_completed` returning true makes the decision's writes visible (it acquires),
/// so the relaxed load then reads the decided mode.
fn decided_membarrier() -> bool {
    INIT.is_completed() && MODE.load(Relaxed) == MODE_MEMBARRIER
}

/// Whether the process has decided its fence mode (it does so before its first shard).
pub(crate) fn mode_decided() -> bool {
    INIT.is_completed()
}

/// The drainer's fence, between its gate store and its first `busy` load. Before the mode is
/// decided there is no owner to fence against (see [`decided_membarrier`]); a `prepare` that
/// decides meanwhile finds the gate open and leaves it to [`Gate::close`], and the shards it
/// precedes are not this drain's.
fn heavy() {
    fence(SeqCst);
    if decided_membarrier() {
        // Registration succeeded, so this command cannot fail; if it ever did, owners would be
        // running with compiler fences only and continuing would be unsound.
        if !membarrier::private_expedited() {
            std::process::abort();
        }
    }
}

/// Gate states. `CLOSED`: owners may use their private caches after a compiler fence (the
/// drainer's membarrier does the rest). `CLOSED_FENCED`: likewise, but only after a `SeqCst`
/// fence and a second look (no membarrier). `OPEN`: a drain is detaching private caches.
const CLOSED: u8 = 0;
const OPEN: u8 = 1;
const CLOSED_FENCED: u8 = 2;

/// The "a drain is detaching private caches" flag every owner checks after it set `busy`.
#[derive(Debug)]
pub(crate) struct Gate {
    state: AtomicU8,
}

impl Gate {
    /// A closed gate, fenced until [`adopt_membarrier`](Self::adopt_membarrier).
    #[cfg(not(all(loom, test)))]
    pub(crate) const fn new() -> Self {
        Gate {
            state: AtomicU8::new(CLOSED_FENCED),
        }
    }

    /// A closed gate (loom models the fenced protocol).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        Gate {
            state: AtomicU8::new(CLOSED_FENCED),
        }
    }

    /// Switches a closed gate to the membarrier protocol if the process uses it. Called before
    /// the first shard exists, so no owner sees the switch.
    fn adopt_membarrier(&self) {
        if uses_membarrier() {
            let _ = self
                .state
                .compare_exchange(CLOSED_FENCED, CLOSED, Relaxed, Relaxed);
        }
    }

    /// Opens the gate: from the return on, every owner either has finished the private access
    /// it had started (the drainer then waits for its `busy`) or will see the gate open.
    /// One drainer at a time (the caller serialises drains).
    pub(crate) fn open(&self) {
        self.state.store(OPEN, Relaxed);
        heavy();
    }

    /// Closes the gate: owners may use their private caches again, and see what the drain did
    /// to them.
    pub(crate) fn close(&self) {
        // Not `uses_membarrier`: a drain never decides the mode (see `decided_membarrier`).
        // Closing fenced is always sound; an undecided process has no owner to slow down.
        let closed = if decided_membarrier() {
            CLOSED
        } else {
            CLOSED_FENCED
        };
        self.state.store(closed, Release);
    }

    /// The owner's side, right after it set `busy`: true if it may touch its private cache.
    #[inline(always)]
    fn admits(&self) -> bool {
        // Keeps the compiler from hoisting this load above the `busy` store; the CPU is kept
        // from doing so by the drainer's membarrier.
        compiler_fence(SeqCst);
        match self.state.load(Acquire) {
            CLOSED => true,
            OPEN => false,
            _ => {
                // No membarrier: a real store-load fence, then a second look.
                fence(SeqCst);
                self.state.load(Acquire) == CLOSED_FENCED
            }
        }
    }
}

/// A shard owner's "inside my private cache" flag: the owner's half of the handshake.
#[derive(Debug)]
pub(crate) struct Busy(AtomicBool);

impl Busy {
    pub(crate) fn new() -> Self {
        Busy(AtomicBool::new(false))
    }

    /// The owner marks itself busy and checks `gate`: true if it may touch its private cache
    /// until [`leave`](Self::leave); false (and not busy) if a drain holds the gate open.
    #[inline(always)]
    pub(crate) fn enter(&self, gate: &Gate) -> bool {
        self.0.store(true, Relaxed);
        if gate.admits() {
            true
        } else {
            self.0.store(false, Release);
            false
        }
    }

    /// The owner is done with its private cache.
    #[inline(always)]
    pub(crate) fn leave(&self) {
        self.0.store(false, Release);
    }

    /// The drainer, with the owner's gate open: waits until the owner is out of its private
    /// cache. From the return until the gate closes the owner stays out (its `enter` fails).
    pub(crate) fn wait_idle(&self) {
        let mut spins = 0;
        while self.0.load(Acquire) {
            spin_wait(&mut spins);
        }
    }
}

#[cfg(not(all(loom, test)))]
static GATE: Gate = Gate::new();

/// The gate every shard owner checks.
#[cfg(not(all(loom, test)))]
#[inline(always)]
pub(crate) fn gate() -> &'static Gate {
    &GATE
}

/// The gate every shard owner checks (a loom build only models shards, each model with gates
/// of its own; see `loom_tests.rs`).
#[cfg(all(loom, test))]
pub(crate) fn gate() -> &'static Gate {
    static GATE: std::sync::OnceLock<Gate> = std::sync::OnceLock::new();
    GATE.get_or_init(Gate::new)
}

/// Decides the fence mode and sets the gate for it. Called before the first shard exists
/// (`PoolCore::new`).
pub(crate) fn prepare() {
    init();
    gate().adopt_membarrier();
}

static DRAINERS: parking_lot::Mutex<()> = parking_lot::const_mutex(());

/// Held by the one thread draining at a time (the protocol has a single drainer per shard).
pub(crate) struct DrainerLock {
    _held: parking_lot::MutexGuard<'static, ()>,
}

/// Waits until no other thread drains, and keeps them out until the returned lock drops.
pub(crate) fn lock_drainers() -> DrainerLock {
    DrainerLock {
        _held: DRAINERS.lock(),
    }
}

impl DrainerLock {
    /// Opens the process's gate until the returned guard drops (which closes it, also when a
    /// detach unwinds: only an allocation failure could make one).
    pub(crate) fn open_gate(&self) -> OpenGate<'_> {
        gate().open();
        OpenGate(PhantomData)
    }
}

/// The process's gate, open: while it lives, owners keep out of their private caches once the
/// drainer saw them idle ([`Busy::wait_idle`]).
pub(crate) struct OpenGate<'a>(PhantomData<&'a DrainerLock>);

impl Drop for OpenGate<'_> {
    fn drop(&mut self) {
        gate().close();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{gate, prepare, uses_membarrier, CLOSED, CLOSED_FENCED, FORCE_FENCE_VAR};
    use std::sync::atomic::Ordering::Relaxed;

    fn set(var: &str) -> bool {
        std::env::var_os(var).is_some_and(|v| v == "1")
    }

    /// CI runs the pool's tests once with `PROLOGUE_POOL_FORCE_FENCE=1`: there the fallback
    /// must be in force. Its other stages set `PROLOGUE_POOL_EXPECT_MEMBARRIER=1` on Linux, so
    /// a machine that refuses `membarrier` fails CI instead of leaving that side untested. In
    /// every run the gate's closed value must tell owners the mode.
    #[test]
    fn the_gate_follows_the_fence_mode_and_the_switch_forces_the_fallback() {
        prepare();
        let forced = set(FORCE_FENCE_VAR);
        if forced {
            assert!(
                !uses_membarrier(),
                "{FORCE_FENCE_VAR}=1 must force the fallback"
            );
        } else if set("PROLOGUE_POOL_EXPECT_MEMBARRIER") {
            assert!(uses_membarrier(), "this system refused membarrier(2)");
        }
        let _drainer = super::lock_drainers(); // no drain opens the gate meanwhile
        let closed = gate().state.load(Relaxed);
        let expected = if uses_membarrier() {
            CLOSED
        } else {
            CLOSED_FENCED
        };
        assert_eq!(closed, expected, "forced: {forced}");
    }
}
