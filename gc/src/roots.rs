//! Root discovery: which objects are held from outside the heap.
//!
//! No rooting discipline is asked of the user. Instead every handle counts itself in its
//! object's header, wherever the handle lives. This phase traces every live object once and
//! counts, per target, the handles found *inside* this heap's objects. An object with more
//! handles than internal references is held from somewhere else (a local variable, a host
//! struct, a pool, another heap's object): it is a root. This is the design boa_gc moved to
//! (boa-dev/boa#3109) and dumpster uses; its cost is one trace of every object per cycle,
//! live or dead; young cycles (`young.rs`) run the same two passes over the young list only.

use std::ptr::NonNull;
use std::time::Instant;

use crate::alloc::ObjectSpace;
use crate::header::{Header, DEAD, MARKED, OLD, VISITED};
use crate::prefetch::{prefetch_read, DISTANCE};
use crate::trace::{TraceMode, Tracer};

/// Counts the internal references of every object, then marks each root and pushes it on the
/// tracer's stack. Leaves every internal count at zero. Returns the number of roots.
///
/// Dead objects (values dropped, memory kept for a resurrected handle) are neither traced nor
/// counted: they hold no handles and can never be roots again.
pub(crate) fn discover_roots(space: &ObjectSpace, tracer: &mut Tracer) -> usize {
    tracer.mode = TraceMode::Count;
    space.for_each_object(|object| {
        // SAFETY: every object in the space is allocated.
        let header = unsafe { object.as_ref() };
        if header.has(DEAD) || !header.vtable().needs_trace {
            return;
        }
        // SAFETY: the object is live and built, so its value is initialised and not dropped.
        unsafe { (header.vtable().trace)(object, tracer) };
    });
    let mut roots = 0;
    space.for_each_object(|object| {
        // SAFETY: as above.
        let header = unsafe { object.as_ref() };
        if header.has(DEAD) {
            return;
        }
        if header.handles() > header.internal() {
            header.set(MARKED);
            tracer.stack.push(object);
            roots += 1;
        }
        // Everything a full cycle sees is old from now on (the young list is emptied).
        header.reset_internal_and_age();
    });
    roots
}

