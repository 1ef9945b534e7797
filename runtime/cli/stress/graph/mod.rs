//! One `prologue stress` thread's heap: a random object graph mutated step by step, mirrored in
//! a model, and checked against it.
//!
//! The model knows every object's kind, value and edges, which handles the thread holds (its
//! roots), which handles sit in the thread's `LocalPool`, and which objects were allocated since
//! the heap's last cycle (the young ones). The collector may run at any allocation; the thread
//! sees each cycle through [`Heap::on_cycle`] and then updates the model (`cycles.rs`):
//!
//! - after a **full** cycle the local pool was drained (its handles are gone) and whatever the
//!   roots no longer reach is dead: the model forgets it, and from then on predicts exactly what
//!   `WeakGc::upgrade` and `LocalPool::try_get` return;
//! - after a **young** cycle nothing was drained, and an unreachable object may or may not be
//!   gone: the release step frees acyclic garbage, but garbage cycles through old objects, and
//!   what only they reach, wait for a full cycle. The model keeps such objects as *doubtful*
//!   (a weak handle may still upgrade to them, and they must then be intact). What it can
//!   demand: the cycle frees no reachable object, and at least every young object that neither
//!   a root nor an old object reaches (that garbage cannot survive a young cycle), and at most
//!   the unreachable ones.
//!
//! After every explicit `collect()` (a full cycle) the thread checks the whole heap exactly:
//! every object the roots reach holds the model's value and edges, the heap counts exactly the
//! model's objects, and creations minus drops of the objects with destructors equal the
//! model's count of them; and `Heap::verify` checks the collector's own invariants.
//!
//! The graph mixes two kinds of objects (`objects.rs`), one freed by its destructor and one
//! freed by a trace (`Trace::DROP_IS_TRACE`), so both release paths run. A second heap on the
//! same thread holds "holders", objects with a handle into the main heap: for the main heap
//! those handles are held from outside, so their targets must survive (`side.rs`).

use prologue::{Heap, LocalPool, Trigger};
use rand::rngs::SmallRng;
use rand::Rng;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

mod check;
mod cycles;
mod objects;
mod side;

use objects::{Edge, HolderRef, Kind, WeakEdge, WeakHolder, NODE_SLOTS};

/// What the model knows of one object.
struct ModelObj {
    kind: Kind,
    value: u64,
    /// An `Obj`'s edge list (every entry present) or a `Node`'s slots.
    edges: Vec<Option<u64>>,
}

/// Limits on the graph's size, so the model stays cheap to check.
#[derive(Clone, Copy)]
pub struct Limits {
    /// Handles the thread holds at most.
    pub roots: usize,
    /// Objects the model tracks before the thread starts dropping roots harder.
    pub objects: usize,
}

/// What a thread did, for the summary.
#[derive(Default, Clone, Copy)]
pub struct GraphCounts {
    /// Objects allocated.
    pub allocated: u64,
    /// Cycles of the main heap seen (explicit, paced and young).
    pub cycles: u64,
    /// Young cycles among them.
    pub young_cycles: u64,
    /// Objects the young cycles' release steps freed (from their statistics).
    pub released: u64,
    /// Young garbage the model proved each young cycle had to free (it did).
    pub young_garbage: u64,
    /// Cycles of the second heap seen.
    pub side_cycles: u64,
    /// Released holders the second heap's young cycles freed.
    pub holders_freed_young: u64,
    /// Explicit collections, each followed by a full check.
    pub checks: u64,
    /// The most objects the model tracked at once.
    pub peak_objects: usize,
    /// Weak upgrades checked against the model.
    pub weak_checks: u64,
    /// Weak upgrades of old objects no root reached (a young cycle may leave such garbage;
    /// revived, it and what it reaches must be intact).
    pub revived: u64,
}

/// A holder the thread dropped, which the second heap has not been seen to free.
struct ReleasedHolder {
    target: u64,
    /// The second heap's cycle count when the holder was allocated.
    born: u64,
    weak: WeakHolder,
}

/// What an observer recorded of one cycle.
struct CycleNote {
    trigger: Trigger,
    freed: usize,
    released: usize,
    /// A young cycle that promoted what its release left without marking it
    /// (`CycleStats::unexamined`): garbage cycles among them are kept.
    unexamined: bool,
}

