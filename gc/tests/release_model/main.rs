//! Random programs against a model of handle counts, on values the release step of young
//! cycles frees by one trace (`Trace::DROP_IS_TRACE`) instead of their drop glue (proptest,
//! fixed seed).
//!
//! `gc/tests/model.rs` checks reachability with a type that has a destructor, so its objects are
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
use std::rc::Rc;

use prologue_gc::{Config, Gc, GcCell, Heap, PauseKind, Trace, Trigger, WeakGc};
use prologue_pool::LocalPool;
use proptest::prelude::*;

mod checks;
#[path = "../common/mod.rs"]
mod common;
mod model;
mod ops;

use checks::{check_bounds, check_exact};
use model::Model;
use ops::{op, Op};

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

// The model is about values the release step frees by a trace (`Trace` rule 5).
const _: () = assert!(<Node as Trace>::DROP_IS_TRACE);

/// Whether a node of heap `from` may hold a handle to a node of heap `to` (no cycles across
/// heaps: those are never collected).
fn may_point(from: usize, to: usize) -> bool {
    from == B || to == A
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
    // Pools are drained when a full cycle starts: in its one pause, or in the start pause of
    // an incremental one.
    let drains = Rc::new(Cell::new(0usize));
    for heap in heaps {
        let drains = drains.clone();
        heap.on_pause(move |pause| {
            if matches!(pause.kind, PauseKind::Full | PauseKind::Start) {
                drains.set(drains.get() + 1);
            }
        });
    }
    let pool: LocalPool<Option<Gc<Node>>> = LocalPool::new(|| None);
    let mut model = Model::default();
    let mut locals: Vec<Gc<Node>> = Vec::new();
    let mut weaks: Vec<(usize, WeakGc<Node>)> = Vec::new();
    let mut full_cycles_seen = 0;

    // After a full cycle of either heap has drained the pools, the pool is empty, in the
    // model too (each op puts at most one value, before any cycle it causes).
    let mut sync_pool = |model: &mut Model| -> Result<(), TestCaseError> {
        let full = drains.get();
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
        check_bounds(heaps, &model, &locals, &weaks)?;
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

/// Runs the fixed-seed programs on heaps with `heap_config`; returns what the observers saw
/// over all of them.
fn run_programs(heap_config: Config) -> Observed {
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
    let config = Config::default().young_bytes(256).min_heap_bytes(1 << 30);
    assert_released(&run_programs(config.clone()), &config);
}

/// A nursery of a few batches: releases cascade through whole garbage trees, and more
/// survivors are promoted per cycle.
#[test]
fn release_by_trace_matches_the_model_with_a_small_nursery() {
    let config = Config::default().young_bytes(1024).min_heap_bytes(1 << 30);
    assert_released(&run_programs(config.clone()), &config);
}

/// A small pacing goal: full cycles started by pacing (which drain the pool and sweep
/// lazily) come between the young ones, so releases meet old objects in unswept pages and
/// pool drains the program did not ask for.
#[test]
fn release_by_trace_matches_the_model_between_paced_full_cycles() {
    let config = Config::default()
        .young_bytes(512)
        .min_heap_bytes(512)
        .gc_percent(25);
    let totals = run_programs(config.clone());
    assert_released(&totals, &config);
    if !config.torture {
        assert!(totals.paced_cycles > 0, "no full cycle was paced");
    }
}

/// The default configuration: programs this small never fill its nursery, so no young cycle
/// runs and explicit collections do all the work (a baseline for the configurations above).
#[test]
fn release_by_trace_matches_the_model_with_the_default_config() {
    run_programs(Config::default());
}
