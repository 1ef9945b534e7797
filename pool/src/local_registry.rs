//! Each thread's registry of its [`LocalPool`](crate::LocalPool)s, which a drain on that
//! thread visits. It holds weak references: a dropped local pool leaves it.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Weak;

/// A pool as this thread's registry sees it.
pub(crate) trait LocalDrainable {
    /// Applies the drain policy; pushes what must be dropped onto `sink`; returns its count.
    /// Runs no user code.
    fn detach(&self, sink: &mut Vec<Box<dyn Any>>) -> usize;
}

struct LocalRegistry {
    slots: Vec<Option<Weak<dyn LocalDrainable>>>,
    free: Vec<usize>,
}

thread_local! {
    static LOCALS: RefCell<LocalRegistry> =
        const { RefCell::new(LocalRegistry { slots: Vec::new(), free: Vec::new() }) };
}

/// Registers a local pool in this thread's registry; `usize::MAX` during thread exit.
pub(crate) fn register(pool: Weak<dyn LocalDrainable>) -> usize {
    LOCALS
        .try_with(|reg| {
            let mut reg = reg.borrow_mut();
            match reg.free.pop() {
                Some(slot) => {
                    reg.slots[slot] = Some(pool);
                    slot
                }
                None => {
                    reg.slots.push(Some(pool));
                    reg.slots.len() - 1
                }
            }
        })
        .unwrap_or(usize::MAX)
}

pub(crate) fn unregister(slot: usize) {
    let _ = LOCALS.try_with(|reg| {
        // Never contended: no registry borrow is held while user code runs.
        if let Ok(mut reg) = reg.try_borrow_mut() {
            if let Some(entry) = reg.slots.get_mut(slot) {
                if entry.take().is_some() {
                    reg.free.push(slot);
                }
            }
        }
    });
}

/// Detaches every live local pool of the calling thread. Returns (pools, values to drop).
pub(crate) fn detach_locals(sink: &mut Vec<Box<dyn Any>>) -> (usize, usize) {
    LOCALS
        .try_with(|reg| {
            let reg = reg.borrow();
            let (mut pools, mut items) = (0, 0);
            for pool in reg.slots.iter().flatten().filter_map(Weak::upgrade) {
                pools += 1;
                items += pool.detach(sink);
            }
            (pools, items)
        })
        .unwrap_or((0, 0))
}

/// How many local pools this thread has registered.
pub(crate) fn registered_locals() -> usize {
    LOCALS
        .try_with(|reg| reg.borrow().slots.iter().flatten().count())
        .unwrap_or(0)
}
