//! Sweep: drop what the mark did not reach, then free what no handle names.
//!
//! Two phases, so that no destructor can touch freed memory:
//!
//! 1. Every unmarked object is flagged dead (and its weak slot emptied) *before* any value is
//!    dropped. Then the dead values are dropped, each under `catch_unwind`. A handle dropped
//!    here decrements its target's count normally: the target is still allocated. A
//!    destructor that dereferences or clones a handle to a dead object panics (the flag is
//!    checked in release builds too) instead of reading a dropped value.
//! 2. A dead object whose handle count is zero is freed. One whose count is still above zero
//!    was resurrected (a destructor moved a handle out, say into a global): its memory is kept
//!    as a *zombie* (value gone, never traced again) and freed by a later sweep once the last
//!    handle is gone.
//!
//! Phase 1 is split in two functions, [`condemn`] (flag the unmarked dead, empty their weak
//! slots) and [`finish`] (drop, then free), so the finalizers run in between, while every
//! object is intact. The object list is moved out of the space for the duration, so a
//! finalizer or destructor may allocate; those new objects join the list when it is put back.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::alloc::ObjectSpace;
use crate::header::{Header, DEAD, MARKED, VALUE_DROPPED, WEAK};
use crate::weak::WeakTable;

/// What a sweep did.
#[derive(Default)]
pub(crate) struct SweepOutcome {
    pub(crate) objects_freed: usize,
    pub(crate) bytes_freed: usize,
    pub(crate) zombies: usize,
    /// Bytes held by zombies.
    pub(crate) zombie_bytes: usize,
    pub(crate) destructor_panics: usize,
    /// The first destructor panic, resumed by the caller once the cycle is complete.
    pub(crate) first_panic: Option<Box<dyn Any + Send>>,
}

/// What [`condemn`] leaves for [`finish`]: the surviving list (taken out of the space) and the
/// zombies of earlier cycles. The newly dead are in the caller's `doomed` scratch list.
pub(crate) struct Condemned {
    survivors: Vec<NonNull<Header>>,
    zombies: Vec<NonNull<Header>>,
}

/// Sweeps every object of `space`: [`condemn`] then [`finish`]. `doomed` is scratch space
/// reused between cycles.
#[cfg(test)]
pub(crate) fn sweep(
    space: &RefCell<ObjectSpace>,
    weak: &RefCell<WeakTable>,
    doomed: &mut Vec<NonNull<Header>>,
) -> SweepOutcome {
    let condemned = condemn(space, weak, doomed);
    finish(space, doomed, condemned)
}

/// Phase 1a: flags every unmarked object dead and empties its weak slot. No user code runs
/// here and nothing is dropped or freed, so every object is still intact afterwards (the
/// finalizers run between this and [`finish`]). Survivors stay in the list (their mark
/// cleared); the newly dead go to `doomed`, earlier zombies to the returned list, so phase 2
/// visits only dead objects and each live header is touched once. Objects allocated before
/// `finish` join a fresh list in the space.
pub(crate) fn condemn(
    space: &RefCell<ObjectSpace>,
    weak: &RefCell<WeakTable>,
    doomed: &mut Vec<NonNull<Header>>,
) -> Condemned {
    let mut survivors = space.borrow_mut().take_objects();
    doomed.clear();
    let mut zombies = Vec::new();
    let mut weak = weak.borrow_mut();
    survivors.retain(|&object| {
        // SAFETY: every object of the space is allocated.
        let header = unsafe { object.as_ref() };
        if header.has(MARKED) {
            header.clear(MARKED);
            return true;
        }
        if header.is_dead() {
            zombies.push(object);
            return false;
        }
        header.set(DEAD);
        if header.has(WEAK) {
            weak.invalidate(object);
            header.clear(WEAK);
        }
        doomed.push(object);
        false
    });
    Condemned { survivors, zombies }
}

