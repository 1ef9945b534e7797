//! A value that moves its handle out of the heap when the collector drops it: a destructor
//! "resurrecting" a handle to a dying object (allowed through a manual `Trace` impl only; the
//! derive refuses `Drop`). What it moves out waits in a thread-local list, by type.

use std::any::Any;
use std::cell::RefCell;

use prologue_gc::{Trace, Tracer};

thread_local! {
    static MOVED_OUT: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Holds `target`; its destructor moves it to the thread's list.
pub struct Resurrector<T: 'static> {
    pub target: Option<T>,
}

// SAFETY: visits its one traced field once.
unsafe impl<T: Trace + 'static> Trace for Resurrector<T> {
    fn trace(&self, t: &mut Tracer) {
        self.target.trace(t);
    }
}

impl<T: 'static> Drop for Resurrector<T> {
    fn drop(&mut self) {
        if let Some(target) = self.target.take() {
            MOVED_OUT.with(|r| r.borrow_mut().push(Box::new(target)));
        }
    }
}

/// Everything of type `T` the resurrectors of this thread moved out, oldest first.
pub fn take_all<T: 'static>() -> Vec<T> {
    MOVED_OUT.with(|r| {
        let mut all = r.borrow_mut();
        let (mine, rest): (Vec<_>, Vec<_>) = all.drain(..).partition(|b| b.is::<T>());
        *all = rest;
        mine.into_iter()
            .filter_map(|b| b.downcast::<T>().ok().map(|b| *b))
            .collect()
    })
}
