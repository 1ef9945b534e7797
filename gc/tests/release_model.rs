//! Random programs against a model of handle counts, on values the release step of young
//! cycles frees by one trace (`Trace::DROP_IS_TRACE`) instead of their drop glue (proptest,
//! fixed seed).
//!
//! `model.rs` checks reachability with a type that has a destructor, so its objects are
//! released through `Candidates` traces and drop glue. Here every object is a [`Node`] of
//! plain handles in a `GcCell`, so each release decrements its targets' counts itself
//! (`TraceMode::Release`): a missed or doubled decrement shows up as a wrong
//! `Gc::handle_count`, a leak, or a use after free (valgrind, and the ids read back).
//!
//! Two heaps: heap B's nodes may point into heap A, never the other way round (a cycle
//! across heaps is never collected, by design), so releasing a B node must decrement A's
//! counts too. A program allocates nodes (with edges to held nodes from the start: built
//! bottom-up, as the release step expects), links, unlinks and takes handles out of slots
//! (overwriting a slot drops its old handle), clones and drops local handles, keeps and
//! upgrades weak handles, moves handles into and out of a `LocalPool` (drained by every full
//! cycle of either heap), allocates batches of garbage (trees and cycles, pointing at held
//! nodes, some weakly referenced so that an upgrade can resurrect them before a release, some
//! built while a held node's cell is mutably borrowed) so young cycles run between the
//! checks, and collects.
//!
//! # What is checked when
//! The model knows every node's heap and slots, the local handles, the pooled handles, and
//! for each node whether it *may still exist*. The set of nodes that actually exist, E, is
//! only known within bounds, R ⊆ E ⊆ P:
//! - R, the nodes reachable from the local and pooled handles, surely exist;
//! - P, the nodes no explicit `collect()` has proven gone: after `collect()` of heap h,
//!   exactly the nodes of h reachable from the roots or from a node of the other heap in P
//!   are left (B's dead nodes may still hold A's nodes until B is collected). Young cycles,
//!   pacing cycles and lazy sweeps free an unknown part of P \ R, so P shrinks only at
//!   explicit collections.
//!
//! A node's handle count is its local handles + its pooled handles + the slots naming it in
//! *existing* nodes (a dead node not yet released or swept still holds its handles). So:
//! - **after every step**, for every local handle: its id and its slots read back as the
//!   model says, and `lo <= Gc::handle_count <= hi`, where `lo` counts the slots of R and
//!   `hi` the slots of P; each heap's `stats().objects` lies between its nodes in R and in P;
//!   a weak handle of a node in R upgrades, one of a node outside P does not (one in P \ R
//!   may, which resurrects it: a release must never have freed what an existing node names);
//!   after a full cycle of either heap the real pool is empty;
//! - **after `Collect`** (heap B, then heap A: B's dead nodes drop their handles into A
//!   first, so R = P for both heaps), exactly: every count equals the model's (for every
//!   reachable node, not only the locally held ones), `stats().objects` equals the reachable
//!   nodes of each heap, every reachable node reads back its id and slots, every weak handle
//!   upgrades iff its node is reachable, and `verify()` passes on both heaps;
//! - at the end, with every handle dropped, both heaps are empty and every weak handle
//!   dangles; over all programs of a config with a small nursery, young cycles ran and
//!   released objects (so the release path was exercised), and with a small pacing goal,
//!   pacing started full cycles (lazily swept) between the young ones.
//!
//! `PROLOGUE_SHORT=1` makes the runs small (CI runs this under valgrind);
//! `PROLOGUE_GC_TORTURE=1` collects at every allocation (every check still holds).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use prologue_gc::{Config, Gc, GcCell, Heap, Trace, Trigger, WeakGc};
use prologue_pool::LocalPool;
use proptest::prelude::*;

mod common;

/// Slots per node.
const SLOTS: usize = 3;
/// The heap whose nodes point only into itself.
const A: usize = 0;
/// The heap whose nodes may point into both heaps.
const B: usize = 1;

/// A node whose drop is its trace: the release step frees it without running drop glue.
#[derive(Trace)]
struct Node {
    id: u64,
    edges: GcCell<[Option<Gc<Node>>; SLOTS]>,
}

fn drop_is_trace<T: Trace + ?Sized>() -> bool {
    T::DROP_IS_TRACE
}

