//! The objects a stress graph is made of, and the handle enums that let the graph treat them
//! alike.
//!
//! Two kinds live on the main heap, one for each way the release step of a young cycle frees
//! an object (`gc/src/release.rs`):
//!
//! - [`Obj`] has a real destructor (a [`Tally`] that counts its drop, and a `Vec` of edges):
//!   the release step lists its old targets, then drops it normally;
//! - [`Node`] is made only of numbers and `GcCell<Option<Edge>>` slots, so its
//!   `Trace::DROP_IS_TRACE` is true: the release step frees it by one trace that decrements
//!   its targets' counts in place of its drop glue.
//!
//! The side heap holds [`Holder`]s, each with a handle into the main heap, again in both
//! flavours: `Holder<u64>` is freed by trace, `Holder<Box<u64>>` by its destructor. The
//! assertions below pin which is which, so a change to the derive cannot quietly turn one
//! release path off.

use prologue::{Gc, GcCell, Trace, WeakGc};
use std::cell::Cell;

thread_local! {
    static CREATED: Cell<u64> = const { Cell::new(0) };
    static DROPPED: Cell<u64> = const { Cell::new(0) };
}

/// Counts the creation and the drop of the object that holds it (per thread: objects never
/// leave the thread whose heap holds them).
pub(super) struct Tally;

impl Tally {
    fn new() -> Tally {
        CREATED.with(|c| c.set(c.get() + 1));
        Tally
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        DROPPED.with(|c| c.set(c.get() + 1));
    }
}

/// [`Obj`]s created minus [`Obj`]s dropped on this thread.
pub(super) fn tally_live() -> u64 {
    CREATED.with(Cell::get) - DROPPED.with(Cell::get)
}

/// A main-heap object with a destructor: an id, a mutable value and a list of edges.
#[derive(Trace)]
pub(super) struct Obj {
    #[trace(skip)]
    id: u64,
    #[trace(skip)]
    value: Cell<u64>,
    #[trace(skip)]
    _tally: Tally,
    pub(super) edges: GcCell<Vec<Edge>>,
}

/// Edge slots of a [`Node`].
pub(super) const NODE_SLOTS: usize = 2;

/// A main-heap object whose drop is its trace: an id, a mutable value and fixed edge slots.
#[derive(Trace)]
pub(super) struct Node {
    #[trace(skip)]
    id: u64,
    #[trace(skip)]
    value: Cell<u64>,
    pub(super) slots: [GcCell<Option<Edge>>; NODE_SLOTS],
}

/// A handle to either kind of main-heap object.
#[derive(Trace, Clone)]
pub(super) enum Edge {
    Obj(Gc<Obj>),
    Node(Gc<Node>),
}

/// A side-heap object holding a handle into the main heap, with `extra` (the target's id,
/// as a `u64` or boxed) deciding how the release step frees it.
#[derive(Trace)]
pub(super) struct Holder<X: 'static> {
    target: Edge,
    extra: X,
}

// The release paths the graph is meant to run (see the module docs).
const _: () = assert!(<Node as Trace>::DROP_IS_TRACE && !<Obj as Trace>::DROP_IS_TRACE);
const _: () =
    assert!(<Holder<u64> as Trace>::DROP_IS_TRACE && !<Holder<Box<u64>> as Trace>::DROP_IS_TRACE);

/// Which kind an object is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    Obj,
    Node,
}

impl Edge {
    /// A new object of `kind`. An `Obj` takes the present targets in order; a `Node` takes
    /// `targets` slot by slot (there must be at most [`NODE_SLOTS`]).
    pub(super) fn build(kind: Kind, id: u64, value: u64, targets: Vec<Option<Edge>>) -> NewObject {
        match kind {
            Kind::Obj => NewObject::Obj(Obj {
                id,
                value: Cell::new(value),
                _tally: Tally::new(),
                edges: GcCell::new(targets.into_iter().flatten().collect()),
            }),
            Kind::Node => {
                let mut targets = targets.into_iter();
                NewObject::Node(Node {
                    id,
                    value: Cell::new(value),
                    slots: std::array::from_fn(|_| GcCell::new(targets.next().flatten())),
                })
            }
        }
    }

    pub(super) fn kind(&self) -> Kind {
        match self {
            Edge::Obj(_) => Kind::Obj,
            Edge::Node(_) => Kind::Node,
        }
    }

    /// The object's id (the object must not be dead).
    pub(super) fn id(&self) -> u64 {
        match self {
            Edge::Obj(o) => o.id,
            Edge::Node(n) => n.id,
        }
    }

    pub(super) fn value(&self) -> u64 {
        match self {
            Edge::Obj(o) => o.value.get(),
            Edge::Node(n) => n.value.get(),
        }
    }

