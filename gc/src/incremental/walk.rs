//! The two walks of an incremental cycle's root discovery, one chunk at a time: counting the
//! handles found inside the heap, then checking which objects have more handles than that.

use std::ptr::NonNull;

use super::{Marking, Stage};
use crate::alloc::ObjectSpace;
use crate::header::{Header, DEAD, MARKED};
use crate::trace::{TraceMode, Tracer};

/// Walks the next page (or large object) of the current walk: counting, or checking.
/// Returns the objects it looked at.
pub(super) fn walk_some(m: &mut Marking, space: &ObjectSpace, tracer: &mut Tracer) -> usize {
    let mut walked = 0;
    let mut visit = |object: NonNull<Header>, m: &mut Marking, tracer: &mut Tracer| {
        walked += 1;
        // SAFETY: every object of the space is allocated.
        let header = unsafe { object.as_ref() };
        match m.stage {
            Stage::Count => count_one(header, object, m.epoch, tracer),
            Stage::Check => {
                if check_one(header) {
                    tracer.stack.push(object);
                    m.roots += 1;
                }
            }
            Stage::Mark => unreachable!("walks end before the mark"),
        }
    };
    if m.page < m.pages_at_start {
        let page = space.page(m.page);
        let (from, chunk) = (m.slot, m.chunk);
        let next = page.for_each_object_from(from, chunk, |_, object| visit(object, m, tracer));
        if next >= page.slots() {
            m.page += 1;
            m.slot = 0;
        } else {
            m.slot = next;
        }
    } else if m.large < m.large_at_start {
        let object = space.large_at(m.large);
        m.large += 1;
        visit(object, m, tracer);
    }
    walked
}

/// Moves to the next walk when the current one is over.
pub(super) fn advance(m: &mut Marking) {
    if m.page >= m.pages_at_start && m.large >= m.large_at_start {
        m.page = 0;
        m.slot = 0;
        m.large = 0;
        m.stage = match m.stage {
            Stage::Count => Stage::Check,
            Stage::Check | Stage::Mark => Stage::Mark,
        };
    }
}

/// Counting: traces an object that is neither dead nor marked, adding one to the internal
/// count of each object of this heap it holds a handle to (cells written during the cycle
/// are skipped: rule 11).
fn count_one(header: &Header, object: NonNull<Header>, epoch: u32, tracer: &mut Tracer) {
    if header.has(DEAD | MARKED) || !header.vtable().needs_trace {
        return;
    }
    tracer.mode = TraceMode::Count;
    tracer.epoch = Some(epoch);
    // SAFETY: live (not dead), so its value is initialised and not dropped.
    unsafe { (header.vtable().trace)(object, tracer) };
    tracer.epoch = None;
}

/// Checking: an unmarked live object with more handles than internal references is a root
/// (marked; the caller pushes it). Clears the internal count either way.
fn check_one(header: &Header) -> bool {
    if header.has(DEAD) {
        return false;
    }
    let root = !header.has(MARKED) && header.handles() > header.internal();
    if root {
        header.set(MARKED);
    }
    header.reset_internal();
    root
}