/// Whether a node of heap `from` may hold a handle to a node of heap `to` (no cycles across
/// heaps: those are never collected).
fn may_point(from: usize, to: usize) -> bool {
    from == B || to == A
}

#[derive(Clone, Debug)]
enum Op {
    /// A new node in heap `heap % 2` whose slots name the given local handles (indices
    /// modulo the count; a slot stays empty where the heaps forbid the edge): a new local.
    Alloc {
        heap: usize,
        slots: [Option<usize>; SLOTS],
    },
    /// `count` nodes in heap `heap % 2`, built bottom-up with random edges to each other and
    /// to local handles and a weak handle kept to some (drawn from `seed`), closed into a
    /// cycle if `cycle`, then dropped; all while the cell of local `borrowed` (if any) is
    /// mutably borrowed.
    Garbage {
        heap: usize,
        count: usize,
        seed: u64,
        cycle: bool,
        borrowed: Option<usize>,
    },
    /// Store a clone of local `to` in slot `slot` of local `from` (dropping the old handle).
    Link {
        from: usize,
        slot: usize,
        to: usize,
    },
    /// Empty a slot of a local (dropping its handle).
    Unlink {
        from: usize,
        slot: usize,
    },
    /// Move a slot's handle out into a new local.
    Take {
        from: usize,
        slot: usize,
    },
    DropLocal(usize),
    CloneLocal(usize),
    /// Put a clone of a local into the pool.
    PoolPut(usize),
    /// Move a local into the pool.
    PoolMove(usize),
    /// Take the newest pooled handle back as a local.
    PoolGet,
    /// Keep a weak handle to a local's node.
    Downgrade(usize),
    /// Upgrade a kept weak handle; a successful upgrade is a new local.
    Upgrade(usize),
    /// `collect()` heap B, then heap A, and check everything exactly.
    Collect,
    /// `collect()` one heap only.
    CollectOne(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let slots = prop::array::uniform3(prop::option::of(any::<usize>()));
    prop_oneof![
        6 => (any::<usize>(), slots).prop_map(|(heap, slots)| Op::Alloc { heap, slots }),
        5 => (
            any::<usize>(),
            1..12usize,
            any::<u64>(),
            any::<bool>(),
            prop::option::weighted(0.2, any::<usize>()),
        )
            .prop_map(|(heap, count, seed, cycle, borrowed)| Op::Garbage {
                heap,
                count,
                seed,
                cycle,
                borrowed,
            }),
        4 => (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(from, slot, to)| Op::Link { from, slot, to }),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(from, slot)| Op::Unlink { from, slot }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(from, slot)| Op::Take { from, slot }),
        4 => any::<usize>().prop_map(Op::DropLocal),
        1 => any::<usize>().prop_map(Op::CloneLocal),
        1 => any::<usize>().prop_map(Op::PoolPut),
        1 => any::<usize>().prop_map(Op::PoolMove),
        1 => Just(Op::PoolGet),
        1 => any::<usize>().prop_map(Op::Downgrade),
        2 => any::<usize>().prop_map(Op::Upgrade),
        1 => Just(Op::Collect),
        1 => any::<usize>().prop_map(Op::CollectOne),
    ]
}

/// One node as the model sees it.
struct ModelNode {
    heap: usize,
    slots: [Option<usize>; SLOTS],
    /// In P: no explicit collection has proven it gone (see the module docs).
    may_exist: bool,
}

/// The reference model: every node ever allocated, and the handles held outside the heaps.
#[derive(Default)]
struct Model {
    nodes: Vec<ModelNode>,
    /// Parallel to the real local handles.
    locals: Vec<usize>,
    /// Parallel to the real pool's contents (newest last).
    pool: Vec<usize>,
}

impl Model {
    fn add(&mut self, heap: usize, slots: [Option<usize>; SLOTS]) -> usize {
        self.nodes.push(ModelNode {
            heap,
            slots,
            may_exist: true,
        });
        self.nodes.len() - 1
    }

