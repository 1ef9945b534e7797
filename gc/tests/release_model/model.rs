//! The reference model: which nodes exist, which may exist, and what their handle counts are
//! (the bounds R ⊆ E ⊆ P of the module docs of `main.rs`).

use super::SLOTS;

/// One node as the model sees it.
pub struct ModelNode {
    pub heap: usize,
    pub slots: [Option<usize>; SLOTS],
    /// In P: no explicit collection has proven it gone (see the module docs).
    pub may_exist: bool,
}

/// The reference model: every node ever allocated, and the handles held outside the heaps.
#[derive(Default)]
pub struct Model {
    pub nodes: Vec<ModelNode>,
    /// Parallel to the real local handles.
    pub locals: Vec<usize>,
    /// Parallel to the real pool's contents (newest last).
    pub pool: Vec<usize>,
}

impl Model {
    pub fn add(&mut self, heap: usize, slots: [Option<usize>; SLOTS]) -> usize {
        self.nodes.push(ModelNode {
            heap,
            slots,
            may_exist: true,
        });
        self.nodes.len() - 1
    }

    /// The nodes reachable from `seeds` through slots.
    pub fn closure(&self, seeds: impl IntoIterator<Item = usize>) -> Vec<bool> {
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
    pub fn reachable(&self) -> Vec<bool> {
        self.closure(self.locals.iter().chain(&self.pool).copied())
    }

    /// P: the nodes that may still exist.
    pub fn may_exist(&self) -> Vec<bool> {
        self.nodes.iter().map(|n| n.may_exist).collect()
    }

    /// `collect()` of `heap` returned: its nodes left are those reachable from the roots or
    /// from the handles of the other heap's nodes that may still exist.
    pub fn collected(&mut self, heap: usize) {
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
    pub fn handle_counts(&self, holders: &[bool]) -> Vec<usize> {
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

    pub fn count_in(&self, set: &[bool], heap: usize) -> usize {
        self.nodes
            .iter()
            .zip(set)
            .filter(|(n, &in_set)| in_set && n.heap == heap)
            .count()
    }
}