    pub(super) fn set_value(&self, value: u64) {
        match self {
            Edge::Obj(o) => o.value.set(value),
            Edge::Node(n) => n.value.set(value),
        }
    }

    /// Whether the collector has freed (or condemned) the object: never true of a reachable
    /// one.
    pub(super) fn is_dead(&self) -> bool {
        match self {
            Edge::Obj(o) => Gc::is_dead(o),
            Edge::Node(n) => Gc::is_dead(n),
        }
    }

    /// The id of a target the collector freed; ids of real objects start at 1.
    pub(super) const FREED: u64 = 0;

    /// The id, or [`Edge::FREED`] if the object is dead (reading it would panic).
    pub(super) fn id_or_freed(&self) -> u64 {
        if self.is_dead() {
            Edge::FREED
        } else {
            self.id()
        }
    }

    /// The edges as the model records them: an `Obj`'s list (all present), a `Node`'s slots.
    /// A freed target shows as [`Edge::FREED`].
    pub(super) fn edge_ids(&self) -> Vec<Option<u64>> {
        match self {
            Edge::Obj(o) => o
                .edges
                .borrow()
                .iter()
                .map(|e| Some(e.id_or_freed()))
                .collect(),
            Edge::Node(n) => n
                .slots
                .iter()
                .map(|s| s.borrow().as_ref().map(Edge::id_or_freed))
                .collect(),
        }
    }

    /// Handles to the objects this one points to.
    pub(super) fn targets(&self) -> Vec<Edge> {
        match self {
            Edge::Obj(o) => o.edges.borrow().clone(),
            Edge::Node(n) => n.slots.iter().filter_map(|s| s.borrow().clone()).collect(),
        }
    }

    pub(super) fn downgrade(&self) -> WeakEdge {
        match self {
            Edge::Obj(o) => WeakEdge::Obj(Gc::downgrade(o)),
            Edge::Node(n) => WeakEdge::Node(Gc::downgrade(n)),
        }
    }
}

/// An object about to be allocated.
pub(super) enum NewObject {
    Obj(Obj),
    Node(Node),
}

impl NewObject {
    /// Allocates the object on `heap` (which may run a cycle first).
    pub(super) fn alloc_in(self, heap: &prologue::Heap) -> Edge {
        match self {
            NewObject::Obj(o) => Edge::Obj(heap.alloc(o)),
            NewObject::Node(n) => Edge::Node(heap.alloc(n)),
        }
    }
}

/// A weak handle to either kind of main-heap object.
pub(super) enum WeakEdge {
    Obj(WeakGc<Obj>),
    Node(WeakGc<Node>),
}

impl WeakEdge {
    pub(super) fn upgrade(&self) -> Option<Edge> {
        match self {
            WeakEdge::Obj(w) => w.upgrade().map(Edge::Obj),
            WeakEdge::Node(w) => w.upgrade().map(Edge::Node),
        }
    }
}

/// A handle to a holder of either flavour.
pub(super) enum HolderRef {
    ByTrace(Gc<Holder<u64>>),
    ByDrop(Gc<Holder<Box<u64>>>),
}

impl HolderRef {
    /// Allocates a holder of `target` on `side` (`by_drop` picks the flavour).
    pub(super) fn alloc(side: &prologue::Heap, target: Edge, by_drop: bool) -> HolderRef {
        let id = target.id();
        if by_drop {
            HolderRef::ByDrop(side.alloc(Holder {
                target,
                extra: Box::new(id),
            }))
        } else {
            HolderRef::ByTrace(side.alloc(Holder { target, extra: id }))
        }
    }

    pub(super) fn target(&self) -> &Edge {
        match self {
            HolderRef::ByTrace(h) => &h.target,
            HolderRef::ByDrop(h) => &h.target,
        }
    }

    /// The target id the holder recorded when it was made.
    pub(super) fn recorded_id(&self) -> u64 {
        match self {
            HolderRef::ByTrace(h) => h.extra,
            HolderRef::ByDrop(h) => *h.extra,
        }
    }

    pub(super) fn downgrade(&self) -> WeakHolder {
        match self {
            HolderRef::ByTrace(h) => WeakHolder::ByTrace(Gc::downgrade(h)),
            HolderRef::ByDrop(h) => WeakHolder::ByDrop(Gc::downgrade(h)),
        }
    }
}

/// A weak handle to a holder of either flavour.
pub(super) enum WeakHolder {
    ByTrace(WeakGc<Holder<u64>>),
    ByDrop(WeakGc<Holder<Box<u64>>>),
}

impl WeakHolder {
    pub(super) fn upgrade(&self) -> Option<HolderRef> {
        match self {
            WeakHolder::ByTrace(w) => w.upgrade().map(HolderRef::ByTrace),
            WeakHolder::ByDrop(w) => w.upgrade().map(HolderRef::ByDrop),
        }
    }
}
