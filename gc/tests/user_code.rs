//! The table "What user code may do while the heap is busy" (crate docs, rule 1), tested: every
//! action user code can take, at every point where the collector runs user code, in every kind
//! of cycle. Each combination builds a fresh heap, arms a hook at one point, runs one cycle of
//! one kind, and checks that the hook ran, that its outcome is the one the table documents,
//! that every handle it made is alive and intact through later cycles (or, where the table
//! says so, a zombie whose use panics), that the heap verifies, and that it empties once the
//! handles go. CI runs it natively, under valgrind and in the torture pass.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::{Rc, Weak};

use prologue_gc::{Config, Finalize, Gc, GcCell, Heap, Trace, Tracer, Trigger, WeakGc};
use prologue_pool::LocalPool;

/// Where the collector runs user code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Point {
    /// A destructor run by a sweep (young, eager, lazy page sweep, heap drop).
    Destructor,
    /// A destructor run by a young cycle's release step.
    ReleaseDestructor,
    /// [`Finalize::finalize`], run by a full cycle.
    Finalizer,
    /// A [`Heap::on_cycle`] observer.
    Observer,
    /// A `LocalPool` value's `Drop`, run by `gc_start`'s drain.
    LocalPoolDrop,
    /// An element's `Clone` inside `alloc_slice`.
    SliceClone,
}

/// What the user code tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    AllocSmall,
    AllocLarge,
    AllocSlice,
    Collect,
    Verify,
    /// Upgrade a weak handle to an object that dies in the cycle under test.
    UpgradeDying,
    /// Upgrade a weak handle to an object held by the test.
    UpgradeLive,
    /// Clone a handle the dying object holds to another dying object.
    CloneDying,
    /// Drop a handle the test held.
    DropHandle,
    /// Downgrade a handle the test holds, and upgrade the result.
    Downgrade,
}

/// Which cycle runs the point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Young,
    Eager,
    Lazy,
    HeapDrop,
    Torture,
    /// An incremental cycle (pacing), then its lazy sweep.
    Incremental,
    /// Incremental torture: the smallest step at every allocation, cycles back to back.
    IncrementalTorture,
}

const POINTS: [Point; 6] = [
    Point::Destructor,
    Point::ReleaseDestructor,
    Point::Finalizer,
    Point::Observer,
    Point::LocalPoolDrop,
    Point::SliceClone,
];

const ACTIONS: [Action; 10] = [
    Action::AllocSmall,
    Action::AllocLarge,
    Action::AllocSlice,
    Action::Collect,
    Action::Verify,
    Action::UpgradeDying,
    Action::UpgradeLive,
    Action::CloneDying,
    Action::DropHandle,
    Action::Downgrade,
];

/// What the hook's action did.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// Returned; with `Some(true)` when it produced a handle (an upgrade that succeeded),
    /// `Some(false)` when an upgrade gave `None`.
    Done(Option<bool>),
    /// Panicked with this message.
    Panicked(String),
}

/// A leaf object the tests hold or let die.
#[derive(Trace, Debug)]
struct Leaf(u64);

/// Over 2 KiB: a large object.
#[derive(Trace)]
struct Big([u64; 300]);

/// Handles the hook made, checked after the cycle.
#[derive(Default)]
struct Kept {
    small: Option<Gc<u64>>,
    large: Option<Gc<Big>>,
    slice: Option<Gc<[u64]>>,
    /// From an upgrade or a clone.
    leaf: Option<Gc<Leaf>>,
}

/// The armed hook: which point fires, what it does, and what it saw.
struct Ctx {
    point: Point,
    action: Action,
    armed: bool,
    outcome: Option<Outcome>,
    /// The heap the action uses (a side heap while the heap under test is being dropped).
    heap: Weak<Heap>,
    /// A live object the test holds (taken by `DropHandle`).
    live: Option<Gc<Leaf>>,
    live_weak: Option<WeakGc<Leaf>>,
    /// A weak handle to an object that dies in the cycle under test.
    dying_weak: Option<WeakGc<Leaf>>,
    kept: Kept,
}