/// The cycles of one heap not yet applied to the model.
type CycleLog = Rc<RefCell<Vec<CycleNote>>>;

fn watch(heap: &Heap) -> CycleLog {
    let log = CycleLog::default();
    let notes = Rc::clone(&log);
    heap.on_cycle(move |cycle| {
        notes.borrow_mut().push(CycleNote {
            trigger: cycle.trigger,
            freed: cycle.objects_freed,
            released: cycle.objects_released,
            unexamined: cycle.unexamined,
        })
    });
    log
}

/// One thread's heap, graph and model.
pub struct Graph<'h> {
    heap: &'h Heap,
    side: &'h Heap,
    limits: Limits,
    roots: Vec<Edge>,
    /// Holders on the second heap, with the second heap's cycle count at their allocation.
    holders: Vec<(HolderRef, u64)>,
    released_holders: Vec<ReleasedHolder>,
    weak: Vec<(u64, WeakEdge)>,
    parked: LocalPool<Option<Edge>>,
    parked_ids: Vec<u64>,
    /// Every object that exists or may still exist (doubtful ones after young cycles).
    model: HashMap<u64, ModelObj>,
    /// Objects allocated since the main heap's last cycle.
    young: HashSet<u64>,
    next_id: u64,
    main_cycles: CycleLog,
    side_cycles: CycleLog,
    /// Cycles of the second heap applied to the model.
    side_epoch: u64,
    /// A young cycle ran: walk everything reachable at the next step.
    walk_due: bool,
    /// What the thread did.
    pub counts: GraphCounts,
    /// Mismatches found so far.
    pub failures: Vec<String>,
}

fn no_parked_handle() -> Option<Edge> {
    None
}

fn random_kind(rng: &mut SmallRng) -> Kind {
    if rng.random_bool(0.5) {
        Kind::Obj
    } else {
        Kind::Node
    }
}

