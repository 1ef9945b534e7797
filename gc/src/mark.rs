//! Mark: everything reachable from the roots, iteratively.
//!
//! The gray set is an explicit stack owned by the heap's [`Tracer`] and reused from cycle to
//! cycle, so marking a 10-million-node list uses no native stack and, after the first cycle,
//! no allocation.

use std::ptr::NonNull;
use std::time::Instant;

use crate::header::Header;
use crate::trace::{TraceMode, Tracer};

/// Traces every object on the stack (each already marked), pushing the unmarked objects it
/// reaches, until the stack is empty. Returns how many objects were traced: the roots plus
/// every object reached from them.
pub(crate) fn mark(tracer: &mut Tracer) -> usize {
    tracer.mode = TraceMode::Mark;
    let mut marked = 0;
    while let Some(object) = tracer.stack.pop() {
        marked += 1;
        mark_one(tracer, object);
    }
    marked
}

/// As [`mark`], but gives up at `deadline` (the clock is read every 256 objects): `None`
/// when it stopped with objects left on the stack, which the caller must then deal with.
pub(crate) fn mark_until(tracer: &mut Tracer, deadline: Instant) -> Option<usize> {
    const CLOCK_EVERY: usize = 256;
    tracer.mode = TraceMode::Mark;
    let mut marked = 0;
    while let Some(object) = tracer.stack.pop() {
        marked += 1;
        mark_one(tracer, object);
        if marked % CLOCK_EVERY == 0 && !tracer.stack.is_empty() && Instant::now() >= deadline {
            return None;
        }
    }
    Some(marked)
}

/// Traces one object taken off the stack (already marked), in `Mark` mode, pushing the
/// unmarked objects it reaches, and adds its bytes to `marked_bytes`.
#[inline]
pub(crate) fn mark_one(tracer: &mut Tracer, object: NonNull<Header>) {
    // SAFETY: only live objects of this heap are pushed (roots, targets of handles found in
    // marked objects, or objects a barrier greyed through a live handle), so the header is
    // allocated and the value initialised.
    tracer.marked_bytes += unsafe { Header::footprint(object) };
    // SAFETY: as above.
    let header = unsafe { object.as_ref() };
    if header.vtable().needs_trace {
        // SAFETY: as above.
        unsafe { (header.vtable().trace)(object, tracer) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::MARKED;
    use crate::roots::discover_roots;
    use crate::{Config, Gc, GcCell, Heap};

    struct Link(Option<Gc<Link>>);

    // SAFETY: visits its one handle once.
    unsafe impl crate::Trace for Link {
        fn trace(&self, t: &mut Tracer) {
            self.0.trace(t);
        }
    }

    #[test]
    fn mark_reaches_a_long_chain_from_its_root_without_recursion() {
        // Stop-the-world whatever the environment says: an incremental cycle started by the
        // allocations below would leave objects marked (born black) before this mark runs.
        let heap = Heap::with_config(Config {
            torture: false,
            incremental: false,
            ..Config::default()
        });
        let mut head: Option<Gc<Link>> = None;
        for _ in 0..200_000u32 {
            head = Some(heap.alloc(Link(head.take())));
        }
        let garbage = heap.alloc(GcCell::new(5u8));
        drop(garbage);
        // Claimed slots hold no objects yet: give them back before walking the bitmaps.
        heap.flush_slot_caches();
        let space = heap.space.borrow();
        let mut tracer = Tracer::new(heap.id);
        assert_eq!(discover_roots(&space, &mut tracer), 1);
        assert_eq!(mark(&mut tracer), 200_000);
        let mut unmarked = 0;
        space.for_each_object(|object| {
            // SAFETY: objects of the space are allocated.
            let header = unsafe { object.as_ref() };
            unmarked += usize::from(!header.has(MARKED));
            header.clear(MARKED);
        });
        assert_eq!(unmarked, 1, "only the garbage cell is left white");
        drop(space);
        drop(head);
    }

    #[test]
    fn a_mark_until_a_deadline_gives_up_only_with_work_left() {
        let heap = Heap::with_config(Config {
            torture: false,
            incremental: false,
            ..Config::default()
        });
        let mut head: Option<Gc<Link>> = None;
        for _ in 0..1_000u32 {
            head = Some(heap.alloc(Link(head.take())));
        }
        heap.flush_slot_caches();
        let space = heap.space.borrow();
        for (deadline, expected) in [
            (Instant::now(), None),
            (
                Instant::now() + std::time::Duration::from_secs(3600),
                Some(1_000),
            ),
        ] {
            let mut tracer = Tracer::new(heap.id);
            assert_eq!(discover_roots(&space, &mut tracer), 1);
            assert_eq!(mark_until(&mut tracer, deadline), expected);
            assert_eq!(tracer.stack.is_empty(), expected.is_some());
            space.for_each_object(|object| {
                // SAFETY: objects of the space are allocated.
                let header = unsafe { object.as_ref() };
                header.clear(MARKED);
                header.reset_internal();
            });
        }
        drop(space);
        drop(head);
    }
}