thread_local! {
    static CTX: RefCell<Option<Ctx>> = const { RefCell::new(None) };
}

/// Runs the armed action if `point` is the armed one (once). `dying` is the dying object's
/// handle where the point can reach one (a victim's destructor or finalizer).
fn fire(point: Point, dying: Option<&Gc<Leaf>>) {
    let Some((action, heap)) = CTX.with(|c| {
        let mut c = c.borrow_mut();
        let ctx = c.as_mut()?;
        if !ctx.armed || ctx.point != point {
            return None;
        }
        ctx.armed = false;
        Some((
            ctx.action,
            ctx.heap.upgrade().expect("the action's heap is alive"),
        ))
    }) else {
        return;
    };
    let result = catch_unwind(AssertUnwindSafe(|| act(action, &heap, dying)));
    let outcome = match result {
        Ok(made) => Outcome::Done(made),
        Err(payload) => Outcome::Panicked(common::panic_message(payload)),
    };
    CTX.with(|c| c.borrow_mut().as_mut().unwrap().outcome = Some(outcome));
}

fn with_ctx<R>(f: impl FnOnce(&mut Ctx) -> R) -> R {
    CTX.with(|c| f(c.borrow_mut().as_mut().expect("a context")))
}

/// The action itself. Returns whether an upgrade produced a handle.
fn act(action: Action, heap: &Heap, dying: Option<&Gc<Leaf>>) -> Option<bool> {
    match action {
        Action::AllocSmall => {
            let gc = heap.alloc(0xA11C_u64);
            with_ctx(|c| c.kept.small = Some(gc));
        }
        Action::AllocLarge => {
            let gc = heap.alloc(Big([0xB16; 300]));
            with_ctx(|c| c.kept.large = Some(gc));
        }
        Action::AllocSlice => {
            let gc = heap.alloc_slice(&[5u64; 40]);
            with_ctx(|c| c.kept.slice = Some(gc));
        }
        Action::Collect => {
            heap.collect();
        }
        Action::Verify => heap.verify(),
        Action::UpgradeDying | Action::UpgradeLive => {
            let weak = with_ctx(|c| {
                if action == Action::UpgradeDying {
                    c.dying_weak.clone()
                } else {
                    c.live_weak.clone()
                }
            })
            .expect("a weak handle to upgrade");
            let strong = weak.upgrade();
            let made = strong.is_some();
            with_ctx(|c| c.kept.leaf = strong);
            return Some(made);
        }
        Action::CloneDying => {
            let strong = dying.expect("a point that reaches a dying object").clone();
            with_ctx(|c| c.kept.leaf = Some(strong));
        }
        Action::DropHandle => drop(with_ctx(|c| c.live.take())),
        Action::Downgrade => {
            let live = with_ctx(|c| c.live.clone()).expect("a live handle");
            let weak = Gc::downgrade(&live);
            assert!(weak.upgrade().is_some());
        }
    }
    None
}

/// The garbage whose destructor or finalizer fires: it holds the dying leaf, and (for a sweep
/// rather than the release step) itself, so no handle count ever reaches zero.
struct Victim {
    dying: Option<Gc<Leaf>>,
    itself: GcCell<Option<Gc<Victim>>>,
}

// SAFETY: visits both handle-holding fields once; the destructor only runs the hook.
unsafe impl Trace for Victim {
    fn trace(&self, t: &mut Tracer) {
        self.dying.trace(t);
        self.itself.trace(t);
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        fire(Point::Destructor, self.dying.as_ref());
        fire(Point::ReleaseDestructor, self.dying.as_ref());
    }
}

impl Finalize for Victim {
    fn finalize(&self) {
        fire(Point::Finalizer, self.dying.as_ref());
    }
}

/// A `LocalPool` value whose drop fires.
struct Pooled;

