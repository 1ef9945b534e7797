//! Random programs against a reference model of reachability (proptest, fixed seed).
//!
//! A program allocates objects, links and unlinks them through `GcCell`s and `GcSlot`s, drops
//! handles, puts
//! handles into a `LocalPool`, keeps and upgrades weak handles, and collects (sometimes while
//! a cell is mutably borrowed). After every `collect` exactly the objects the model
//! finds unreachable have been dropped (each object's payload logs its drop), and every
//! reachable one still reads its value and its edges. The heap uses `Config::default()`, so
//! `PROLOGUE_GC_TORTURE=1` runs the same programs with a collection at every allocation (the
//! checks hold either way: a pooled handle lives at most until the next cycle in both).
//!
//! Between collections, every op also checks that no object the model can reach is dead, and
//! that an object unreachable for two whole full cycles can no longer be upgraded. With
//! incremental cycles (the last tests) this models the steps of a cycle interleaved with the
//! program's moves: handles cloned or taken out of the heap, stored and unstored through cells,
//! dropped, upgraded and pooled while the cycle counts, finds roots and marks.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;

use prologue_gc::{Config, Gc, GcCell, GcSlot, Heap, Trace, Trigger, WeakGc};
use prologue_pool::LocalPool;
use proptest::prelude::*;

mod common;

/// Records its id in the shared log when dropped.
struct DropLog {
    id: usize,
    log: Rc<RefCell<Vec<usize>>>,
}

impl Drop for DropLog {
    fn drop(&mut self) {
        self.log.borrow_mut().push(self.id);
    }
}

#[derive(Trace)]
struct Obj {
    id: usize,
    edges: GcCell<Vec<Gc<Obj>>>,
    /// One more edge, in a slot (written whole, with a barrier on every write).
    slot: GcSlot<Option<Gc<Obj>>>,
    #[trace(skip)]
    _log: DropLog,
}

#[derive(Clone, Debug)]
enum Op {
    Alloc,
    /// Link the objects named by two local handles (indices taken modulo the count).
    Link(usize, usize),
    /// Remove one edge of the object named by a local handle.
    Unlink(usize, usize),
    DropHandle(usize),
    /// Put a clone of a local handle into the pool.
    PoolPut(usize),
    /// Move a local handle into the pool.
    PoolMove(usize),
    /// Keep a weak handle to the object of a local handle.
    Downgrade(usize),
    /// Upgrade a kept weak handle: it succeeds exactly when the object has not been dropped,
    /// and a successful upgrade is a new local handle.
    Upgrade(usize),
    Collect,
    /// Collect while one object's cell is mutably borrowed.
    CollectWhileBorrowed(usize),
    /// Clone an edge of a local's object out of the heap into a new local (the trap of an
    /// incremental cycle: a handle leaves a counted place without a cell write).
    CloneOut(usize, usize),
    /// Move an edge of a local's object out of its cell into a new local.
    TakeOut(usize, usize),
    /// Store a local's handle in another local's object's slot (dropping what it held).
    SlotSet(usize, usize),
    /// Clone the slot's handle out into a new local.
    SlotGet(usize),
    /// Take the slot's handle out into a new local, leaving it empty.
    SlotTake(usize),
    /// Allocate this many garbage objects (steps of an incremental cycle, young cycles).
    Churn(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Alloc),
        4 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Link(a, b)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Unlink(a, b)),
        3 => any::<usize>().prop_map(Op::DropHandle),
        1 => any::<usize>().prop_map(Op::PoolPut),
        1 => any::<usize>().prop_map(Op::PoolMove),
        1 => any::<usize>().prop_map(Op::Downgrade),
        1 => any::<usize>().prop_map(Op::Upgrade),
        1 => Just(Op::Collect),
        1 => any::<usize>().prop_map(Op::CollectWhileBorrowed),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, k)| Op::CloneOut(a, k)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, k)| Op::TakeOut(a, k)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::SlotSet(a, b)),
        1 => any::<usize>().prop_map(Op::SlotGet),
        1 => any::<usize>().prop_map(Op::SlotTake),
        3 => (1..40u8).prop_map(Op::Churn),
    ]
}