/// Phase 1b and 2: drops the values of `doomed` (destructors run here and may do anything safe
/// code can, including allocating, dropping handles and resurrecting them), then frees the
/// dead objects nobody holds and keeps resurrected ones as zombies.
pub(crate) fn finish(
    space: &RefCell<ObjectSpace>,
    doomed: &mut Vec<NonNull<Header>>,
    condemned: Condemned,
) -> SweepOutcome {
    let Condemned {
        mut survivors,
        zombies,
    } = condemned;
    let mut outcome = SweepOutcome {
        objects_freed: doomed.len(),
        ..SweepOutcome::default()
    };

    // Phase 1b: drop the dead values.
    for &object in doomed.iter() {
        // SAFETY: a condemned object is allocated until phase 2 and its value not yet dropped.
        let header = unsafe { object.as_ref() };
        header.set(VALUE_DROPPED);
        if !header.vtable.needs_drop {
            continue;
        }
        let drop_value = header.vtable.drop_value;
        // SAFETY: the value is initialised and dropped exactly once (VALUE_DROPPED is set only
        // here, and dead objects are never condemned again).
        let result = catch_unwind(AssertUnwindSafe(|| unsafe { drop_value(object) }));
        if let Err(payload) = result {
            outcome.destructor_panics += 1;
            outcome.first_panic.get_or_insert(payload);
        }
    }

    // Phase 2: free the dead objects nobody holds; keep resurrected ones as zombies.
    let mut space_mut = space.borrow_mut();
    for object in doomed.drain(..).chain(zombies) {
        // SAFETY: still allocated: only this loop frees, once per object.
        let header = unsafe { object.as_ref() };
        if header.handles() > 0 {
            outcome.zombies += 1;
            // SAFETY: allocated (kept), and the vtable matches the allocation.
            outcome.zombie_bytes += unsafe { (header.vtable.layout)(object) }.layout.size();
            survivors.push(object);
            continue;
        }
        // SAFETY: dead (value dropped now or in an earlier cycle), no handle names it, and it
        // is in no list any more.
        outcome.bytes_freed += unsafe { space_mut.free(object) };
    }
    space_mut.restore(survivors);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::{GcBox, SizedVTable};
    use std::alloc::Layout;

    fn object(space: &mut ObjectSpace, value: u64, handles: u32) -> NonNull<Header> {
        let layout = Layout::new::<GcBox<u64>>();
        let ptr = space.allocate(layout).cast::<GcBox<u64>>();
        let header = Header::new(SizedVTable::<u64>::VTABLE, 0);
        // SAFETY: fresh memory of the right layout.
        unsafe {
            ptr.as_ptr().write(GcBox { header, value });
        }
        let header = ptr.cast::<Header>();
        // SAFETY: just initialised.
        let h = unsafe { header.as_ref() };
        h.dec_handles();
        for _ in 0..handles {
            h.inc_handles();
        }
        space.insert(header, layout.size());
        header
    }

    #[test]
    fn unmarked_objects_are_freed_and_marked_ones_kept_unmarked() {
        let space = RefCell::new(ObjectSpace::default());
        let weak = RefCell::new(WeakTable::default());
        let (kept, gone) = {
            let mut s = space.borrow_mut();
            (object(&mut s, 1, 0), object(&mut s, 2, 0))
        };
        // SAFETY: allocated above.
        unsafe { kept.as_ref() }.set(MARKED);
        let out = sweep(&space, &weak, &mut Vec::new());
        assert_eq!(out.objects_freed, 1);
        assert_eq!(out.zombies, 0);
        assert_eq!(out.bytes_freed, Layout::new::<GcBox<u64>>().size());
        let s = space.borrow();
        assert_eq!(s.objects(), &[kept]);
        assert!(!s.objects().contains(&gone));
        // SAFETY: still allocated.
        assert!(!unsafe { kept.as_ref() }.has(MARKED));
        drop(s);
        // Clean up: an unmarked, unheld object goes on the next sweep.
        let out = sweep(&space, &weak, &mut Vec::new());
        assert_eq!(out.objects_freed, 1);
        assert!(space.borrow().objects().is_empty());
    }

    #[test]
    fn a_held_dead_object_becomes_a_zombie_until_its_count_drops() {
        let space = RefCell::new(ObjectSpace::default());
        let weak = RefCell::new(WeakTable::default());
        let zombie = object(&mut space.borrow_mut(), 3, 1);
        let out = sweep(&space, &weak, &mut Vec::new());
        assert_eq!((out.objects_freed, out.zombies, out.bytes_freed), (1, 1, 0));
        // SAFETY: kept as a zombie.
        let header = unsafe { zombie.as_ref() };
        assert!(header.is_dead());
        header.dec_handles();
        let out = sweep(&space, &weak, &mut Vec::new());
        assert_eq!((out.objects_freed, out.zombies), (0, 0));
        assert!(out.bytes_freed > 0);
        assert!(space.borrow().objects().is_empty());
    }
}