impl Drop for Pooled {
    fn drop(&mut self) {
        fire(Point::LocalPoolDrop, None);
    }
}

/// A slice element whose `Clone` fires.
#[derive(Trace)]
struct Cloner(u8);

impl Clone for Cloner {
    fn clone(&self) -> Cloner {
        fire(Point::SliceClone, None);
        Cloner(self.0)
    }
}

/// Whether `point` runs in a cycle of `kind` at all.
fn applies(point: Point, kind: Kind, action: Action) -> bool {
    let reaches_dying = matches!(
        point,
        Point::Destructor | Point::ReleaseDestructor | Point::Finalizer
    );
    if action == Action::CloneDying && !reaches_dying {
        return false;
    }
    match point {
        // Only young cycles release; they neither finalize nor drain pools.
        Point::ReleaseDestructor => kind == Kind::Young,
        Point::Finalizer => kind != Kind::Young,
        // A dropped heap's final cycles leave the process's pools alone.
        Point::LocalPoolDrop => !matches!(kind, Kind::Young | Kind::HeapDrop),
        Point::Destructor | Point::Observer | Point::SliceClone => true,
    }
}

/// The table: what the action does at the point. `None` where it may go either way (a lazy
/// sweep's destructor cloning a handle to garbage in a page not swept yet succeeds, and one
/// in its own page panics).
fn expected(point: Point, kind: Kind, action: Action) -> Option<Outcome> {
    // The heap is busy at every point but an element's `Clone` (allocation runs it before
    // the object exists). While the heap under test is dropped, the action uses a side heap,
    // which is idle.
    let busy = point != Point::SliceClone && kind != Kind::HeapDrop;
    Some(match action {
        Action::Collect if busy => Outcome::Panicked("re-entrantly".into()),
        Action::Verify if busy => Outcome::Panicked("during a cycle".into()),
        Action::UpgradeDying => {
            // Before the cycle decides (gc_start's drain, an idle heap), in the release step
            // (the dying leaf's count is not zero yet, and an upgrade makes it live), or in a
            // finalizer, the upgrade succeeds and the leaf survives; once a sweep has
            // condemned it, the upgrade gives `None`.
            // A finalizer runs with what its object reaches marked for one more cycle.
            let before_decision = matches!(
                point,
                Point::ReleaseDestructor
                    | Point::Finalizer
                    | Point::LocalPoolDrop
                    | Point::SliceClone
            );
            Outcome::Done(Some(before_decision))
        }
        Action::UpgradeLive => Outcome::Done(Some(true)),
        Action::CloneDying => match (point, kind) {
            // A finalizable object's mark keeps what it reaches for one more cycle; the
            // release step has not condemned the leaf.
            (Point::Finalizer | Point::ReleaseDestructor, _) => Outcome::Done(None),
            (_, Kind::Lazy | Kind::Incremental | Kind::IncrementalTorture) => return None,
            _ => Outcome::Panicked("already swept".into()),
        },
        _ => Outcome::Done(None),
    })
}

fn config(kind: Kind) -> Config {
    let incremental = matches!(kind, Kind::Incremental | Kind::IncrementalTorture);
    let config = match kind {
        Kind::Young => Config::default()
            .young_bytes(64 << 10)
            .min_heap_bytes(64 << 20)
            .torture(false),
        Kind::Eager | Kind::HeapDrop => Config::default().young_bytes(0).torture(false),
        Kind::Lazy | Kind::Incremental => Config::default()
            .young_bytes(0)
            .min_heap_bytes(64 << 10)
            .torture(false),
        Kind::Torture | Kind::IncrementalTorture => Config::default().torture(true),
    };
    config.incremental(incremental)
}

/// The trigger of the cycle under test, for the observer.
fn trigger(kind: Kind) -> Trigger {
    match kind {
        Kind::Young => Trigger::Young,
        Kind::Eager => Trigger::Explicit,
        Kind::Lazy | Kind::Incremental => Trigger::Pacing,
        Kind::HeapDrop => Trigger::HeapDrop,
        Kind::Torture | Kind::IncrementalTorture => Trigger::Torture,
    }
}

