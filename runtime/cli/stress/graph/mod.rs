//! One `prologue stress` thread's heap: a random object graph mutated step by step, mirrored in
//! a model, and checked against it.
//!
//! The model knows every object's value and edges, which handles the thread holds (its roots),
//! and which handles sit in the thread's `LocalPool`. The collector may run at any allocation;
//! the thread sees each cycle through [`Heap::on_cycle`] and then updates the model: the local
//! pool was drained (so its handles are gone), and whatever the roots no longer reach is dead.
//! From then on the model predicts exactly what `WeakGc::upgrade` and `LocalPool::try_get` must
//! return. After every explicit `collect()` the thread checks the whole heap: every object the
//! roots reach holds the model's value and edges, the heap counts exactly the model's objects,
//! and creations minus drops (counted by the objects themselves) equal the model's size; and
//! `Heap::verify` checks the collector's own invariants.
//!
//! A second heap on the same thread holds "holders", objects with a handle into the main heap:
//! for the main heap those handles are held from outside, so their targets must survive. A
//! holder is only released together with a collection of the second heap, which keeps the
//! model exact. Every cycle of either heap drains the thread's `LocalPool`; only the main heap's
//! cycles decide what in the main heap is dead.

use prologue::{Gc, GcCell, Heap, LocalPool, Trace, WeakGc};
use rand::rngs::SmallRng;
use rand::Rng;
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

mod check;

thread_local! {
    static CREATED: Cell<u64> = const { Cell::new(0) };
    static DROPPED: Cell<u64> = const { Cell::new(0) };
}

/// Counts the creation and the drop of the object that holds it (per thread: objects never
/// leave the thread whose heap holds them).
struct Tally;

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

/// Objects created minus objects dropped on this thread.
fn tally_live() -> u64 {
    CREATED.with(Cell::get) - DROPPED.with(Cell::get)
}

/// A heap object: an id, a mutable value and mutable edges.
#[derive(Trace)]
struct Obj {
    #[trace(skip)]
    id: u64,
    #[trace(skip)]
    value: Cell<u64>,
    #[trace(skip)]
    _tally: Tally,
    edges: GcCell<Vec<Gc<Obj>>>,
}

/// An object of the second heap holding a handle into the main one.
#[derive(Trace)]
struct Holder {
    target: Gc<Obj>,
}

/// What the model knows of one object.
struct ModelObj {
    value: u64,
    edges: Vec<u64>,
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
    /// Cycles seen (explicit and paced).
    pub cycles: u64,
    /// Explicit collections, each followed by a full check.
    pub checks: u64,
    /// The most objects the model tracked at once.
    pub peak_objects: usize,
    /// Weak upgrades checked against the model.
    pub weak_checks: u64,
}

/// One thread's heap, graph and model.
pub struct Graph<'h> {
    heap: &'h Heap,
    side: &'h Heap,
    holders: Vec<Gc<Holder>>,
    limits: Limits,
    roots: Vec<Gc<Obj>>,
    weak: Vec<(u64, WeakGc<Obj>)>,
    parked: LocalPool<Option<Gc<Obj>>>,
    parked_ids: Vec<u64>,
    model: HashMap<u64, ModelObj>,
    next_id: u64,
    cycles_seen: Rc<Cell<u64>>,
    cycles_handled: u64,
    side_cycles_seen: Rc<Cell<u64>>,
    side_cycles_handled: u64,
    /// What the thread did.
    pub counts: GraphCounts,
    /// Mismatches found so far.
    pub failures: Vec<String>,
}

fn no_parked_handle() -> Option<Gc<Obj>> {
    None
}

impl<'h> Graph<'h> {
    /// A graph on `heap`, with holders on `side` (two distinct heaps that hold nothing else).
    pub fn new(heap: &'h Heap, side: &'h Heap, limits: Limits) -> Graph<'h> {
        let counting = |heap: &Heap| {
            let seen = Rc::new(Cell::new(0));
            let counter = Rc::clone(&seen);
            heap.on_cycle(move |_| counter.set(counter.get() + 1));
            seen
        };
        Graph {
            heap,
            side,
            holders: Vec::new(),
            limits,
            roots: Vec::new(),
            weak: Vec::new(),
            parked: LocalPool::new(no_parked_handle),
            parked_ids: Vec::new(),
            model: HashMap::new(),
            next_id: 0,
            cycles_seen: counting(heap),
            cycles_handled: 0,
            side_cycles_seen: counting(side),
            side_cycles_handled: 0,
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
        if self.roots.is_empty() {
            self.alloc(rng);
            return;
        }
        match rng.random_range(0..100) {
            0..30 => self.alloc(rng),
            30..44 => self.link(rng),
            44..54 => self.unlink(rng),
            54..66 => self.drop_root(rng),
            66..72 => self.root_interior(rng),
            72..78 => self.set_value(rng),
            78..84 => self.read_check(rng),
            84..88 => self.park(rng),
            88..92 => self.unpark(),
            92..94 => self.downgrade(rng),
            94..96 => self.upgrade(rng),
            96 => self.hold_from_side(rng),
            97 => self.release_from_side(rng),
            _ => self.alloc_while_borrowed(rng),
        }
    }

    /// A handle to a random reachable object: a random root, then a short random walk.
    fn pick(&self, rng: &mut SmallRng) -> Gc<Obj> {
        let mut at = self.roots[rng.random_range(0..self.roots.len())].clone();
        for _ in 0..rng.random_range(0..4) {
            let next = {
                let edges = at.edges.borrow();
                if edges.is_empty() {
                    break;
                }
                edges[rng.random_range(0..edges.len())].clone()
            };
            at = next;
        }
        at
    }

