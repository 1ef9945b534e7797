//! Sweep: drop what the mark did not reach, then free what no handle names.
//!
//! Three steps, so that no destructor can touch freed memory:
//!
//! 1. [`condemn_page`] / [`condemn_large`]: every unmarked object is flagged dead (and its
//!    weak slot emptied); survivors lose their mark bit. Nothing is dropped yet.
//! 2. [`drop_values`]: the newly dead values are dropped, each under `catch_unwind`, with no
//!    borrow of the space held (destructors may allocate). A handle dropped here decrements its
//!    target's count normally: every target is still allocated. A destructor that dereferences
//!    or clones a handle to a dead object panics (the flag is checked in release builds too).
//! 3. [`free_dead`]: a dead object whose handle count is zero is freed. One whose count is
//!    still above zero is kept as a *zombie* (value gone, never traced again): a destructor
//!    resurrected a handle to it, or, in a lazy sweep, a dead object of a page not swept yet
//!    still holds one. A later sweep frees it once the count is zero.
//!
//! An eager sweep (`collect()`) runs step 1 on the whole heap, then the finalizers, then steps
//! 2 and 3 page by page, last page first ([`free_unnamed`]): a page's dead objects that no
//! handle names once its values are dropped are freed at once (nothing can reach them, so no
//! destructor run later can), and the others wait until every value is dropped, when
//! [`free_dead`] frees them or keeps them as zombies; so the heap is exact afterwards. Last
//! page first because structures are built bottom-up: a parent usually sits at a higher
//! address than its children, and dropping it first brings their counts to zero before their
//! page is reached (one pass over each page, where dropping everything before freeing
//! anything walked each page twice). It lists no dead small object for the whole heap: step
//! 1 only flags them and notes which pages hold any, and steps 2 and 3 find them again page
//! by page (a list as long as a page at most, where a list of every dead object would cost 8
//! bytes per dead object, allocated inside the pause).
//! A lazy sweep (`lazy.rs`) runs the three steps one page at a time.
//!
//! Why freeing only at count zero makes lazy sweeping safe: the hazard of any lazy or
//! deferred sweep is a freed slot reused by a new object while a dead object not yet swept still holds a handle to
//! that slot, whose later drop would decrement the new occupant. Every handle a dead object
//! holds is counted in its target, so a target some unswept dead object still points to has a
//! non-zero count and is not freed; its slot cannot be reused until that handle is dropped.
//! No count is ever adjusted behind a handle's back, so a destructor that moves a handle out
//! (resurrection) stays sound too. The price is that such a target waits as a zombie for its
//! page's next sweep; with pages swept in address order that is rare (a parent allocated after
//! its children is swept after them only across page boundaries).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::alloc::ObjectSpace;
use crate::header::{Header, DEAD, MARKED, VALUE_DROPPED, WEAK, ZOMBIE};
use crate::weak::WeakTable;

/// A dead object the sweep is handling. Only its header is kept (8 bytes an entry: an eager
/// sweep of a large heap lists every dead object): its page and slot are found again from
/// its address when it is freed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Doomed {
    pub(crate) header: NonNull<Header>,
}

/// What a sweep did.
#[derive(Default)]
pub(crate) struct SweepOutcome {
    /// Objects newly found dead (their values dropped).
    pub(crate) objects_freed: usize,
    pub(crate) bytes_freed: usize,
    pub(crate) destructor_panics: usize,
    /// The first destructor panic, resumed by the caller once the sweep is complete.
    pub(crate) first_panic: Option<Box<dyn Any + Send>>,
}

/// Flags one object found by a sweep: survivors lose their mark, the unmarked become dead.
/// Returns whether the object goes to the doomed list.
#[inline]
fn condemn_one(header: &Header, weak: &mut WeakTable, object: NonNull<Header>) -> bool {
    if header.has(MARKED) {
        header.clear(MARKED);
        return false;
    }
    if header.is_dead() {
        // Dead in an earlier cycle (or earlier in this one): a zombie to check again.
        return true;
    }
    header.set(DEAD);
    if header.has(WEAK) {
        weak.invalidate(object);
        header.clear(WEAK);
    }
    true
}

