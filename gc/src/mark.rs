//! Mark: everything reachable from the roots, iteratively.
//!
//! The gray set is an explicit stack owned by the heap's [`Tracer`] and reused from cycle to
//! cycle, so marking a 10-million-node list uses no native stack and, after the first cycle,
//! no allocation.

use crate::trace::{TraceMode, Tracer};

/// Traces every object on the stack (each already marked), pushing the unmarked objects it
/// reaches, until the stack is empty. Returns how many objects were traced: the roots plus
/// every object reached from them.
pub(crate) fn mark(tracer: &mut Tracer) -> usize {
    tracer.mode = TraceMode::Mark;
    let mut marked = 0;
    while let Some(object) = tracer.stack.pop() {
        marked += 1;
        // SAFETY: only live objects of this heap are pushed (roots, or targets of handles
        // found in marked objects), so the header is allocated and the value initialised.
        let header = unsafe { object.as_ref() };
        if header.vtable.needs_trace {
            // SAFETY: as above.
            unsafe { (header.vtable.trace)(object, tracer) };
        }
    }
    marked
}
