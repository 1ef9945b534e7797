//! [`WeakGc<T>`]: a handle that does not keep its object alive.
//!
//! Objects without weak handles pay nothing but one header flag: the first
//! [`Gc::downgrade`] of an object creates a *weak slot* (a shared cell holding the object's
//! address) in its heap's weak table and sets the object's `WEAK` flag; later downgrades
//! share the slot. When the sweep finds a flagged object dead, it empties the slot before any
//! destructor runs, so `upgrade` returns `None` from then on.
//!
//! Handles do not know their heap, so the weak tables of the live heaps are found through a
//! per-thread registry keyed by heap id (heaps and handles never leave their thread).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::ptr::NonNull;
use std::rc::Rc;

use crate::gc::Gc;
use crate::header::{GcBox, Header, MARKED, WEAK};
use crate::trace::{Trace, Tracer};

/// One object's weak slot: its header while it is alive, `None` once swept.
pub(crate) struct WeakSlot {
    target: Cell<Option<NonNull<Header>>>,
}

/// A heap's weak slots, by object address.
#[derive(Default)]
pub(crate) struct WeakTable {
    slots: HashMap<NonNull<Header>, Rc<WeakSlot>>,
}

impl WeakTable {
    /// Empties and forgets the slot of an object the sweep found dead.
    pub(crate) fn invalidate(&mut self, header: NonNull<Header>) {
        if let Some(slot) = self.slots.remove(&header) {
            slot.target.set(None);
        }
    }

    /// Empties the slots of the objects the mark did not reach (a lazy cycle's pause does
    /// this for the whole heap; the pages are swept later). Clears their `WEAK` flag.
    pub(crate) fn invalidate_unmarked(&mut self) {
        self.slots.retain(|object, slot| {
            // SAFETY: a slot in the table names an allocated, not yet condemned object.
            let header = unsafe { object.as_ref() };
            if header.has(MARKED) {
                return true;
            }
            slot.target.set(None);
            header.clear(WEAK);
            false
        });
    }

    /// Every slot, by object.
    pub(crate) fn slots(&self) -> impl Iterator<Item = (&NonNull<Header>, &Rc<WeakSlot>)> {
        self.slots.iter()
    }

    /// Number of objects with a weak slot.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

thread_local! {
    /// Weak tables of this thread's live heaps, by heap id. A heap registers on creation and
    /// unregisters when dropped.
    static WEAK_TABLES: RefCell<Vec<(u32, Rc<RefCell<WeakTable>>)>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn register_table(heap_id: u32, table: Rc<RefCell<WeakTable>>) {
    // A heap created while the thread tears down its thread-locals finds the registry gone.
    // It then stays unregistered, and every later `downgrade` on this thread finds the
    // registry unreachable too and hands out empty slots: weak handles to such a heap never
    // upgrade, which is safe (a "heap gone" slot is never made for it).
    let _ = WEAK_TABLES.try_with(|tables| tables.borrow_mut().push((heap_id, table)));
}

pub(crate) fn unregister_table(heap_id: u32) {
    // During thread teardown the registry may be gone already; nothing to remove then.
    let _ = WEAK_TABLES.try_with(|tables| tables.borrow_mut().retain(|(id, _)| *id != heap_id));
}

/// What `downgrade` found for the object's heap.
enum Owner {
    /// The heap is alive: its weak table.
    Live(Rc<RefCell<WeakTable>>),
    /// The heap was dropped: its remaining objects are leaked and never freed.
    Gone,
    /// The registry is unreachable (thread teardown): be conservative.
    Unknown,
}

fn find_owner(heap_id: u32) -> Owner {
    WEAK_TABLES
        .try_with(|tables| {
            let tables = tables.borrow();
            match tables.iter().find(|(id, _)| *id == heap_id) {
                Some((_, table)) => Owner::Live(Rc::clone(table)),
                None => Owner::Gone,
            }
        })
        .unwrap_or(Owner::Unknown)
}

/// A weak handle: [`upgrade`](WeakGc::upgrade) gives a [`Gc`] while the object is alive and
/// `None` once the collector has swept it. It does not keep the object alive and is not
/// traced (it is no edge).
///
/// ```
/// use prologue_gc::{Gc, Heap};
///
/// let heap = Heap::new();
/// let value = heap.alloc(String::from("cached"));
/// let weak = Gc::downgrade(&value);
/// heap.collect();
/// assert_eq!(weak.upgrade().unwrap().as_str(), "cached"); // still held by `value`
/// drop(value);
/// heap.collect();
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakGc<T: ?Sized> {
    slot: Rc<WeakSlot>,
    /// The object's (possibly fat) pointer; only dereferenced while `slot` holds the object.
    ptr: NonNull<GcBox<T>>,
}

impl<T: ?Sized> WeakGc<T> {
    pub(crate) fn new(strong: &Gc<T>) -> WeakGc<T> {
        let header_ptr = strong.header_ptr();
        let header = strong.header();
        let slot = if header.is_dead() {
            Rc::new(WeakSlot {
                target: Cell::new(None),
            })
        } else {
            match find_owner(header.heap_id) {
                Owner::Live(table) => {
                    let mut table = table.borrow_mut();
                    header.set(WEAK);
                    Rc::clone(table.slots.entry(header_ptr).or_insert_with(|| {
                        Rc::new(WeakSlot {
                            target: Cell::new(Some(header_ptr)),
                        })
                    }))
                }
                // A dropped heap's surviving objects are leaked: they are never freed, so a
                // slot that is never emptied stays correct.
                Owner::Gone => Rc::new(WeakSlot {
                    target: Cell::new(Some(header_ptr)),
                }),
                Owner::Unknown => Rc::new(WeakSlot {
                    target: Cell::new(None),
                }),
            }
        };
        WeakGc {
            slot,
            ptr: strong.box_ptr(),
        }
    }

    /// A strong handle to the object, or `None` if the collector has swept it.
    pub fn upgrade(&self) -> Option<Gc<T>> {
        let header = self.slot.target.get()?;
        // SAFETY: the slot still names the object, so the sweep has not found it dead: the
        // sweep empties the slot before it drops or frees anything.
        let header = unsafe { header.as_ref() };
        if header.is_dead() {
            return None;
        }
        header.inc_handles();
        // SAFETY: the count now includes the new handle; `ptr` is this object's box pointer.
        let strong = unsafe { Gc::from_counted(self.ptr) };
        if crate::barrier::active() {
            // Rule 9: a handle from nowhere root discovery could have counted.
            crate::barrier::on_new_handle(strong.header_ptr());
        }
        Some(strong)
    }

    /// Whether the object has been swept (`upgrade` would return `None`).
    pub fn is_dangling(&self) -> bool {
        match self.slot.target.get() {
            None => true,
            // SAFETY: as in `upgrade`, a filled slot names an allocated object.
            Some(header) => unsafe { header.as_ref() }.is_dead(),
        }
    }
}

impl<T: ?Sized> Clone for WeakGc<T> {
    fn clone(&self) -> WeakGc<T> {
        WeakGc {
            slot: Rc::clone(&self.slot),
            ptr: self.ptr,
        }
    }
}

impl<T: ?Sized> fmt::Debug for WeakGc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_dangling() {
            "WeakGc(<swept>)"
        } else {
            "WeakGc(..)"
        })
    }
}

// SAFETY: a weak handle is not an edge: it neither counts nor keeps its target alive.
unsafe impl<T: ?Sized> Trace for WeakGc<T> {
    const NEEDS_TRACE: bool = false;
    #[inline]
    fn trace(&self, _: &mut Tracer) {}
}
