//! Bringing a [`Graph`]'s model up to date after the cycles its heaps ran (see the parent
//! module's docs for what each kind of cycle lets the model conclude).

use super::objects::Edge;
use super::{CycleNote, Graph};
use prologue::Trigger;
use std::collections::HashSet;

impl Graph<'_> {
    /// The model's objects reachable from the roots, the parked handles, the holders on the
    /// second heap (released ones it has not freed yet included) and `held`.
    pub(super) fn reachable(&self, held: &[u64]) -> HashSet<u64> {
        // A freed root (a collector bug, reported by `sync_cycles`) shows as `Edge::FREED`.
        let stack: Vec<u64> = self
            .roots
            .iter()
            .map(Edge::id_or_freed)
            .chain(self.parked_ids.iter().copied())
            .chain(self.holders.iter().map(|(h, _)| h.target().id_or_freed()))
            .chain(self.released_holders.iter().map(|r| r.target))
            .chain(held.iter().copied())
            .collect();
        self.closure(stack, &HashSet::new())
    }

    /// The model objects reachable from `stack`, not entering `stop`.
    fn closure(&self, mut stack: Vec<u64>, stop: &HashSet<u64>) -> HashSet<u64> {
        let mut seen = HashSet::new();
        while let Some(id) = stack.pop() {
            if !stop.contains(&id) && seen.insert(id) {
                if let Some(m) = self.model.get(&id) {
                    stack.extend(m.edges.iter().flatten().copied());
                }
            }
        }
        seen
    }

    /// Applies the main heap's cycles since the last call. `held` names objects a caller
    /// holds handles to outside the roots.
    pub(super) fn sync_cycles(&mut self, held: &[u64]) {
        let notes = std::mem::take(&mut *self.main_cycles.borrow_mut());
        if notes.is_empty() {
            return;
        }
        let freed_roots = self.roots.iter().filter(|r| r.is_dead()).count()
            + self
                .holders
                .iter()
                .filter(|(h, _)| h.target().is_dead())
                .count();
        if freed_roots > 0 {
            self.fail(format!(
                "a cycle ({:?}) freed {freed_roots} objects the thread or the second heap holds \
                 handles to",
                notes.iter().map(|n| n.trigger).collect::<Vec<_>>()
            ));
        }
        let mut young_cycles = false;
        for note in notes {
            self.counts.cycles += 1;
            if note.trigger == Trigger::Young {
                young_cycles = true;
                self.apply_young_cycle(&note, held);
            } else {
                self.apply_full_cycle(&note, held);
            }
        }
        self.counts.peak_objects = self.counts.peak_objects.max(self.model.len());
        if young_cycles {
            // Nothing reachable may have been freed: walk it all (this also catches a slot
            // freed and reused, whose new id breaks its referrer's edges), at the next step,
            // once the caller no longer holds a cell mutably borrowed.
            self.walk_due = true;
        }
    }

    /// A full cycle drained the local pool and freed everything unreachable.
    fn apply_full_cycle(&mut self, note: &CycleNote, held: &[u64]) {
        self.parked_ids.clear();
        let live = self.reachable(held);
        let before = self.model.len();
        self.model.retain(|id, _| live.contains(id));
        let unreachable = before - self.model.len();
        // Doubtful objects may already have gone in young cycles, so this is only a bound.
        if note.freed > unreachable {
            self.fail(format!(
                "a full cycle ({:?}) freed {} objects, but the model has only {unreachable} \
                 unreachable ones",
                note.trigger, note.freed
            ));
        }
        self.young.clear();
    }

    /// A young cycle: no drain; frees at least the young garbage no old object may reach (an
    /// unexamined one: nothing is required, its garbage cycles are promoted), at most what is
    /// unreachable, and nothing reachable.
    fn apply_young_cycle(&mut self, note: &CycleNote, held: &[u64]) {
        self.counts.young_cycles += 1;
        self.counts.released += note.released as u64;
        let live = self.reachable(held);
        // Old objects the model cannot tell freed from kept (they are unreachable, but a
        // garbage cycle through them waits for a full cycle) keep what they point to.
        let doubtful_old: Vec<u64> = self
            .model
            .keys()
            .filter(|id| !live.contains(id) && !self.young.contains(id))
            .copied()
            .collect();
        let kept_by_old = self.closure(doubtful_old, &live);
        let must_free: HashSet<u64> = if note.unexamined {
            HashSet::new()
        } else {
            self.young
                .iter()
                .filter(|id| !live.contains(id) && !kept_by_old.contains(id))
                .copied()
                .collect()
        };
        let unreachable = self.model.keys().filter(|id| !live.contains(id)).count();
        if note.freed < must_free.len() || note.freed > unreachable || note.released > note.freed {
            self.fail(format!(
                "a young cycle freed {} objects ({} by its release step); the model says it \
                 had to free at least {} (young garbage no old object reaches) and at most {} \
                 (the unreachable ones)",
                note.freed,
                note.released,
                must_free.len(),
                unreachable
            ));
        }
        let weak_failures: Vec<String> = self
            .weak
            .iter()
            .filter_map(|(id, weak)| {
                let alive = weak.upgrade().is_some_and(|h| !h.is_dead());
                if alive && must_free.contains(id) {
                    Some(format!(
                        "a young cycle kept object {id}, young garbage that no root or old \
                         object reaches"
                    ))
                } else if !alive && live.contains(id) {
                    Some(format!(
                        "a young cycle freed object {id}, which is reachable"
                    ))
                } else {
                    None
                }
            })
            .collect();
        for message in weak_failures {
            self.fail(message);
        }
        let objects = self.heap.stats().objects;
        let live_objects = live.iter().filter(|id| self.model.contains_key(id)).count();
        if objects < live_objects {
            self.fail(format!(
                "after a young cycle the heap counts {objects} objects, fewer than the \
                 {live_objects} reachable ones"
            ));
        }
        self.counts.young_garbage += must_free.len() as u64;
        self.model.retain(|id, _| !must_free.contains(id));
        self.young.clear();
    }
}
