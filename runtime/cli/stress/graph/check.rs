//! The checks of a [`Graph`] against its model: comparing objects, walking what the thread
//! reaches, the full check after an explicit collection, and the final one.

use super::objects::{tally_live, Edge, Kind};
use super::{Graph, GraphCounts};
use std::collections::HashSet;

impl Graph<'_> {
    /// Compares one reachable object with the model; `false` if it is dead (so its fields
    /// must not be read).
    pub(super) fn check_obj(&mut self, obj: &Edge) -> bool {
        if obj.is_dead() {
            self.fail(format!(
                "a reachable {:?} was freed by the collector (its handle names a dead object)",
                obj.kind()
            ));
            return false;
        }
        let id = obj.id();
        let found = match self.model.get(&id) {
            None => Some(format!(
                "object {id} is reachable but the model thinks it is dead"
            )),
            Some(m) => {
                let edges = obj.edge_ids();
                if m.kind != obj.kind() {
                    Some(format!(
                        "object {id} is a {:?}, the model says a {:?}",
                        obj.kind(),
                        m.kind
                    ))
                } else if m.value != obj.value() {
                    Some(format!(
                        "object {id} holds value {:#x}, the model says {:#x}",
                        obj.value(),
                        m.value
                    ))
                } else if edges.contains(&Some(Edge::FREED)) {
                    Some(format!(
                        "object {id} is reachable and points to an object the collector freed \
                         (edges {edges:?}, 0 is the freed one; the model says {:?})",
                        m.edges
                    ))
                } else if m.edges != edges {
                    Some(format!(
                        "object {id} has edges {edges:?}, the model says {:?}",
                        m.edges
                    ))
                } else {
                    None
                }
            }
        };
        if let Some(message) = found {
            self.fail(message);
        }
        true
    }

    /// Checks `start` and at most `limit` objects it reaches.
    pub(super) fn check_around(&mut self, start: &Edge, limit: usize) {
        let mut seen = HashSet::new();
        let mut stack = vec![start.clone()];
        while let Some(obj) = stack.pop() {
            if seen.len() >= limit {
                break;
            }
            if self.check_obj(&obj) && seen.insert(obj.id()) {
                stack.extend(obj.targets());
            }
        }
    }

    /// Checks every object the roots and the holders (released ones not yet freed included)
    /// reach, and each holder's own record; returns the ids reached.
    pub(super) fn walk_and_check(&mut self) -> HashSet<u64> {
        let mut stack: Vec<Edge> = self.roots.clone();
        let mut broken = Vec::new();
        for (holder, _) in &self.holders {
            stack.push(holder.target().clone());
            if holder.recorded_id() != holder.target().id() {
                broken.push(format!(
                    "a holder of object {} holds object {}",
                    holder.recorded_id(),
                    holder.target().id()
                ));
            }
        }
        for released in &self.released_holders {
            match released.weak.upgrade() {
                Some(holder) => stack.push(holder.target().clone()),
                None => broken.push(format!(
                    "a released holder of object {} is gone, but no cycle of the second heap \
                     ran since it was last seen",
                    released.target
                )),
            }
        }
        for message in broken {
            self.fail(message);
        }
        let mut visited = HashSet::new();
        while let Some(obj) = stack.pop() {
            if !obj.is_dead() && visited.contains(&obj.id()) {
                continue;
            }
            if self.check_obj(&obj) {
                visited.insert(obj.id());
                stack.extend(obj.targets());
            }
        }
        visited
    }

    /// Collects, then checks the whole heap against the model.
    pub fn collect_and_check(&mut self) {
        self.heap.collect();
        self.counts.checks += 1;
        self.sync_cycles(&[]);
        // The collector's own invariants (handles point to live objects of the right heap,
        // counts agree, free lists hold only free slots, the young list is exactly the
        // objects not yet old); a broken one panics, which the main thread reports as a
        // failure of this thread.
        self.heap.verify();
        self.side.verify();

        let visited = self.walk_and_check();
        let objects = self.heap.stats().objects;
        let live = tally_live();
        let model = self.model.len() as u64;
        let model_objs = self.model.values().filter(|m| m.kind == Kind::Obj).count() as u64;
        if visited.len() as u64 != model || objects as u64 != model || live != model_objs {
            self.fail(format!(
                "after collect: {} objects reachable, the heap counts {objects}, \
                 {live} with destructors created and not dropped; the model has {model} \
                 ({model_objs} with destructors)",
                visited.len()
            ));
        }
    }

    /// Whether a check has failed: the model no longer matches the heap, so the thread stops
    /// (going on would dereference the freed objects the failure is about).
    pub fn has_failed(&self) -> bool {
        !self.failures.is_empty()
    }

    /// Drops every handle, collects both heaps, and checks that every object was dropped.
    /// After a failure, only reports it.
    pub fn finish(mut self) -> (GraphCounts, Vec<String>) {
        if self.has_failed() {
            return (self.counts, self.failures);
        }
        self.collect_and_check();
        self.roots.clear();
        self.holders.clear();
        self.released_holders.clear();
        self.side.collect();
        self.weak.clear();
        self.parked_ids.clear();
        while self.parked.try_get().is_some() {}
        self.heap.collect();
        let objects = self.heap.stats().objects;
        let holders = self.side.stats().objects;
        let live = tally_live();
        if objects != 0 || holders != 0 || live != 0 {
            self.fail(format!(
                "with every handle dropped and both heaps collected: the heap counts {objects} \
                 objects, the second heap {holders}, and {live} objects with destructors were \
                 created but not dropped"
            ));
        }
        (self.counts, self.failures)
    }
}