/// Step 1 for page `page`: flags its unmarked objects dead and pushes every dead object of
/// the page onto `doomed`. No user code runs.
pub(crate) fn condemn_page(
    space: &ObjectSpace,
    page: u32,
    weak: &mut WeakTable,
    doomed: &mut Vec<Doomed>,
) {
    debug_assert!(space.walkable(), "sweeping with slot caches not flushed");
    space.page(page).for_each_object(|_, object| {
        // SAFETY: a taken slot holds an object (its header initialised at allocation).
        let header = unsafe { object.as_ref() };
        if condemn_one(header, weak, object) {
            doomed.push(Doomed { header: object });
        }
    });
}

/// Step 1 of an eager sweep for page `page`: flags its unmarked objects dead, listing
/// nothing (the later steps find them again in the page). Returns whether the page holds a
/// dead object. No user code runs.
pub(crate) fn condemn_page_in_place(space: &ObjectSpace, page: u32, weak: &mut WeakTable) -> bool {
    debug_assert!(space.walkable(), "sweeping with slot caches not flushed");
    let mut any = false;
    space.page(page).for_each_object(|_, object| {
        // SAFETY: a taken slot holds an object (its header initialised at allocation).
        let header = unsafe { object.as_ref() };
        any |= condemn_one(header, weak, object);
    });
    any
}

/// Lists the dead objects of page `page` (all of them with `undropped_only` false, else only
/// those whose value is not dropped yet) into `out`, for an eager sweep's later steps.
pub(crate) fn list_dead(
    space: &ObjectSpace,
    page: u32,
    undropped_only: bool,
    out: &mut Vec<Doomed>,
) {
    debug_assert!(space.walkable(), "sweeping with slot caches not flushed");
    space.page(page).for_each_object(|_, object| {
        // SAFETY: a taken slot holds an object (its header initialised at allocation).
        let header = unsafe { object.as_ref() };
        if header.is_dead() && !(undropped_only && header.has(VALUE_DROPPED)) {
            out.push(Doomed { header: object });
        }
    });
}

/// Step 1 for the large objects: the dead ones leave the list for `doomed` (zombies come back
/// in [`free_dead`]).
pub(crate) fn condemn_large(
    space: &mut ObjectSpace,
    weak: &mut WeakTable,
    doomed: &mut Vec<Doomed>,
) {
    let mut large = space.take_large();
    large.retain(|&object| {
        // SAFETY: every listed large object is allocated.
        let header = unsafe { object.as_ref() };
        if condemn_one(header, weak, object) {
            doomed.push(Doomed { header: object });
            false
        } else {
            true
        }
    });
    space.restore_large(large);
}

/// Step 2: drops the values of the newly dead objects in `doomed` (destructors run here and
/// may do anything safe code can, including allocating, dropping handles and resurrecting
/// them). The caller holds no borrow of the space.
pub(crate) fn drop_values(doomed: &[Doomed], outcome: &mut SweepOutcome) {
    for entry in doomed {
        // SAFETY: a doomed object stays allocated until step 3.
        let header = unsafe { entry.header.as_ref() };
        if header.has(VALUE_DROPPED) {
            continue; // a zombie of an earlier sweep
        }
        header.set(VALUE_DROPPED);
        outcome.objects_freed += 1;
        if !header.vtable().needs_drop {
            continue;
        }
        let drop_value = header.vtable().drop_value;
        let object = entry.header;
        // SAFETY: the value is initialised and dropped exactly once (VALUE_DROPPED is set only
        // here, right before).
        let result = catch_unwind(AssertUnwindSafe(|| unsafe { drop_value(object) }));
        if let Err(payload) = result {
            outcome.destructor_panics += 1;
            outcome.first_panic.get_or_insert(payload);
        }
    }
}

/// Step 3 of an eager sweep for one page, while other pages' values are still to be dropped:
/// frees the dead small objects of `doomed` that no handle names (nothing can reach them, so
/// no destructor run later can either: rule 5), and moves the others to `pending`, for
/// [`free_dead`] once every value is dropped.
pub(crate) fn free_unnamed(
    space: &mut ObjectSpace,
    doomed: &mut Vec<Doomed>,
    pending: &mut Vec<Doomed>,
    outcome: &mut SweepOutcome,
) {
    free_each(space, doomed, Some(pending), outcome);
}