/// The reference model: object ids, their edges, and the handles held outside the heap.
#[derive(Default)]
struct Model {
    edges: Vec<Vec<usize>>,
    slots: Vec<Option<usize>>,
    locals: Vec<usize>,
}

impl Model {
    fn reachable(&self) -> HashSet<usize> {
        let mut seen: HashSet<usize> = HashSet::new();
        let mut stack: Vec<usize> = self.locals.clone();
        while let Some(id) = stack.pop() {
            if seen.insert(id) {
                stack.extend(&self.edges[id]);
                stack.extend(self.slots[id]);
            }
        }
        seen
    }
}

/// Runs one program; returns how many incremental cycles completed.
fn run(program: &[Op], config: Config) -> Result<u64, TestCaseError> {
    let heap = Heap::with_config(config);
    let log = Rc::new(RefCell::new(Vec::new()));
    let pool: LocalPool<Option<Gc<Obj>>> = LocalPool::new(|| None);
    let mut model = Model::default();
    let mut locals: Vec<Gc<Obj>> = Vec::new();
    let mut weaks: Vec<(usize, WeakGc<Obj>)> = Vec::new();
    // Every object's weak handle, and the full-cycle count when the model lost it.
    let mut every: Vec<WeakGc<Obj>> = Vec::new();
    let mut lost_at: Vec<Option<u64>> = Vec::new();
    let full_cycles = Rc::new(Cell::new(0u64));
    let incremental = Rc::new(Cell::new(0u64));
    let (counter, incremental_counter) = (full_cycles.clone(), incremental.clone());
    heap.on_cycle(move |c| {
        if c.trigger != Trigger::Young {
            counter.set(counter.get() + 1);
        }
        if c.incremental {
            incremental_counter.set(incremental_counter.get() + 1);
        }
    });

    for op in program {
        match *op {
            Op::Alloc => {
                let id = model.edges.len();
                model.edges.push(Vec::new());
                model.slots.push(None);
                model.locals.push(id);
                locals.push(heap.alloc(Obj {
                    id,
                    edges: GcCell::new(Vec::new()),
                    slot: GcSlot::new(None),
                    _log: DropLog {
                        id,
                        log: log.clone(),
                    },
                }));
                every.push(Gc::downgrade(locals.last().unwrap()));
                lost_at.push(None);
            }
            Op::Link(a, b) if !locals.is_empty() => {
                let (a, b) = (a % locals.len(), b % locals.len());
                locals[a].edges.borrow_mut().push(locals[b].clone());
                model.edges[model.locals[a]].push(model.locals[b]);
            }
            Op::Unlink(a, k) if !locals.is_empty() => {
                let a = a % locals.len();
                let mut edges = locals[a].edges.borrow_mut();
                if !edges.is_empty() {
                    let k = k % edges.len();
                    edges.remove(k);
                    model.edges[model.locals[a]].remove(k);
                }
            }
            Op::DropHandle(i) if !locals.is_empty() => {
                let i = i % locals.len();
                locals.swap_remove(i);
                model.locals.swap_remove(i);
            }
            Op::PoolPut(i) if !locals.is_empty() => {
                // A pooled handle lives until the next cycle drains the pool: the model does
                // not count it as a root at the next collect.
                pool.put(Some(locals[i % locals.len()].clone()));
            }
            Op::PoolMove(i) if !locals.is_empty() => {
                let i = i % locals.len();
                pool.put(Some(locals.swap_remove(i)));
                model.locals.swap_remove(i);
            }
            Op::Downgrade(i) if !locals.is_empty() => {
                let i = i % locals.len();
                weaks.push((model.locals[i], Gc::downgrade(&locals[i])));
            }
            Op::Upgrade(k) if !weaks.is_empty() => {
                let (id, weak) = &weaks[k % weaks.len()];
                let dropped = log.borrow().contains(id);
                match weak.upgrade() {
                    Some(handle) => {
                        prop_assert!(!dropped, "upgraded a dropped object");
                        prop_assert_eq!(handle.id, *id);
                        locals.push(handle);
                        model.locals.push(*id);
                    }
                    // (A lazy sweep drops the object after the cycle that emptied its slot.)
                    None => prop_assert!(
                        dropped || !model.reachable().contains(id),
                        "a live object's weak handle failed"
                    ),
                }
            }
            Op::Collect => {
                heap.collect();
                check(&heap, &model, &locals, &log)?;
            }
            Op::CollectWhileBorrowed(i) if !locals.is_empty() => {
                let i = i % locals.len();
                let guard = locals[i].edges.borrow_mut();
                heap.collect();
                drop(guard);
                check(&heap, &model, &locals, &log)?;
            }
            Op::CloneOut(a, k) if !locals.is_empty() => {
                let a = a % locals.len();
                let out = {
                    let edges = locals[a].edges.borrow();
                    (!edges.is_empty()).then(|| {
                        let k = k % edges.len();
                        (edges[k].clone(), model.edges[model.locals[a]][k])
                    })
                };
                if let Some((handle, id)) = out {
                    locals.push(handle);
                    model.locals.push(id);
                }
            }
            Op::TakeOut(a, k) if !locals.is_empty() => {
                let a = a % locals.len();
                let mut edges = locals[a].edges.borrow_mut();
                if !edges.is_empty() {
                    let k = k % edges.len();
                    let handle = edges.remove(k);
                    drop(edges);
                    let id = model.edges[model.locals[a]].remove(k);
                    locals.push(handle);
                    model.locals.push(id);
                }
            }
            Op::SlotSet(a, b) if !locals.is_empty() => {
                let (a, b) = (a % locals.len(), b % locals.len());
                locals[a].slot.set(Some(locals[b].clone()));
                model.slots[model.locals[a]] = Some(model.locals[b]);
            }
            Op::SlotGet(a) if !locals.is_empty() => {
                let a = a % locals.len();
                if let Some(handle) = locals[a].slot.get() {
                    locals.push(handle);
                    let id = model.slots[model.locals[a]].expect("the model has it");
                    model.locals.push(id);
                }
            }
            Op::SlotTake(a) if !locals.is_empty() => {
                let a = a % locals.len();
                if let Some(handle) = locals[a].slot.take() {
                    let id = model.slots[model.locals[a]]
                        .take()
                        .expect("the model has it");
                    locals.push(handle);
                    model.locals.push(id);
                }
            }
            Op::Churn(n) => {
                for i in 0..n {
                    drop(heap.alloc(i));
                }
            }
            _ => {}
        }
        check_between(&model, &locals, &every, &mut lost_at, full_cycles.get())?;
    }
    heap.collect();
    check(&heap, &model, &locals, &log)?;
    for (id, weak) in &weaks {
        prop_assert_eq!(weak.upgrade().is_some(), !log.borrow().contains(id));
    }
    drop(locals);
    heap.collect();
    prop_assert_eq!(
        log.borrow().len(),
        model.edges.len(),
        "everything dropped at the end"
    );
    Ok(incremental.get())
}