    /// The nodes reachable from `seeds` through slots.
    fn closure(&self, seeds: impl IntoIterator<Item = usize>) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = seeds.into_iter().collect();
        while let Some(id) = stack.pop() {
            if !std::mem::replace(&mut seen[id], true) {
                stack.extend(self.nodes[id].slots.iter().flatten());
            }
        }
        seen
    }

    /// R: the nodes reachable from the local and pooled handles.
    fn reachable(&self) -> Vec<bool> {
        self.closure(self.locals.iter().chain(&self.pool).copied())
    }

    /// P: the nodes that may still exist.
    fn may_exist(&self) -> Vec<bool> {
        self.nodes.iter().map(|n| n.may_exist).collect()
    }

    /// `collect()` of `heap` returned: its nodes left are those reachable from the roots or
    /// from the handles of the other heap's nodes that may still exist.
    fn collected(&mut self, heap: usize) {
        let held_from_other_heap: Vec<usize> = self
            .nodes
            .iter()
            .filter(|n| n.heap != heap && n.may_exist)
            .flat_map(|n| n.slots.iter().flatten().copied())
            .collect();
        let left = self.closure(
            self.locals
                .iter()
                .chain(&self.pool)
                .copied()
                .chain(held_from_other_heap),
        );
        for (node, left) in self.nodes.iter_mut().zip(left) {
            if node.heap == heap {
                node.may_exist = left;
            }
        }
    }

    /// Each node's handle count if exactly the nodes in `holders` exist: local and pooled
    /// handles plus the slots of the holders.
    fn handle_counts(&self, holders: &[bool]) -> Vec<usize> {
        let mut counts = vec![0; self.nodes.len()];
        for &id in self.locals.iter().chain(&self.pool) {
            counts[id] += 1;
        }
        for (node, _) in self.nodes.iter().zip(holders).filter(|(_, &h)| h) {
            for &target in node.slots.iter().flatten() {
                counts[target] += 1;
            }
        }
        counts
    }

    fn count_in(&self, set: &[bool], heap: usize) -> usize {
        self.nodes
            .iter()
            .zip(set)
            .filter(|(n, &in_set)| in_set && n.heap == heap)
            .count()
    }
}

/// What the cycle observers saw.
#[derive(Default, Clone, Copy)]
struct Observed {
    young_cycles: usize,
    objects_released: usize,
    /// Full cycles of either heap: each drains the pool.
    full_cycles: usize,
    /// Full cycles pacing started (their sweep is lazy).
    paced_cycles: usize,
}

/// A tiny deterministic generator for the shape of garbage batches (splitmix64).
fn next(state: &mut u64) -> usize {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as usize
}

fn node_id(handle: &Gc<Node>) -> usize {
    handle.id as usize
}