    fn new_obj(&mut self, rng: &mut SmallRng, edges: Vec<Gc<Obj>>) -> (Obj, u64) {
        self.next_id += 1;
        let id = self.next_id;
        let value = rng.random::<u64>();
        let ids = edges.iter().map(|e| e.id).collect();
        self.model.insert(id, ModelObj { value, edges: ids });
        let obj = Obj {
            id,
            value: Cell::new(value),
            _tally: Tally::new(),
            edges: GcCell::new(edges),
        };
        (obj, id)
    }

    fn alloc(&mut self, rng: &mut SmallRng) {
        if self.roots.len() >= self.limits.roots || self.model.len() >= self.limits.objects {
            self.drop_root(rng);
        }
        let edges = if self.roots.is_empty() {
            Vec::new()
        } else {
            (0..rng.random_range(0..4))
                .map(|_| self.pick(rng))
                .collect()
        };
        let (obj, id) = self.new_obj(rng, edges);
        // The new object is in the model before the cycle an allocation may run; it is
        // reachable (its handle comes back) so the cycle's model update must keep it.
        let handle = self.alloc_then_sync(obj, id);
        self.roots.push(handle);
    }

    /// Allocates `obj`, then brings the model up to date with any cycle that ran meanwhile.
    /// `id` names the object being allocated, which counts as held during that update.
    fn alloc_then_sync(&mut self, obj: Obj, id: u64) -> Gc<Obj> {
        let handle = self.heap.alloc(obj);
        self.counts.allocated += 1;
        self.sync_cycles(&[id]);
        handle
    }

    fn link(&mut self, rng: &mut SmallRng) {
        let from = self.pick(rng);
        let to = self.pick(rng);
        if let Some(m) = self.model.get_mut(&from.id) {
            m.edges.push(to.id);
        }
        from.edges.borrow_mut().push(to);
    }

    fn unlink(&mut self, rng: &mut SmallRng) {
        let from = self.pick(rng);
        let mut edges = from.edges.borrow_mut();
        if edges.is_empty() {
            return;
        }
        let i = rng.random_range(0..edges.len());
        edges.remove(i);
        if let Some(m) = self.model.get_mut(&from.id) {
            m.edges.remove(i);
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
        obj.value.set(value);
        if let Some(m) = self.model.get_mut(&obj.id) {
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
            self.parked_ids.push(handle.id);
            self.parked.put(Some(handle));
        }
    }

    fn unpark(&mut self) {
        match self.parked.get() {
            Some(handle) => match self.parked_ids.iter().position(|&id| id == handle.id) {
                Some(i) => {
                    self.parked_ids.swap_remove(i);
                    self.check_obj(&handle);
                    self.roots.push(handle);
                }
                None => self.fail(format!(
                    "the local pool returned object {}, which was not parked there",
                    handle.id
                )),
            },
            None if !self.parked_ids.is_empty() => self.fail(format!(
                "the local pool is empty but {} handles were parked since the last cycle",
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
        self.weak.push((obj.id, Gc::downgrade(&obj)));
    }

    fn upgrade(&mut self, rng: &mut SmallRng) {
        if self.weak.is_empty() {
            return;
        }
        let i = rng.random_range(0..self.weak.len());
        let (id, upgraded) = (self.weak[i].0, self.weak[i].1.upgrade());
        self.counts.weak_checks += 1;
        match (upgraded, self.model.contains_key(&id)) {
            (Some(handle), true) => {
                if handle.id != id {
                    self.fail(format!(
                        "a weak handle to object {id} upgraded to object {}",
                        handle.id
                    ));
                }
                self.check_obj(&handle);
                if self.roots.len() < self.limits.roots {
                    self.roots.push(handle);
                }
            }
            (Some(handle), false) => self.fail(format!(
                "a weak handle to object {id} upgraded after a cycle found it dead (to object {})",
                handle.id
            )),
            (None, true) => self.fail(format!(
                "a weak handle to object {id} failed to upgrade, but the object is reachable"
            )),
            (None, false) => {
                self.weak.swap_remove(i);
            }
        }
    }

    /// Holds an object's edges mutably borrowed while allocating, then stores the new object
    /// there: a collection during that allocation must keep everything the cell reaches.
    fn alloc_while_borrowed(&mut self, rng: &mut SmallRng) {
        let from = self.pick(rng);
        let (obj, id) = self.new_obj(rng, Vec::new());
        let mut edges = from.edges.borrow_mut();
        let handle = self.alloc_then_sync(obj, id);
        edges.push(handle);
        drop(edges);
        if let Some(m) = self.model.get_mut(&from.id) {
            m.edges.push(id);
        }
    }

    /// Stores a handle to a reachable object in a new holder on the second heap.
    fn hold_from_side(&mut self, rng: &mut SmallRng) {
        if self.holders.len() < self.limits.roots {
            let target = self.pick(rng);
            let holder = self.side.alloc(Holder { target });
            self.holders.push(holder);
            self.sync_side_cycles();
        }
    }

    /// Drops a holder and collects the second heap, which drops the holder's handle.
    fn release_from_side(&mut self, rng: &mut SmallRng) {
        if !self.holders.is_empty() {
            self.holders
                .swap_remove(rng.random_range(0..self.holders.len()));
            let cycle = self.side.collect();
            self.sync_side_cycles();
            if cycle.objects_freed == 0 {
                self.fail("collecting the second heap freed no released holder".to_string());
            }
        }
    }
}