/// After any op: nothing the model reaches is dead (a handle in hand reads its object), and an
/// object the model lost two whole full cycles ago no longer upgrades.
fn check_between(
    model: &Model,
    locals: &[Gc<Obj>],
    every: &[WeakGc<Obj>],
    lost_at: &mut [Option<u64>],
    full_cycles: u64,
) -> Result<(), TestCaseError> {
    let reachable = model.reachable();
    for handle in locals {
        prop_assert!(!Gc::is_dead(handle), "a held object is dead");
    }
    for id in 0..every.len() {
        if reachable.contains(&id) {
            lost_at[id] = None;
            prop_assert!(!every[id].is_dangling(), "a reachable object was swept");
        } else {
            let lost = *lost_at[id].get_or_insert(full_cycles);
            if full_cycles >= lost + 2 {
                prop_assert!(
                    every[id].is_dangling(),
                    "garbage survived two full cycles (lost at {}, now {})",
                    lost,
                    full_cycles
                );
            }
        }
    }
    Ok(())
}

fn check(
    heap: &Heap,
    model: &Model,
    locals: &[Gc<Obj>],
    log: &Rc<RefCell<Vec<usize>>>,
) -> Result<(), TestCaseError> {
    let reachable = model.reachable();
    let dropped: BTreeSet<usize> = log.borrow().iter().copied().collect();
    prop_assert_eq!(
        dropped.len(),
        log.borrow().len(),
        "an object was dropped twice"
    );
    let expected: BTreeSet<usize> = (0..model.edges.len())
        .filter(|id| !reachable.contains(id))
        .collect();
    prop_assert_eq!(&dropped, &expected);
    prop_assert_eq!(heap.stats().objects, reachable.len());
    // Every reachable object reads its id and edges as the model says.
    let mut seen = HashSet::new();
    let mut stack: Vec<Gc<Obj>> = locals.to_vec();
    for (handle, &id) in locals.iter().zip(&model.locals) {
        prop_assert_eq!(handle.id, id);
    }
    while let Some(obj) = stack.pop() {
        if !seen.insert(obj.id) {
            continue;
        }
        let edges = obj.edges.borrow();
        let ids: Vec<usize> = edges.iter().map(|e| e.id).collect();
        prop_assert_eq!(&ids, &model.edges[obj.id]);
        stack.extend(edges.iter().cloned());
        let slot = obj.slot.get();
        prop_assert_eq!(slot.as_ref().map(|s| s.id), model.slots[obj.id]);
        stack.extend(slot);
    }
    prop_assert_eq!(seen.len(), reachable.len());
    heap.verify();
    Ok(())
}

