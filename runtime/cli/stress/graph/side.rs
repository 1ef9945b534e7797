//! The second heap's part of a [`Graph`]: holders with a handle into the main heap, made and
//! released by the thread, and the model's update after the second heap's cycles.
//!
//! A released holder still holds its target until the second heap frees it: its next full
//! cycle in any case, or its next young one if the holder was still young (allocated since the
//! cycle before). The model learns which through a weak handle to each released holder, and
//! counts a released holder's target as held until then.

use super::objects::HolderRef;
use super::{Graph, ReleasedHolder};
use prologue::Trigger;
use rand::rngs::SmallRng;
use rand::Rng;

impl Graph<'_> {
    /// Stores a handle to a reachable object in a new holder on the second heap (freed by its
    /// destructor or by a trace, at random).
    pub(super) fn hold_from_side(&mut self, rng: &mut SmallRng) {
        if self.holders.len() < self.limits.roots {
            let target = self.pick(rng);
            let holder = HolderRef::alloc(self.side, target, rng.random_bool(0.5));
            self.sync_side_cycles();
            // Any cycle ran before the holder was placed: it is young in this epoch.
            self.holders.push((holder, self.side_epoch));
        }
    }

    /// Drops a holder; then, one time in sixteen, collects the second heap, which must free it
    /// (otherwise the second heap's next young cycle frees it if it is still young, and its
    /// next full cycle in any case).
    pub(super) fn release_from_side(&mut self, rng: &mut SmallRng) {
        if self.holders.is_empty() {
            return;
        }
        let (holder, born) = self
            .holders
            .swap_remove(rng.random_range(0..self.holders.len()));
        self.released_holders.push(ReleasedHolder {
            target: holder.target().id(),
            born,
            weak: holder.downgrade(),
        });
        drop(holder);
        if rng.random_ratio(1, 16) {
            let cycle = self.side.collect();
            self.sync_side_cycles();
            if cycle.objects_freed == 0 {
                self.fail("collecting the second heap freed no released holder".to_string());
            }
        }
    }

    /// Applies the second heap's cycles since the last call: a full one drained the local
    /// pool; any cycle must have freed the released holders that were young, and a full one
    /// all of them. A freed holder no longer holds its target.
    pub(super) fn sync_side_cycles(&mut self) {
        let notes = std::mem::take(&mut *self.side_cycles.borrow_mut());
        for note in notes {
            self.counts.side_cycles += 1;
            let full = note.trigger != Trigger::Young;
            if note.trigger == Trigger::Pacing {
                // A paced cycle sweeps lazily: a freed holder's handle would be dropped at some
                // later allocation, which the model cannot follow. The floor rules it out.
                self.fail(
                    "the second heap ran a paced cycle: raise its min_heap_bytes".to_string(),
                );
            }
            if full {
                self.parked_ids.clear();
            }
            let epoch = self.side_epoch;
            let mut kept = Vec::with_capacity(self.released_holders.len());
            let mut failures = Vec::new();
            for released in self.released_holders.drain(..) {
                let freed = released.weak.upgrade().is_none();
                if !freed && (full || released.born == epoch) {
                    failures.push(format!(
                        "a {} cycle of the second heap kept a released holder of object {} \
                         (allocated in its epoch {}, now {epoch})",
                        if full { "full" } else { "young" },
                        released.target,
                        released.born
                    ));
                }
                if !freed {
                    kept.push(released);
                } else if !full {
                    self.counts.holders_freed_young += 1;
                }
            }
            self.released_holders = kept;
            for message in failures {
                self.fail(message);
            }
            self.side_epoch += 1;
        }
    }
}