fn run(program: &[Op], config: &Config) -> Result<Observed, TestCaseError> {
    // Declared first, dropped last, B before A (B's nodes hold A's): a heap dropped while
    // handles into it live (when a check fails) leaks what they name.
    let heap_a = Heap::with_config(config.clone());
    let heap_b = Heap::with_config(config.clone());
    let heaps = [&heap_a, &heap_b];
    let observed = Rc::new(Cell::new(Observed::default()));
    for heap in heaps {
        let observed = observed.clone();
        heap.on_cycle(move |cycle| {
            let mut o = observed.get();
            if cycle.trigger == Trigger::Young {
                o.young_cycles += 1;
                o.objects_released += cycle.objects_released;
            } else {
                o.full_cycles += 1;
                o.paced_cycles += usize::from(cycle.trigger == Trigger::Pacing);
            }
            observed.set(o);
        });
    }
    let pool: LocalPool<Option<Gc<Node>>> = LocalPool::new(|| None);
    let mut model = Model::default();
    let mut locals: Vec<Gc<Node>> = Vec::new();
    let mut weaks: Vec<(usize, WeakGc<Node>)> = Vec::new();
    let mut full_cycles_seen = 0;

    // After a full cycle of either heap the pool is empty, in the model too.
    let mut sync_pool = |model: &mut Model| -> Result<(), TestCaseError> {
        let full = observed.get().full_cycles;
        if full != full_cycles_seen {
            full_cycles_seen = full;
            model.pool.clear();
            prop_assert!(pool.try_get().is_none(), "a full cycle left the pool full");
        }
        Ok(())
    };

    for op in program {
        match *op {
            Op::Alloc { heap, slots } => {
                let heap = heap % 2;
                let mut handles: [Option<Gc<Node>>; SLOTS] = Default::default();
                let mut ids = [None; SLOTS];
                for (k, local) in slots.iter().enumerate() {
                    if let Some(i) = local.filter(|_| !locals.is_empty()) {
                        let i = i % locals.len();
                        let target = model.locals[i];
                        if may_point(heap, model.nodes[target].heap) {
                            handles[k] = Some(locals[i].clone());
                            ids[k] = Some(target);
                        }
                    }
                }
                let id = model.add(heap, ids);
                locals.push(heaps[heap].alloc(Node {
                    id: id as u64,
                    edges: GcCell::new(handles),
                }));
                model.locals.push(id);
            }
            Op::Garbage {
                heap,
                count,
                seed,
                cycle,
                borrowed,
            } => {
                let heap = heap % 2;
                let guard = borrowed
                    .filter(|_| !locals.is_empty())
                    .map(|i| locals[i % locals.len()].edges.borrow_mut());
                let mut rng = seed;
                let mut batch: Vec<Gc<Node>> = Vec::with_capacity(count);
                for _ in 0..count {
                    let mut handles: [Option<Gc<Node>>; SLOTS] = Default::default();
                    for handle in &mut handles {
                        let roll = next(&mut rng);
                        *handle = match roll % 4 {
                            1 if !batch.is_empty() => Some(batch[roll / 4 % batch.len()].clone()),
                            2 if !locals.is_empty() => {
                                let i = roll / 4 % locals.len();
                                may_point(heap, model.nodes[model.locals[i]].heap)
                                    .then(|| locals[i].clone())
                            }
                            _ => None,
                        };
                    }
                    let ids = handles.each_ref().map(|h| h.as_ref().map(node_id));
                    let id = model.add(heap, ids);
                    let node = heaps[heap].alloc(Node {
                        id: id as u64,
                        edges: GcCell::new(handles),
                    });
                    if next(&mut rng) % 4 == 0 {
                        // Releasing it must empty its weak slot before anything is dropped.
                        weaks.push((id, Gc::downgrade(&node)));
                    }
                    batch.push(node);
                }
                if cycle && count >= 2 {
                    let (first, last) = (&batch[0], &batch[count - 1]);
                    first.edges.borrow_mut()[0] = Some(last.clone());
                    model.nodes[node_id(first)].slots[0] = Some(node_id(last));
                }
                drop(batch);
                drop(guard);
            }
            Op::Link { from, slot, to } if !locals.is_empty() => {
                let (from, to) = (from % locals.len(), to % locals.len());
                let (source, target) = (model.locals[from], model.locals[to]);
                if may_point(model.nodes[source].heap, model.nodes[target].heap) {
                    locals[from].edges.borrow_mut()[slot % SLOTS] = Some(locals[to].clone());
                    model.nodes[source].slots[slot % SLOTS] = Some(target);
                }
            }
            Op::Unlink { from, slot } if !locals.is_empty() => {
                let from = from % locals.len();
                locals[from].edges.borrow_mut()[slot % SLOTS] = None;
                model.nodes[model.locals[from]].slots[slot % SLOTS] = None;
            }
            Op::Take { from, slot } if !locals.is_empty() => {
                let from = from % locals.len();
                let taken = locals[from].edges.borrow_mut()[slot % SLOTS].take();
                let expected = model.nodes[model.locals[from]].slots[slot % SLOTS].take();
                prop_assert_eq!(taken.as_ref().map(node_id), expected);
                if let Some(handle) = taken {
                    locals.push(handle);
                    model.locals.extend(expected);
                }
            }
            Op::DropLocal(i) if !locals.is_empty() => {
                let i = i % locals.len();
                locals.swap_remove(i);
                model.locals.swap_remove(i);
            }
            Op::CloneLocal(i) if !locals.is_empty() => {
                let i = i % locals.len();
                locals.push(locals[i].clone());
                model.locals.push(model.locals[i]);
            }
            Op::PoolPut(i) if !locals.is_empty() => {
                let i = i % locals.len();
                pool.put(Some(locals[i].clone()));
                model.pool.push(model.locals[i]);
            }
            Op::PoolMove(i) if !locals.is_empty() => {
                let i = i % locals.len();
                pool.put(Some(locals.swap_remove(i)));
                model.pool.push(model.locals.swap_remove(i));
            }
            Op::PoolGet => match pool.try_get() {
                Some(entry) => {
                    let handle = entry.expect("only handles are pooled");
                    prop_assert_eq!(Some(node_id(&handle)), model.pool.pop());
                    model.locals.push(node_id(&handle));
                    locals.push(handle);
                }
                None => prop_assert!(model.pool.is_empty(), "the pool lost a handle"),
            },
            Op::Downgrade(i) if !locals.is_empty() => {
                let i = i % locals.len();
                weaks.push((model.locals[i], Gc::downgrade(&locals[i])));
            }
            Op::Upgrade(k) if !weaks.is_empty() => {
                let (id, weak) = &weaks[k % weaks.len()];
                let id = *id;
                match weak.upgrade() {
                    Some(handle) => {
                        prop_assert!(
                            model.nodes[id].may_exist,
                            "node {} upgraded after a collect freed it",
                            id
                        );
                        prop_assert_eq!(node_id(&handle), id);
                        locals.push(handle);
                        model.locals.push(id);
                    }
                    None => prop_assert!(
                        !model.reachable()[id],
                        "the weak handle of reachable node {} failed",
                        id
                    ),
                }
            }
            Op::Collect => {
                for heap in [B, A] {
                    heaps[heap].collect();
                    sync_pool(&mut model)?;
                    model.collected(heap);
                }
                check_exact(heaps, &model, &locals, &weaks)?;
            }
            Op::CollectOne(heap) => {
                let heap = heap % 2;
                heaps[heap].collect();
                sync_pool(&mut model)?;
                model.collected(heap);
                heaps[heap].verify();
            }
            _ => {}
        }
        sync_pool(&mut model)?;
        check_bounds(heaps, &model, &locals)?;
    }

    for heap in [B, A] {
        heaps[heap].collect();
        sync_pool(&mut model)?;
        model.collected(heap);
    }
    check_exact(heaps, &model, &locals, &weaks)?;
    drop(locals);
    model.locals.clear();
    for heap in [B, A] {
        heaps[heap].collect();
        prop_assert_eq!(
            heaps[heap].stats().objects,
            0,
            "everything freed at the end"
        );
        heaps[heap].verify();
    }
    for (id, weak) in &weaks {
        prop_assert!(weak.is_dangling(), "node {} outlived every handle", id);
    }
    Ok(observed.get())
}

