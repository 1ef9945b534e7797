//! Everything a user needs comes from `prologue` alone: the collector, the derive, the pools and
//! the statistics, working together.

use prologue::{
    clear_pools, detach_pools, AllocError, Config, CycleStats, DrainPolicy, DrainReport, Gc,
    GcCell, Heap, HeapStats, LocalPool, Pool, PoolStats, Pooled, Trace, Tracer, WeakGc,
};
use std::sync::{Mutex, MutexGuard};

/// Every collection drains every pool in the process, so the tests here, which count what
/// pools hold, run one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Trace)]
struct Node {
    label: String,
    next: GcCell<Option<Gc<Node>>>,
}

/// A hand-written impl through the re-exported trait and tracer.
struct Pair(Gc<Node>, Gc<Node>);

// SAFETY: visits both owned handles exactly once and nothing else (rules 1 and 2).
unsafe impl Trace for Pair {
    fn trace(&self, tracer: &mut Tracer) {
        self.0.trace(tracer);
        self.1.trace(tracer);
    }
}

static BUFFERS: Pool<Vec<u8>> = Pool::new(Vec::new);
static KEPT: Pool<Vec<u8>> = Pool::new(Vec::new).with_policy(DrainPolicy::Victim);

#[test]
fn heap_handles_cells_and_weak_handles() {
    let _serial = serial();
    let heap = Heap::with_config(Config::default().gc_percent(50));
    let a = heap.alloc(Node {
        label: "a".into(),
        next: GcCell::new(None),
    });
    let b = heap.alloc(Node {
        label: "b".into(),
        next: GcCell::new(Some(a.clone())),
    });
    *a.next.borrow_mut() = Some(b.clone());
    let pair = heap.alloc(Pair(a.clone(), b.clone()));
    assert_eq!(pair.1.next.borrow().as_ref().unwrap().label, "a");

    let weak: WeakGc<Node> = Gc::downgrade(&a);
    drop((a, b));
    heap.collect();
    assert!(weak.upgrade().is_some(), "the pair still holds the cycle");
    drop(pair);
    let cycle: CycleStats = heap.collect();
    assert_eq!(cycle.objects_freed, 3);
    assert!(weak.upgrade().is_none());
    let stats: HeapStats = heap.stats();
    assert_eq!(stats.objects, 0);
    assert!(stats.cycles >= 2);
}

#[test]
fn try_alloc_reports_the_limit() {
    let _serial = serial();
    let heap = Heap::with_config(Config::default().max_heap_bytes(64 << 10));
    let mut kept = Vec::new();
    let error: AllocError = loop {
        match heap.try_alloc([0u64; 128]) {
            Ok(handle) => kept.push(handle),
            Err(e) => break e,
        }
        assert!(kept.len() < 10_000, "the limit was never reached");
    };
    assert!(!error.to_string().is_empty());
}

#[test]
fn pools_and_the_drain_through_the_facade() {
    let _serial = serial();
    let mut guard: Pooled<'_, Vec<u8>> = BUFFERS.pull();
    guard.extend_from_slice(b"pooled");
    drop(guard);
    KEPT.put(vec![1, 2, 3]);
    let before: PoolStats = BUFFERS.stats();
    assert!(before.puts >= 1);

    let report: DrainReport = clear_pools();
    assert!(report.pools >= 2);
    assert!(BUFFERS.try_get().is_none(), "drain policy empties the pool");
    assert_eq!(
        KEPT.try_get(),
        Some(vec![1, 2, 3]),
        "victim keeps it one cycle"
    );

    // The two-step drain a collector uses: detach inside the pause, drop afterwards.
    BUFFERS.put(vec![7; 16]);
    let detached = detach_pools();
    assert!(detached.items() >= 1);
    assert!(
        BUFFERS.try_get().is_none(),
        "detached values are out of the pool"
    );
    let report = detached.finish();
    assert!(report.items >= 1);
}

#[test]
fn local_pools_hold_handles_until_the_next_collection() {
    let _serial = serial();
    let heap = Heap::new();
    let pool: LocalPool<Option<Gc<Node>>> = LocalPool::new(|| None);
    pool.put(Some(heap.alloc(Node {
        label: "parked".into(),
        next: GcCell::new(None),
    })));
    assert_eq!(heap.stats().objects, 1);
    let cycle = heap.collect();
    assert_eq!(cycle.objects_freed, 1, "gc_start dropped the pooled handle");
    assert!(pool.try_get().is_none());
}