#[test]
fn random_programs_match_the_reachability_model() {
    run_programs(Config::default());
}

/// The same programs with a nursery of a few objects: young cycles run between the explicit
/// collections, freeing young garbage, leaving pools alone and promoting survivors, and every
/// check still holds at each `collect()`.
#[test]
fn random_programs_match_the_model_with_frequent_young_cycles() {
    run_programs(Config::default().young_bytes(256).min_heap_bytes(1 << 30));
}

/// Incremental torture: the smallest step at every allocation and cycles back to back, so
/// every op runs between steps of counting, root finding or marking.
#[test]
fn random_programs_match_the_model_between_incremental_steps() {
    let cycles = run_programs(Config::default().incremental(true).torture(true));
    let least = if common::short() { 10 } else { 100 };
    assert!(cycles > least, "only {cycles} incremental cycles ran");
}

/// Incremental cycles started by pacing on a tiny floor, with young cycles in between.
#[test]
fn random_programs_match_the_model_with_paced_incremental_cycles() {
    let cycles = run_programs(
        Config::default()
            .incremental(true)
            .torture(false)
            .min_heap_bytes(256)
            .young_bytes(256),
    );
    let least = if common::short() { 2 } else { 20 };
    assert!(cycles > least, "only {cycles} incremental cycles ran");
}

/// Runs the seeded programs; returns how many incremental cycles completed in all.
fn run_programs(heap_config: Config) -> u64 {
    let (mut runner, max_len) = common::seeded_runner();
    let cycles = Cell::new(0);
    runner
        .run(&prop::collection::vec(op(), 1..max_len), |program| {
            cycles.set(cycles.get() + run(&program, heap_config.clone())?);
            Ok(())
        })
        .unwrap();
    cycles.get()
}