/// The checks that hold at every step (see the module docs): R ⊆ E ⊆ P bounds the counts.
fn check_bounds(
    heaps: [&Heap; 2],
    model: &Model,
    locals: &[Gc<Node>],
) -> Result<(), TestCaseError> {
    let reachable = model.reachable();
    let may_exist = model.may_exist();
    for (id, (&r, &p)) in reachable.iter().zip(&may_exist).enumerate() {
        prop_assert!(!r || p, "model: reachable node {} counted gone", id);
    }
    for (heap_index, heap) in heaps.iter().enumerate() {
        let objects = heap.stats().objects;
        let (lo, hi) = (
            model.count_in(&reachable, heap_index),
            model.count_in(&may_exist, heap_index),
        );
        prop_assert!(
            lo <= objects && objects <= hi,
            "heap {} has {} objects, not within [{}, {}]",
            heap_index,
            objects,
            lo,
            hi
        );
    }
    let lo = model.handle_counts(&reachable);
    let hi = model.handle_counts(&may_exist);
    for (handle, &id) in locals.iter().zip(&model.locals) {
        prop_assert_eq!(node_id(handle), id);
        let count = Gc::handle_count(handle);
        prop_assert!(
            lo[id] <= count && count <= hi[id],
            "node {} has {} handles, not within [{}, {}]",
            id,
            count,
            lo[id],
            hi[id]
        );
        let slots = handle
            .edges
            .borrow()
            .each_ref()
            .map(|s| s.as_ref().map(node_id));
        prop_assert_eq!(slots, model.nodes[id].slots, "slots of node {}", id);
    }
    Ok(())
}