impl<'h> Graph<'h> {
    /// A graph on `heap`, with holders on `side` (two distinct heaps that hold nothing else).
    pub fn new(heap: &'h Heap, side: &'h Heap, limits: Limits) -> Graph<'h> {
        Graph {
            heap,
            side,
            limits,
            roots: Vec::new(),
            holders: Vec::new(),
            released_holders: Vec::new(),
            weak: Vec::new(),
            parked: LocalPool::new(no_parked_handle),
            parked_ids: Vec::new(),
            model: HashMap::new(),
            young: HashSet::new(),
            next_id: 0,
            main_cycles: watch(heap),
            side_cycles: watch(side),
            side_epoch: 0,
            walk_due: false,
            counts: GraphCounts::default(),
            failures: Vec::new(),
        }
    }

    fn fail(&mut self, message: String) {
        if self.failures.len() < 20 {
            self.failures.push(message);
        }
    }

    /// One random step.
    pub fn step(&mut self, rng: &mut SmallRng) {
        if std::mem::take(&mut self.walk_due) {
            self.walk_and_check();
            if self.has_failed() {
                return;
            }
        }
        if self.roots.is_empty() {
            self.alloc(rng);
            return;
        }
        match rng.random_range(0..100) {
            0..28 => self.alloc(rng),
            28..42 => self.link(rng),
            42..52 => self.unlink(rng),
            52..64 => self.drop_root(rng),
            64..70 => self.root_interior(rng),
            70..75 => self.set_value(rng),
            75..80 => self.read_check(rng),
            80..84 => self.park(rng),
            84..88 => self.unpark(),
            88..91 => self.downgrade(rng),
            91..94 => self.upgrade(rng),
            94..96 => self.hold_from_side(rng),
            96..98 => self.release_from_side(rng),
            _ => self.alloc_while_borrowed(rng),
        }
    }

    /// A handle to a random reachable object: a random root, then a short random walk.
    fn pick(&self, rng: &mut SmallRng) -> Edge {
        let mut at = self.roots[rng.random_range(0..self.roots.len())].clone();
        for _ in 0..rng.random_range(0..4) {
            let mut targets = at.targets();
            if targets.is_empty() {
                break;
            }
            at = targets.swap_remove(rng.random_range(0..targets.len()));
        }
        at
    }

    fn alloc(&mut self, rng: &mut SmallRng) {
        if self.roots.len() >= self.limits.roots || self.model.len() >= self.limits.objects {
            self.drop_root(rng);
        }
        let kind = random_kind(rng);
        let targets: Vec<Option<Edge>> = match kind {
            _ if self.roots.is_empty() => Vec::new(),
            Kind::Obj => (0..rng.random_range(0..4))
                .map(|_| Some(self.pick(rng)))
                .collect(),
            Kind::Node => (0..NODE_SLOTS)
                .map(|_| rng.random_bool(0.6).then(|| self.pick(rng)))
                .collect(),
        };
        let handle = self.alloc_then_sync(rng, kind, targets);
        self.roots.push(handle);
    }

    /// Allocates an object of `kind` pointing to `targets` (see [`Edge::build`]), then brings
    /// the model up to date with any cycle that ran meanwhile. The new object is in the model
    /// before that cycle, and counts as held during the update (its handle comes back).
    fn alloc_then_sync(
        &mut self,
        rng: &mut SmallRng,
        kind: Kind,
        targets: Vec<Option<Edge>>,
    ) -> Edge {
        self.next_id += 1;
        let id = self.next_id;
        let value = rng.random::<u64>();
        let mut edges: Vec<Option<u64>> = match kind {
            Kind::Obj => targets.iter().flatten().map(|e| Some(e.id())).collect(),
            Kind::Node => targets.iter().map(|t| t.as_ref().map(Edge::id)).collect(),
        };
        if kind == Kind::Node {
            edges.resize(NODE_SLOTS, None);
        }
        self.model.insert(id, ModelObj { kind, value, edges });
        let handle = Edge::build(kind, id, value, targets).alloc_in(self.heap);
        self.counts.allocated += 1;
        self.sync_cycles(&[id]);
        // Any cycle ran before the object was placed: it starts young.
        self.young.insert(id);
        handle
    }

    fn link(&mut self, rng: &mut SmallRng) {
        let from = self.pick(rng);
        let to = self.pick(rng);
        let to_id = to.id();
        let slot = match &from {
            Edge::Obj(o) => {
                o.edges.borrow_mut().push(to);
                None
            }
            Edge::Node(n) => {
                let i = rng.random_range(0..NODE_SLOTS);
                *n.slots[i].borrow_mut() = Some(to);
                Some(i)
            }
        };
        if let Some(m) = self.model.get_mut(&from.id()) {
            match slot {
                None => m.edges.push(Some(to_id)),
                Some(i) => m.edges[i] = Some(to_id),
            }
        }
    }

    fn unlink(&mut self, rng: &mut SmallRng) {
        let from = self.pick(rng);
        let id = from.id();
        match &from {
            Edge::Obj(o) => {
                let mut edges = o.edges.borrow_mut();
                if edges.is_empty() {
                    return;
                }
                let i = rng.random_range(0..edges.len());
                edges.remove(i);
                if let Some(m) = self.model.get_mut(&id) {
                    m.edges.remove(i);
                }
            }
            Edge::Node(n) => {
                // A node's slot is emptied in place.
                let i = rng.random_range(0..NODE_SLOTS);
                n.slots[i].borrow_mut().take();
                if let Some(m) = self.model.get_mut(&id) {
                    m.edges[i] = None;
                }
            }
        }
    }

    fn drop_root(&mut self, rng: &mut SmallRng) {
        if !self.roots.is_empty() {
            let i = rng.random_range(0..self.roots.len());
            self.roots.swap_remove(i);
        }
    }

    fn root_interior(&mut self, rng: &mut SmallRng) {
        if self.roots.len() < self.limits.roots {
            let handle = self.pick(rng);
            self.roots.push(handle);
        }
    }

    fn set_value(&mut self, rng: &mut SmallRng) {
        let obj = self.pick(rng);
        let value = rng.random::<u64>();
        obj.set_value(value);
        if let Some(m) = self.model.get_mut(&obj.id()) {
            m.value = value;
        }
    }

    fn read_check(&mut self, rng: &mut SmallRng) {
        let obj = self.pick(rng);
        self.check_obj(&obj);
    }

    fn park(&mut self, rng: &mut SmallRng) {
        if !self.roots.is_empty() {
            let handle = self
                .roots
                .swap_remove(rng.random_range(0..self.roots.len()));
            self.parked_ids.push(handle.id());
            self.parked.put(Some(handle));
        }
    }

    fn unpark(&mut self) {
        match self.parked.get() {
            Some(handle) => match self.parked_ids.iter().position(|&id| id == handle.id()) {
                Some(i) => {
                    self.parked_ids.swap_remove(i);
                    self.check_obj(&handle);
                    self.roots.push(handle);
                }
                None => self.fail(format!(
                    "the local pool returned object {}, which was not parked there",
                    handle.id()
                )),
            },
            None if !self.parked_ids.is_empty() => self.fail(format!(
                "the local pool is empty but {} handles were parked since the last full cycle",
                self.parked_ids.len()
            )),
            None => {}
        }
    }

    fn downgrade(&mut self, rng: &mut SmallRng) {
        if self.weak.len() >= 64 {
            self.weak.swap_remove(rng.random_range(0..self.weak.len()));
        }
        let obj = self.pick(rng);
        self.weak.push((obj.id(), obj.downgrade()));
    }

    /// Upgrades a random weak handle and compares the outcome with the model. An object no
    /// root reaches may have survived a young cycle: upgrading it revives it (it becomes a
    /// root again), and it and what it reaches must then be intact.
    fn upgrade(&mut self, rng: &mut SmallRng) {
        if self.weak.is_empty() {
            return;
        }
        let i = rng.random_range(0..self.weak.len());
        let (id, upgraded) = (self.weak[i].0, self.weak[i].1.upgrade());
        self.counts.weak_checks += 1;
        match (upgraded, self.model.contains_key(&id)) {
            (Some(handle), true) => {
                if handle.is_dead() || handle.id() != id {
                    self.fail(format!(
                        "a weak handle to object {id} upgraded to a dead or different object"
                    ));
                    return;
                }
                if !self.young.contains(&id) && !self.reachable(&[]).contains(&id) {
                    self.counts.revived += 1;
                }
                self.check_around(&handle, 64);
                if self.roots.len() < self.limits.roots {
                    self.roots.push(handle);
                }
            }
            (Some(handle), false) => self.fail(format!(
                "a weak handle to object {id} upgraded after a full cycle found it dead \
                 (to object {})",
                if handle.is_dead() { 0 } else { handle.id() }
            )),
            (None, true) => {
                if self.young.contains(&id) {
                    self.fail(format!(
                        "a weak handle to object {id} failed to upgrade, but no cycle ran since \
                         the object was allocated"
                    ));
                } else if self.reachable(&[]).contains(&id) {
                    self.fail(format!(
                        "a weak handle to object {id} failed to upgrade, but the object is \
                         reachable"
                    ));
                } else {
                    // A young cycle freed this doubtful object: the model forgets it (if an
                    // object still pointed to it, the next walk that reaches it fails).
                    self.model.remove(&id);
                }
                self.weak.swap_remove(i);
            }
            (None, false) => {
                self.weak.swap_remove(i);
            }
        }
    }

    /// Holds an object's edges mutably borrowed while allocating, then stores the new object
    /// there: a collection during that allocation must keep everything the cell reaches.
    fn alloc_while_borrowed(&mut self, rng: &mut SmallRng) {
        let from = self.pick(rng);
        let from_id = from.id();
        let kind = random_kind(rng);
        let targets = match kind {
            Kind::Obj => Vec::new(),
            Kind::Node => vec![None; NODE_SLOTS],
        };
        let (id, slot) = match &from {
            Edge::Obj(o) => {
                let mut edges = o.edges.borrow_mut();
                let handle = self.alloc_then_sync(rng, kind, targets);
                let id = handle.id();
                edges.push(handle);
                (id, None)
            }
            Edge::Node(n) => {
                let i = rng.random_range(0..NODE_SLOTS);
                let mut slot = n.slots[i].borrow_mut();
                let handle = self.alloc_then_sync(rng, kind, targets);
                let id = handle.id();
                *slot = Some(handle);
                (id, Some(i))
            }
        };
        if let Some(m) = self.model.get_mut(&from_id) {
            match slot {
                None => m.edges.push(Some(id)),
                Some(i) => m.edges[i] = Some(id),
            }
        }
    }
}