/// Step 3: frees the dead objects of `doomed` that no handle names; keeps the others as
/// zombies (large ones go back to the list).
pub(crate) fn free_dead(
    space: &mut ObjectSpace,
    doomed: &mut Vec<Doomed>,
    outcome: &mut SweepOutcome,
) {
    space.note_peak();
    free_each(space, doomed, None, outcome);
}

/// Frees each dead object of `doomed` that no handle names; one still named goes to
/// `pending` when given, else becomes (or stays) a zombie.
fn free_each(
    space: &mut ObjectSpace,
    doomed: &mut Vec<Doomed>,
    mut pending: Option<&mut Vec<Doomed>>,
    outcome: &mut SweepOutcome,
) {
    for entry in doomed.drain(..) {
        let object = entry.header;
        // SAFETY: still allocated: only this loop frees, once per object.
        let header = unsafe { object.as_ref() };
        if header.handles() > 0 {
            if let Some(pending) = pending.as_deref_mut() {
                pending.push(entry);
                continue;
            }
            if !header.has(ZOMBIE) {
                header.set(ZOMBIE);
                space.zombies += 1;
                // SAFETY: allocated, and the vtable matches the allocation.
                space.zombie_bytes += unsafe { Header::footprint(object) };
            }
            if header.class().is_none() {
                space.insert_large(object);
            }
            continue;
        }
        if header.has(ZOMBIE) {
            space.zombies -= 1;
            // SAFETY: as above.
            space.zombie_bytes -= unsafe { Header::footprint(object) };
        }
        // SAFETY (closure): an object with a size class lives in a page of this space.
        let place = header.class().map(|_| unsafe { space.locate(object) });
        // SAFETY: dead (value dropped now or in an earlier sweep), no handle names it, and it
        // is in no list any more.
        outcome.bytes_freed += unsafe { space.free(object, place) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Heap};

    fn heap() -> Heap {
        Heap::with_config(Config {
            torture: false,
            young_bytes: 0,
            ..Config::default()
        })
    }

    /// Runs the three steps on page 0 and returns what they did.
    fn sweep_first_page(heap: &Heap) -> SweepOutcome {
        // Claimed slots hold no objects yet: give them back before walking the bitmap.
        heap.flush_slot_caches();
        let mut doomed = Vec::new();
        condemn_page(
            &heap.space.borrow(),
            0,
            &mut heap.weak.borrow_mut(),
            &mut doomed,
        );
        let mut outcome = SweepOutcome::default();
        drop_values(&doomed, &mut outcome);
        free_dead(&mut heap.space.borrow_mut(), &mut doomed, &mut outcome);
        assert!(doomed.is_empty());
        heap.objects.set(heap.objects.get() - outcome.objects_freed);
        outcome
    }

    #[test]
    fn unmarked_objects_are_freed_and_marked_ones_kept_unmarked() {
        let heap = heap();
        let kept = heap.alloc(1u64);
        drop(heap.alloc(2u64));
        kept.header().set(MARKED);
        let out = sweep_first_page(&heap);
        assert_eq!((out.objects_freed, out.bytes_freed), (1, 24));
        assert!(!kept.header().has(MARKED));
        assert_eq!(*kept, 1);
        heap.verify();
    }

    #[test]
    fn a_dead_object_still_held_is_a_zombie_until_its_count_drops() {
        let heap = heap();
        let held = heap.alloc(3u64);
        let out = sweep_first_page(&heap);
        assert_eq!((out.objects_freed, out.bytes_freed), (1, 0));
        assert!(held.header().is_dead() && held.header().has(ZOMBIE));
        assert_eq!(heap.space.borrow().zombies, 1);
        heap.verify();
        drop(held);
        let out = sweep_first_page(&heap);
        assert_eq!((out.objects_freed, out.bytes_freed), (0, 24));
        assert_eq!(heap.space.borrow().zombies, 0);
        assert_eq!(heap.stats().bytes, 0);
        heap.verify();
    }
}
