//! Root discovery: which objects are held from outside the heap.
//!
//! No rooting discipline is asked of the user. Instead every handle counts itself in its
//! object's header, wherever the handle lives. This phase traces every live object once and
//! counts, per target, the handles found *inside* this heap's objects. An object with more
//! handles than internal references is held from somewhere else (a local variable, a host
//! struct, a pool, another heap's object): it is a root. This is the design boa_gc moved to
//! (boa-dev/boa#3109) and dumpster uses; its cost is one trace of every object per cycle,
//! live or dead, which is what a young generation or an incremental scheme would cut.

use std::ptr::NonNull;

use crate::header::{Header, MARKED};
use crate::trace::{TraceMode, Tracer};

/// Counts the internal references of every object, then marks each root and pushes it on the
/// tracer's stack. Leaves every internal count at zero. Returns the number of roots.
///
/// Dead objects (values dropped, memory kept for a resurrected handle) are neither traced nor
/// counted: they hold no handles and can never be roots again.
pub(crate) fn discover_roots(objects: &[NonNull<Header>], tracer: &mut Tracer) -> usize {
    tracer.mode = TraceMode::Count;
    for &object in objects {
        // SAFETY: every object in the space is allocated.
        let header = unsafe { object.as_ref() };
        if header.is_dead() || !header.vtable.needs_trace {
            continue;
        }
        // SAFETY: the object is live, so its value is initialised and not dropped.
        unsafe { (header.vtable.trace)(object, tracer) };
    }
    let mut roots = 0;
    for &object in objects {
        // SAFETY: as above.
        let header = unsafe { object.as_ref() };
        if header.is_dead() {
            continue;
        }
        if header.handles() > header.internal() {
            header.set(MARKED);
            tracer.stack.push(object);
            roots += 1;
        }
        header.reset_internal();
    }
    roots
}