/// Root discovery of a young cycle: like [`discover_roots`] over `young` only, counting only
/// edges between young objects (the tracer's `young_only`). A young object held by an old
/// one, from outside, or from another heap has more handles than young internal references,
/// so it is a root, and is promoted at once (flag `OLD`: a young cycle's mark promotes what
/// it reaches). Leaves every young internal count at zero.
///
/// With a `deadline` (the clock is read every 256 objects), gives up when it passes: `None`,
/// with some counts and flags left as they were, for the caller to promote the whole list
/// as it stands (`Heap::promote_unexamined`, which resets them).
pub(crate) fn discover_young_roots(
    young: &[NonNull<Header>],
    tracer: &mut Tracer,
    deadline: Option<Instant>,
) -> Option<usize> {
    const CLOCK_EVERY: usize = 256;
    let out_of_time = |i: usize| {
        i % CLOCK_EVERY == CLOCK_EVERY - 1 && deadline.is_some_and(|d| Instant::now() >= d)
    };
    tracer.mode = TraceMode::Count;
    for (i, &object) in young.iter().enumerate() {
        if let Some(&ahead) = young.get(i + DISTANCE) {
            prefetch_read(ahead.as_ptr());
        }
        if out_of_time(i) {
            return None;
        }
        // SAFETY: the young list holds allocated objects of this heap.
        let header = unsafe { object.as_ref() };
        if header.has(DEAD) || !header.vtable().needs_trace {
            continue;
        }
        // SAFETY: live and built: the value is initialised.
        unsafe { (header.vtable().trace)(object, tracer) };
    }
    let mut roots = 0;
    for (i, &object) in young.iter().enumerate() {
        if let Some(&ahead) = young.get(i + DISTANCE) {
            prefetch_read(ahead.as_ptr());
        }
        if out_of_time(i) {
            return None;
        }
        // SAFETY: as above.
        let header = unsafe { object.as_ref() };
        // The release walk flagged every entry it kept.
        header.clear(VISITED);
        if header.has(DEAD) {
            continue;
        }
        if header.handles() > header.internal() {
            header.set(OLD);
            tracer.stack.push(object);
            roots += 1;
        }
        header.reset_internal();
    }
    Some(roots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Heap};

    fn heap() -> Heap {
        Heap::with_config(Config {
            torture: false,
            ..Config::default()
        })
    }

    /// Runs root discovery alone and returns the roots, leaving the heap clean.
    fn roots_of(heap: &Heap) -> Vec<NonNull<Header>> {
        // Claimed slots hold no objects yet: give them back before walking the bitmaps.
        heap.flush_slot_caches();
        let space = heap.space.borrow();
        let mut tracer = Tracer::new(heap.id);
        let found = discover_roots(&space, &mut tracer);
        assert_eq!(found, tracer.stack.len());
        space.for_each_object(|object| {
            // SAFETY: objects of the space are allocated.
            let header = unsafe { object.as_ref() };
            assert_eq!(header.internal(), 0, "internal counts are reset");
            assert_eq!(
                header.has(MARKED),
                tracer.stack.contains(&object),
                "only roots are marked"
            );
            header.clear(MARKED);
        });
        tracer.stack
    }

    #[test]
    fn young_root_discovery_gives_up_at_its_deadline_and_not_before() {
        let heap = Heap::with_config(Config {
            torture: false,
            incremental: false,
            young_bytes: 64 << 20,
            min_heap_bytes: 64 << 20,
            ..Config::default()
        });
        let kept: Vec<_> = (0..1_000u64).map(|i| heap.alloc(i)).collect();
        heap.flush_slot_caches();
        let young = heap.young.borrow().clone();
        assert_eq!(young.len(), 1_000);
        let mut tracer = Tracer::new(heap.id);
        tracer.young_only = true;
        let past = Some(Instant::now());
        assert_eq!(discover_young_roots(&young, &mut tracer, past), None);
        let clean = |tracer: &mut Tracer| {
            tracer.stack.clear();
            for &object in &young {
                // SAFETY: young objects are allocated.
                let header = unsafe { object.as_ref() };
                header.reset_internal();
                header.clear(OLD | MARKED);
            }
        };
        clean(&mut tracer);
        let far = Some(Instant::now() + std::time::Duration::from_secs(3600));
        assert_eq!(discover_young_roots(&young, &mut tracer, far), Some(1_000));
        assert_eq!(discover_young_roots(&[], &mut tracer, past), Some(0));
        clean(&mut tracer);
        assert!(kept.iter().zip(0..).all(|(v, i)| **v == i));
    }

    #[test]
    fn objects_held_only_from_inside_the_heap_are_not_roots() {
        let heap = heap();
        let leaf = heap.alloc(1u32);
        let holder = heap.alloc(vec![leaf.clone(), leaf.clone()]);
        drop(leaf);
        assert_eq!(roots_of(&heap), [holder.header_ptr()]);
    }

    #[test]
    fn one_outside_handle_beside_internal_ones_makes_a_root() {
        let heap = heap();
        let leaf = heap.alloc(1u32);
        let _holder = heap.alloc(vec![leaf.clone(), leaf.clone()]);
        let roots = roots_of(&heap);
        assert_eq!(roots.len(), 2);
        assert!(roots.contains(&leaf.header_ptr()));
    }

    #[test]
    fn unreferenced_objects_are_neither_roots_nor_counted() {
        let heap = heap();
        drop(heap.alloc(vec![heap.alloc(1u8)]));
        assert!(roots_of(&heap).is_empty());
    }

    #[test]
    fn handles_into_another_heap_are_not_counted() {
        let (a, b) = (heap(), heap());
        let in_a = a.alloc(1u8);
        let _in_b = b.alloc(vec![in_a.clone()]);
        drop(in_a.clone());
        // Heap A sees one handle and no internal reference: a root.
        assert_eq!(roots_of(&a), [in_a.header_ptr()]);
    }
}
