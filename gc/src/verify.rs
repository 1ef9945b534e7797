//! [`Heap::verify`]: a consistency check of the whole heap, for tests and torture mode.

use std::collections::{HashMap, HashSet};
use std::ptr::NonNull;

use crate::header::{Header, FINALIZED, MARKED, OLD, VALUE_DROPPED, VISITED, WEAK, ZOMBIE};
use crate::heap::{Heap, Phase};
use crate::trace::{TraceMode, Tracer};

impl Heap {
    /// Checks the heap's invariants and panics with a description of the first one broken:
    ///
    /// - every object belongs to this heap, carries no mark bit or internal count left over
    ///   from a cycle, and (if dead) has had its value dropped;
    /// - every handle inside a live object that names an object of this heap names one that is
    ///   allocated in this heap;
    /// - no object has more internal references than handles;
    /// - the object count, zombie count and byte count match the statistics;
    /// - every weak slot, and every pending finalizer, names a live object of this heap;
    /// - the young list holds exactly the objects that are not old;
    /// - every page's bitmap agrees with its count of taken slots.
    ///
    /// It traces every object (user `trace` code runs). Torture mode calls it after every
    /// cycle.
    ///
    /// # Panics
    /// When an invariant is broken, or when called during a cycle.
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// let _xs = heap.alloc(vec![heap.alloc(1), heap.alloc(2)]);
    /// heap.verify();
    /// ```
    #[track_caller]
    pub fn verify(&self) {
        let phase = self.phase.get();
        if phase != Phase::Idle {
            panic!("prologue-gc: verify() called during a cycle (phase {phase:?})");
        }
        // Marks left for an incremental cycle or a lazy sweep are not leftovers: finish both.
        let finalizer_panic = self.complete_incremental();
        let panic = self.finish_sweep().or(finalizer_panic);
        self.verify_now();
        if let Some(payload) = panic {
            std::panic::resume_unwind(payload);
        }
    }

    /// The checks of [`verify`](Heap::verify), from any phase where the space is consistent.
    pub(crate) fn verify_now(&self) {
        struct Restore<'a>(&'a std::cell::Cell<Phase>, Phase);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                self.0.set(self.1);
            }
        }
        // Claimed slots hold no object yet: give them back before walking the bitmaps.
        self.flush_slot_caches();
        // While user `trace` code runs here, neither collect() nor alloc() may run.
        let _restore = Restore(&self.phase, self.phase.replace(Phase::Verify));
        let space = self.space.borrow();
        let mut listed = Vec::new();
        space.for_each_object(|object| listed.push(object));
        let all: HashSet<NonNull<Header>> = listed.iter().copied().collect();
        assert_eq!(
            all.len(),
            listed.len(),
            "prologue-gc verify: an object is listed twice"
        );
        for index in 0..space.page_count() {
            let page = space.page(index);
            assert_eq!(
                page.count_taken(),
                page.used(),
                "prologue-gc verify: page {index}'s bitmap disagrees with its count of taken slots"
            );
        }
        let mut tracer = Tracer::new(self.id);
        tracer.mode = TraceMode::Collect;
        let mut internal: HashMap<NonNull<Header>, u64> = HashMap::new();
        let (mut live, mut dead, mut bytes) = (0usize, 0usize, 0usize);
        let mut zombie_bytes = 0;
        for &object in &listed {
            // SAFETY: every object of the space is allocated.
            let header = unsafe { object.as_ref() };
            let name = (header.vtable().type_name)();
            assert_eq!(
                header.heap_id, self.id,
                "prologue-gc verify: a {name} object of heap {} is listed in heap {}",
                header.heap_id, self.id
            );
            assert!(
                !header.has(MARKED),
                "prologue-gc verify: a {name} object kept its mark bit after the cycle"
            );
            assert!(
                !header.has(VISITED),
                "prologue-gc verify: a {name} object kept the release walk's flag after its young cycle"
            );
            assert_eq!(
                header.internal(),
                0,
                "prologue-gc verify: a {name} object kept an internal count after the cycle"
            );
            // SAFETY: allocated, and the vtable matches the allocation.
            let footprint = unsafe { Header::footprint(object) };
            bytes += footprint;
            if header.is_dead() {
                dead += 1;
                zombie_bytes += footprint;
                assert!(
                    header.has(ZOMBIE),
                    "prologue-gc verify: a dead {name} object is not counted as a zombie"
                );
                assert!(
                    header.has(VALUE_DROPPED),
                    "prologue-gc verify: a dead {name} object still holds its value"
                );
                assert!(
                    !header.has(WEAK),
                    "prologue-gc verify: a dead {name} object still has a weak slot"
                );
                continue;
            }
            live += 1;
            if header.vtable().needs_trace {
                // SAFETY: a live object's value is initialised.
                unsafe { (header.vtable().trace)(object, &mut tracer) };
            }
            for target in tracer.stack.drain(..) {
                assert!(
                    all.contains(&target),
                    "prologue-gc verify: a {name} object holds a handle to {target:p}, which is not an object of heap {}",
                    self.id
                );
                *internal.entry(target).or_default() += 1;
            }
        }
        let young = self.young.borrow();
        let not_old = listed
            .iter()
            // SAFETY: objects of the space are allocated.
            .filter(|o| !unsafe { o.as_ref() }.has(OLD))
            .count();
        for object in young.iter() {
            assert!(
                all.contains(object),
                "prologue-gc verify: the young list names {object:p}, not an object of this heap"
            );
            // SAFETY: checked above to be an object of the space.
            assert!(
                !unsafe { object.as_ref() }.has(OLD),
                "prologue-gc verify: the young list names an old object"
            );
        }
        assert_eq!(
            not_old,
            young.len(),
            "prologue-gc verify: the young list misses objects that are not old"
        );
        drop(young);
        for (target, count) in internal {
            // SAFETY: checked above to be an object of the space.
            let header = unsafe { target.as_ref() };
            assert!(
                u64::from(header.handles()) >= count,
                "prologue-gc verify: a {} object has {} handles but {count} references from inside the heap",
                (header.vtable().type_name)(),
                header.handles()
            );
        }
        assert_eq!(
            live,
            self.objects.get(),
            "prologue-gc verify: live object count differs from the statistics"
        );
        assert_eq!(
            (dead, zombie_bytes),
            (space.zombies, space.zombie_bytes),
            "prologue-gc verify: zombie count or bytes differ from the statistics"
        );
        assert_eq!(
            bytes,
            space.bytes(),
            "prologue-gc verify: byte count differs from the statistics"
        );
        for &pending in self.finalizable.borrow().iter() {
            assert!(all.contains(&pending), "prologue-gc verify: a pending finalizer names {pending:p}, not an object of this heap");
            // SAFETY: an object of the space.
            let header = unsafe { pending.as_ref() };
            assert!(
                !header.is_dead() && !header.has(FINALIZED),
                "prologue-gc verify: a pending finalizer names a dead or finalized object"
            );
        }
        for (&target, _) in self.weak.borrow().slots() {
            assert!(
                all.contains(&target),
                "prologue-gc verify: a weak slot names {target:p}, not an object of this heap"
            );
            // SAFETY: an object of the space.
            let header = unsafe { target.as_ref() };
            assert!(
                header.has(WEAK) && !header.is_dead(),
                "prologue-gc verify: a weak slot names a dead or unflagged object"
            );
        }
    }
}