/// Runs one combination and checks it.
fn run(point: Point, action: Action, kind: Kind) {
    let what = format!("{point:?} x {action:?} x {kind:?}");
    let heap = Rc::new(Heap::with_config(config(kind)));
    let side = Rc::new(Heap::with_config(Config::default().torture(false)));
    let action_heap = if kind == Kind::HeapDrop { &side } else { &heap };

    // What the test holds, and the garbage the cycle under test finds.
    let live = action_heap.alloc(Leaf(1));
    let dying = heap.alloc(Leaf(2));
    let dying_weak = Gc::downgrade(&dying);
    let victim = if point == Point::Finalizer {
        heap.alloc_with_finalizer(Victim {
            dying: Some(dying),
            itself: GcCell::new(None),
        })
    } else {
        heap.alloc(Victim {
            dying: Some(dying),
            itself: GcCell::new(None),
        })
    };
    if point != Point::ReleaseDestructor {
        // A self-cycle: the release step cannot free it; only a sweep can.
        *victim.itself.borrow_mut() = Some(victim.clone());
    }
    let pool = LocalPool::new(|| Pooled);
    if point == Point::LocalPoolDrop {
        pool.put(Pooled);
    }
    let fired_at = Rc::new(Cell::new(None));
    let cycle_ran = fired_at.clone();
    let wanted = trigger(kind);
    // The cycle under test is the first that begins after the victim is dropped: with
    // incremental cycles, the first to end afterwards may have begun before.
    let after_drop = Rc::new(Cell::new(None::<usize>));
    let counting = after_drop.clone();
    let needed = if matches!(kind, Kind::Incremental | Kind::IncrementalTorture) {
        2
    } else {
        1
    };
    heap.on_cycle(move |c| {
        let Some(seen) = counting.get() else { return };
        if c.trigger != wanted || cycle_ran.get().is_some() {
            return;
        }
        counting.set(Some(seen + 1));
        if seen + 1 == needed {
            cycle_ran.set(Some(c.cycle));
            fire(Point::Observer, None);
        }
    });
    CTX.with(|c| {
        *c.borrow_mut() = Some(Ctx {
            point,
            action,
            armed: true,
            outcome: None,
            heap: Rc::downgrade(action_heap),
            live: Some(live.clone()),
            live_weak: Some(Gc::downgrade(&live)),
            dying_weak: Some(dying_weak.clone()),
            kept: Kept::default(),
        })
    });
    let slice = if point == Point::SliceClone {
        Some(heap.alloc_slice(&[Cloner(3)]))
    } else {
        None
    };
    drop(victim);
    after_drop.set(Some(0));

    // The cycle under test.
    match kind {
        Kind::Young => {
            common::run_young_cycle(&heap);
        }
        Kind::Eager => {
            heap.collect();
        }
        Kind::Lazy | Kind::Incremental | Kind::IncrementalTorture => {
            for _ in 0..1_000_000 {
                if fired_at.get().is_some() {
                    break;
                }
                drop(heap.alloc([0u64; 4]));
            }
            assert!(
                fired_at.get().is_some(),
                "{what}: no cycle of that kind ran"
            );
            // Some page sweeps made by allocations; `collect()` finishes the rest first.
            for _ in 0..2_000 {
                drop(heap.alloc([0u64; 4]));
            }
            heap.collect();
        }
        // Dropping the last `Rc` runs the heap's final cycles.
        Kind::HeapDrop => {}
        Kind::Torture => {
            drop(heap.alloc(0u8));
        }
    }
    let heap = if kind == Kind::HeapDrop {
        drop(heap);
        assert!(
            fired_at.get().is_some(),
            "{what}: the heap's final cycle did not run"
        );
        None
    } else {
        Some(heap)
    };

    let ctx = CTX.with(|c| c.borrow_mut().take()).unwrap();
    let outcome = ctx
        .outcome
        .unwrap_or_else(|| panic!("{what}: the hook never ran"));
    match (expected(point, kind, action), &outcome) {
        (None, _) => {}
        (Some(Outcome::Panicked(want)), Outcome::Panicked(got)) => {
            assert!(
                got.contains(&want),
                "{what}: panicked with {got:?}, not {want:?}"
            );
        }
        (Some(want), got) => assert_eq!(&want, got, "{what}"),
    }

    // Every handle the hook made is alive and intact, through more cycles too.
    let Kept {
        small,
        large,
        slice: kept_slice,
        leaf,
    } = ctx.kept;
    let check = |when: &str| {
        if let Some(small) = &small {
            assert!(
                !Gc::is_dead(small),
                "{what}: {when}: a held small object died"
            );
            assert_eq!(**small, 0xA11C);
        }
        if let Some(large) = &large {
            assert!(
                !Gc::is_dead(large),
                "{what}: {when}: a held large object died"
            );
            assert!(large.0.iter().all(|&x| x == 0xB16));
        }
        if let Some(kept_slice) = &kept_slice {
            assert!(
                !Gc::is_dead(kept_slice),
                "{what}: {when}: a held slice died"
            );
            assert!(kept_slice.iter().all(|&x| x == 5));
        }
        if let Some(slice) = &slice {
            assert!(!Gc::is_dead(slice), "{what}: {when}: the cloned slice died");
            assert_eq!(slice[0].0, 3);
        }
        if let Some(leaf) = &leaf {
            if Gc::is_dead(leaf) {
                // A zombie: only a lazy sweep's destructor can make one (the table's "either").
                assert_eq!(
                    expected(point, kind, action),
                    None,
                    "{what}: {when}: a zombie"
                );
                assert!(Gc::try_get(leaf).is_none());
            } else {
                assert!(
                    matches!(leaf.0, 1 | 2),
                    "{what}: {when}: a leaf reads {}",
                    leaf.0
                );
            }
        }
    };
    check("after the cycle");
    for heap in heap.iter().chain([&side]) {
        heap.collect();
        check("after collect()");
        heap.collect();
        heap.verify();
    }
    drop((small, large, kept_slice, leaf, slice, live, ctx.live, pool));
    for heap in heap.iter().chain([&side]) {
        for _ in 0..3 {
            heap.collect();
        }
        heap.verify();
        assert_eq!(heap.stats().objects, 0, "{what}: objects left");
        assert_eq!(heap.stats().zombies, 0, "{what}: zombies left");
    }
}