/// The names of `pub use` and `pub mod` items in a crate root's source, except those marked
/// `#[doc(hidden)]`, with `as` renames resolved to the exported name.
fn exported_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut hidden = false;
    let mut statement = String::new();
    for line in source.lines().map(str::trim) {
        if line.starts_with("//") {
            continue;
        }
        if line == "#[doc(hidden)]" {
            hidden = true;
            continue;
        }
        if statement.is_empty() && !(line.starts_with("pub use ") || line.starts_with("pub mod ")) {
            hidden = hidden && line.starts_with("#[");
            continue;
        }
        statement.push_str(line);
        statement.push(' ');
        if !line.ends_with(';') {
            continue;
        }
        let body = statement.trim().trim_end_matches(';');
        let items = match (body.find('{'), body.strip_prefix("pub mod ")) {
            (_, Some(module)) => vec![module.to_string()],
            (Some(open), None) => body[open + 1..body.len() - 1]
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            (None, None) => vec![body.rsplit("::").next().unwrap().to_string()],
        };
        if !hidden {
            for item in items {
                let name = item.rsplit(" as ").next().unwrap().trim();
                names.push(name.to_string());
            }
        }
        statement.clear();
        hidden = false;
    }
    names
}

/// Every public item of the collector and the pools is re-exported by name: the facade lists
/// its exports (no glob), so this fails when one of the two crates grows an item the facade
/// forgets.
#[test]
fn the_facade_reexports_every_public_item_of_the_two_crates() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &str| std::fs::read_to_string(root.join(path)).expect(path);
    let facade = exported_names(&read("runtime/lib.rs"));
    for crate_root in ["gc/src/lib.rs", "pool/src/lib.rs"] {
        let names = exported_names(&read(crate_root));
        assert!(names.len() >= 8, "{crate_root}: parsed only {names:?}");
        for name in names {
            assert!(
                facade.contains(&name),
                "{crate_root} exports `{name}`, but runtime/lib.rs does not re-export it \
                 (the facade's exports: {facade:?})"
            );
        }
    }
    assert!(!facade.contains(&"PrologueTrace".to_string()));
}

/// The names the crate docs promise, each used through `prologue` alone (the other tests here
/// use the rest).
#[test]
fn the_facade_exports_what_its_docs_promise() {
    use prologue::{
        diagnostics, BorrowError, BorrowMutError, DetachedPools, Finalize, GcRef, GcRefMut,
        LocalPooled, Pause, PauseKind, Trigger,
    };

    struct Closes(std::rc::Rc<std::cell::Cell<bool>>);
    // SAFETY: holds no handle, so visiting nothing visits every handle it owns.
    unsafe impl Trace for Closes {
        fn trace(&self, _: &mut Tracer) {}
    }
    impl Finalize for Closes {
        fn finalize(&self) {
            self.0.set(true);
        }
    }

    let _serial = serial();
    let heap = Heap::with_config(Config::default().torture(false));
    let pauses = std::rc::Rc::new(std::cell::RefCell::new(Vec::<PauseKind>::new()));
    let seen = pauses.clone();
    heap.on_pause(move |pause: &Pause| seen.borrow_mut().push(pause.kind));
    let closed = std::rc::Rc::new(std::cell::Cell::new(false));
    drop(heap.alloc_with_finalizer(Closes(closed.clone())));
    let cycle = heap.collect();
    assert_eq!(cycle.trigger, Trigger::Explicit);
    assert!(closed.get(), "the finalizer ran");
    assert_eq!(pauses.borrow().last(), Some(&PauseKind::Full));

    let cell = heap.alloc(GcCell::new(1));
    {
        let read: GcRef<'_, i32> = cell.borrow();
        let refused: BorrowMutError = cell.try_borrow_mut().unwrap_err();
        assert!(!refused.to_string().is_empty());
        assert_eq!(*read, 1);
    }
    {
        let mut write: GcRefMut<'_, i32> = cell.borrow_mut();
        *write = 2;
        let refused: BorrowError = cell.try_borrow().unwrap_err();
        assert!(!refused.to_string().is_empty());
    }

    let local = LocalPool::new(|| 5u8);
    let guard: LocalPooled<'_, u8> = local.pull();
    assert_eq!(*guard, 5);
    drop(guard);
    let shared = prologue::Pool::new(|| 0u8);
    shared.put(1); // its first use registers it (a LocalPool is not counted)
    assert!(diagnostics::registered_pools() >= 1);
    let detached: DetachedPools = detach_pools();
    detached.finish();
}
