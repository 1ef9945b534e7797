//! What is checked after every step (bounds) and after collecting both heaps (exactly).

use std::collections::HashMap;

use prologue_gc::{Gc, Heap, WeakGc};
use proptest::prelude::*;

use super::model::Model;
use super::{node_id, Node};

/// The checks that hold at every step (see the module docs): R ⊆ E ⊆ P bounds the counts.
pub fn check_bounds(
    heaps: [&Heap; 2],
    model: &Model,
    locals: &[Gc<Node>],
    weaks: &[(usize, WeakGc<Node>)],
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
    // A weak handle of a node in P \ R may upgrade or not; upgrading it here would resurrect
    // it, so only the two sure cases are tried (the upgraded handle is dropped at once).
    for (id, weak) in weaks {
        if reachable[*id] {
            prop_assert!(
                weak.upgrade().is_some(),
                "the weak handle of reachable node {} failed",
                id
            );
        } else if !may_exist[*id] {
            prop_assert!(
                weak.upgrade().is_none(),
                "node {} upgraded after a collect freed it",
                id
            );
        }
    }
    Ok(())
}

/// The checks right after both heaps were collected (B first): the model is exact.
pub fn check_exact(
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