fn run_kind(kind: Kind) {
    quiet_expected_panics();
    let mut ran = 0;
    for point in POINTS {
        for action in ACTIONS {
            if applies(point, kind, action) {
                run(point, action, kind);
                ran += 1;
            }
        }
    }
    assert!(ran >= 30, "{kind:?}: only {ran} combinations ran");
}

/// The matrix's panics are expected; keep their messages out of the test output.
fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = info.to_string();
            if !(text.contains("re-entrantly")
                || text.contains("during a cycle")
                || text.contains("already swept"))
            {
                default(info);
            }
        }));
    });
}

#[test]
fn user_code_in_young_cycles() {
    run_kind(Kind::Young);
}

#[test]
fn user_code_in_eager_full_cycles() {
    run_kind(Kind::Eager);
}

#[test]
fn user_code_in_lazily_swept_full_cycles() {
    run_kind(Kind::Lazy);
}

#[test]
fn user_code_while_a_heap_is_dropped() {
    run_kind(Kind::HeapDrop);
}

#[test]
fn user_code_in_torture_mode() {
    run_kind(Kind::Torture);
}

#[test]
fn user_code_in_incremental_cycles() {
    run_kind(Kind::Incremental);
}

#[test]
fn user_code_in_incremental_torture_mode() {
    run_kind(Kind::IncrementalTorture);
}

mod common;
