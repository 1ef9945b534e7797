//! The checks of a [`Graph`] against its model: bringing the model up to date after cycles,
//! comparing objects, the full check after an explicit collection, and the final one.

use super::{tally_live, Graph, GraphCounts, Obj};
use prologue::Gc;
use std::collections::HashSet;

impl Graph<'_> {
    /// Compares one reachable object with the model.
    pub(super) fn check_obj(&mut self, obj: &Obj) {
        let found = match self.model.get(&obj.id) {
            None => Some(format!(
                "object {} is reachable but the model thinks it is dead",
                obj.id
            )),
            Some(m) => {
                let edges: Vec<u64> = obj.edges.borrow().iter().map(|e| e.id).collect();
                if m.value != obj.value.get() {
                    Some(format!(
                        "object {} holds value {:#x}, the model says {:#x}",
                        obj.id,
                        obj.value.get(),
                        m.value
                    ))
                } else if m.edges != edges {
                    Some(format!(
                        "object {} has edges {edges:?}, the model says {:?}",
                        obj.id, m.edges
                    ))
                } else {
                    None
                }
            }
        };
        if let Some(message) = found {
            self.fail(message);
        }
    }

    /// After a cycle of the second heap: it drained the thread's pools, so the local pool's
    /// handles are gone (what only they held is dead at the main heap's next cycle).
    pub(super) fn sync_side_cycles(&mut self) {
        let seen = self.side_cycles_seen.get();
        if seen != self.side_cycles_handled {
            self.side_cycles_handled = seen;
            self.parked_ids.clear();
        }
    }

    /// After any cycle: the local pool was drained, and what the roots do not reach is dead.
    /// `held` names objects a caller holds handles to outside the roots.
    pub(super) fn sync_cycles(&mut self, held: &[u64]) {
        let seen = self.cycles_seen.get();
        if seen == self.cycles_handled {
            return;
        }
        self.counts.cycles += seen - self.cycles_handled;
        self.cycles_handled = seen;
        self.parked_ids.clear();
        let live = self.reachable(held);
        self.model.retain(|id, _| live.contains(id));
        self.counts.peak_objects = self.counts.peak_objects.max(self.model.len());
    }

    /// The model's objects reachable from the roots, the parked handles, the holders on the
    /// second heap and `held`.
    fn reachable(&self, held: &[u64]) -> HashSet<u64> {
        let mut live = HashSet::new();
        let mut stack: Vec<u64> = self
            .roots
            .iter()
            .map(|r| r.id)
            .chain(self.parked_ids.iter().copied())
            .chain(self.holders.iter().map(|h| h.target.id))
            .chain(held.iter().copied())
            .collect();
        while let Some(id) = stack.pop() {
            if live.insert(id) {
                if let Some(m) = self.model.get(&id) {
                    stack.extend(m.edges.iter().copied());
                }
            }
        }
        live
    }

    /// Collects, then checks the whole heap against the model.
    pub fn collect_and_check(&mut self) {
        self.heap.collect();
        self.counts.checks += 1;
        self.sync_cycles(&[]);
        // The collector's own invariants (handles point to live objects of the right heap,
        // counts agree, free lists hold only free slots); a broken one panics, which the
        // main thread reports as a failure of this thread.
        self.heap.verify();
        self.side.verify();

        let mut visited = HashSet::new();
        let mut stack: Vec<Gc<Obj>> = self.roots.clone();
        stack.extend(self.holders.iter().map(|h| h.target.clone()));
        while let Some(obj) = stack.pop() {
            if visited.insert(obj.id) {
                self.check_obj(&obj);
                stack.extend(obj.edges.borrow().iter().cloned());
            }
        }
        let objects = self.heap.stats().objects;
        let live = tally_live();
        let model = self.model.len() as u64;
        if visited.len() as u64 != model || objects as u64 != model || live != model {
            self.fail(format!(
                "after collect: {} objects reachable, the heap counts {objects}, \
                 {live} created and not dropped; the model has {model}",
                visited.len()
            ));
        }
    }

    /// Drops every handle, collects, and checks that every object was dropped.
    pub fn finish(mut self) -> (GraphCounts, Vec<String>) {
        self.collect_and_check();
        self.roots.clear();
        self.holders.clear();
        self.side.collect();
        self.weak.clear();
        self.parked_ids.clear();
        while self.parked.try_get().is_some() {}
        self.heap.collect();
        let objects = self.heap.stats().objects;
        let live = tally_live();
        if objects != 0 || live != 0 {
            self.fail(format!(
                "with every handle dropped and a collection run: the heap counts {objects} \
                 objects and {live} were created but not dropped"
            ));
        }
        (self.counts, self.failures)
    }
}