/// The checks right after both heaps were collected (B first): the model is exact.
fn check_exact(
    heaps: [&Heap; 2],
    model: &Model,
    locals: &[Gc<Node>],
    weaks: &[(usize, WeakGc<Node>)],
) -> Result<(), TestCaseError> {
    let reachable = model.reachable();
    prop_assert_eq!(
        &reachable,
        &model.may_exist(),
        "model: R = P after collecting both"
    );
    for (heap_index, heap) in heaps.iter().enumerate() {
        prop_assert_eq!(
            heap.stats().objects,
            model.count_in(&reachable, heap_index),
            "objects of heap {}",
            heap_index
        );
        heap.verify();
    }
    // Walk the real graph, keeping exactly one extra handle per node seen.
    let mut seen: HashMap<usize, Gc<Node>> = HashMap::new();
    let mut stack: Vec<Gc<Node>> = locals.to_vec();
    while let Some(handle) = stack.pop() {
        let id = node_id(&handle);
        if seen.contains_key(&id) {
            continue;
        }
        prop_assert!(
            reachable[id],
            "reached node {} the model finds unreachable",
            id
        );
        let edges = handle.edges.borrow();
        let slots = edges.each_ref().map(|s| s.as_ref().map(node_id));
        prop_assert_eq!(slots, model.nodes[id].slots, "slots of node {}", id);
        stack.extend(edges.iter().flatten().cloned());
        drop(edges);
        seen.insert(id, handle);
    }
    prop_assert_eq!(seen.len(), reachable.iter().filter(|&&r| r).count());
    let expected = model.handle_counts(&reachable);
    for (&id, handle) in &seen {
        prop_assert_eq!(
            Gc::handle_count(handle),
            expected[id] + 1,
            "handles of node {} (one held by this check)",
            id
        );
    }
    drop(seen);
    for (id, weak) in weaks {
        let upgraded = weak.upgrade();
        prop_assert_eq!(
            upgraded.is_some(),
            reachable[*id],
            "weak handle of node {}",
            id
        );
    }
    Ok(())
}

/// Runs the fixed-seed programs on heaps with `heap_config`; returns what the observers saw
/// over all of them.
fn run_programs(heap_config: Config) -> Observed {
    assert!(drop_is_trace::<Node>(), "Node must be released by a trace");
    let (mut runner, max_len) = common::seeded_runner();
    let totals = RefCell::new(Observed::default());
    runner
        .run(&prop::collection::vec(op(), 1..max_len), |program| {
            let seen = run(&program, &heap_config)?;
            let mut totals = totals.borrow_mut();
            totals.young_cycles += seen.young_cycles;
            totals.objects_released += seen.objects_released;
            totals.full_cycles += seen.full_cycles;
            totals.paced_cycles += seen.paced_cycles;
            Ok(())
        })
        .unwrap();
    totals.into_inner()
}

/// Young cycles ran and released objects (unless torture mode made every cycle full).
fn assert_released(totals: &Observed, config: &Config) {
    if !config.torture {
        assert!(totals.young_cycles > 0, "no young cycle ran");
        assert!(
            totals.objects_released > 0,
            "no young cycle released anything"
        );
    }
}

/// A nursery of four nodes: a young cycle (release step first) every few allocations.
#[test]
fn release_by_trace_matches_the_model_with_a_tiny_nursery() {
    let config = Config {
        young_bytes: 256,
        min_heap_bytes: 1 << 30,
        ..Config::default()
    };
    assert_released(&run_programs(config.clone()), &config);
}

/// A nursery of a few batches: releases cascade through whole garbage trees, and more
/// survivors are promoted per cycle.
#[test]
fn release_by_trace_matches_the_model_with_a_small_nursery() {
    let config = Config {
        young_bytes: 1024,
        min_heap_bytes: 1 << 30,
        ..Config::default()
    };
    assert_released(&run_programs(config.clone()), &config);
}

/// A small pacing goal: full cycles started by pacing (which drain the pool and sweep
/// lazily) come between the young ones, so releases meet old objects in unswept pages and
/// pool drains the program did not ask for.
#[test]
fn release_by_trace_matches_the_model_between_paced_full_cycles() {
    let config = Config {
        young_bytes: 512,
        min_heap_bytes: 512,
        gc_percent: 25,
        ..Config::default()
    };
    let totals = run_programs(config.clone());
    assert_released(&totals, &config);
    if !config.torture {
        assert!(totals.paced_cycles > 0, "no full cycle was paced");
    }
}

/// The default configuration: young cycles are rare here, explicit collections do the work.
#[test]
fn release_by_trace_matches_the_model_with_the_default_config() {
    run_programs(Config::default());
}
