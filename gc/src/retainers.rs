//! [`Heap::retainers`]: why is this object still alive? The shortest chain of objects from
//! one held from outside the heap down to it, like a heap dump's "path to GC roots".
//!
//! Roots are found the way the collector finds them (`roots.rs`): an object with more handles
//! than references from this heap's objects is held from outside. Then a breadth-first walk
//! from every root over the trace edges reaches the target by a shortest chain. Everything
//! lives in side tables (hash maps of counts and parents): no mark bit, internal count or
//! other state a cycle in progress uses is touched.
//!
//! Cost: every object that is not dead is traced once to count, and the objects the walk
//! visits (at most the reachable ones) once more, with a hash-map update per edge: time and
//! memory grow with objects plus edges. A debugging call, not for hot paths.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr::NonNull;

use crate::census::HeapBusy;
use crate::gc::Gc;
use crate::header::Header;
use crate::heap::{Heap, Phase};
use crate::trace::{TraceMode, Tracer};

/// One object on a [`RetainerPath`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retainer {
    /// The object's type, as [`std::any::type_name`] spells it.
    pub type_name: &'static str,
    /// The object's address (its header's, a few bytes before what [`Gc::as_ptr`] gives), to
    /// tell objects of one type apart; [`is`](Retainer::is) compares it with a handle.
    pub address: usize,
    /// How many [`Gc`] handles name the object.
    pub handles: usize,
    /// How many of them sit inside this heap's objects; the rest (`handles - internal`) are
    /// held from outside: locals, host structs, pools, other heaps.
    pub internal: usize,
}

impl Retainer {
    /// Handles held from outside the heap (`handles - internal`).
    pub fn outside(&self) -> usize {
        self.handles.saturating_sub(self.internal)
    }

    /// Whether this step is the object `handle` names.
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// let x = heap.alloc(1u8);
    /// assert!(heap.retainers(&x).unwrap().target().is(&x));
    /// ```
    pub fn is<T: ?Sized>(&self, handle: &Gc<T>) -> bool {
        self.address == handle.header_ptr().as_ptr() as usize
    }
}

/// The shortest chain of objects that keeps an object alive: [`Heap::retainers`].
///
/// The first step is a root (held from outside the heap), each next one is held by the step
/// before it, and the last is the target. A path of one step is the target itself held from
/// outside; [`held_only_by_caller`](RetainerPath::held_only_by_caller) then says whether the
/// only outside holder is the handle passed to `retainers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetainerPath {
    steps: Vec<Retainer>,
    held_only_by_caller: bool,
}

impl RetainerPath {
    /// The chain, root first, target last; never empty.
    pub fn steps(&self) -> &[Retainer] {
        &self.steps
    }

    /// The object held from outside the heap that starts the chain.
    pub fn root(&self) -> &Retainer {
        &self.steps[0]
    }

    /// The object asked about.
    pub fn target(&self) -> &Retainer {
        self.steps.last().expect("a path is never empty")
    }

    /// How many objects the chain has (1 when the target is itself a root).
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Always `false`: a path has at least its target.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Whether nothing but the handle passed to [`Heap::retainers`] keeps the target alive:
    /// no other handle outside the heap names it and no root reaches it, so it is garbage
    /// once that handle goes. The path is then the target alone.
    pub fn held_only_by_caller(&self) -> bool {
        self.held_only_by_caller
    }
}

impl fmt::Display for RetainerPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = self.target();
        if self.held_only_by_caller {
            return writeln!(
                f,
                "{} @{:#x} is held only by the handle passed to retainers(): nothing else keeps it",
                target.type_name, target.address
            );
        }
        writeln!(
            f,
            "{} @{:#x} is retained by a chain of {} object{}:",
            target.type_name,
            target.address,
            self.steps.len(),
            if self.steps.len() == 1 { "" } else { "s" }
        )?;
        for (i, step) in self.steps.iter().enumerate() {
            let role = if i == 0 { "root " } else { "holds" };
            write!(f, "  {role} {} @{:#x}", step.type_name, step.address)?;
            if i == 0 {
                let outside = step.outside();
                let s = if outside == 1 { "" } else { "s" };
                write!(f, "  ({outside} handle{s} from outside the heap")?;
                if self.steps.len() == 1 {
                    write!(f, ", the one passed to retainers() included")?;
                }
                write!(f, ")")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Why [`Heap::retainers`] found no path.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetainersError {
    /// Called from user code the collector runs mid-cycle.
    Busy(HeapBusy),
    /// The handle names an object of another heap.
    OtherHeap,
    /// The handle names a dead object (see [`Gc::is_dead`]).
    Dead,
    /// No root reaches the object: it is garbage the next cycle frees (only possible when
    /// the handle passed lies inside the heap itself, so it is not an outside holder).
    Unreachable,
}

impl fmt::Display for RetainersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetainersError::Busy(busy) => busy.fmt(f),
            RetainersError::OtherHeap => {
                write!(
                    f,
                    "prologue-gc: retainers(): the object belongs to another heap"
                )
            }
            RetainersError::Dead => write!(f, "prologue-gc: retainers(): the object is dead"),
            RetainersError::Unreachable => write!(
                f,
                "prologue-gc: retainers(): no root reaches the object (it is garbage)"
            ),
        }
    }
}

impl std::error::Error for RetainersError {}

impl From<HeapBusy> for RetainersError {
    fn from(busy: HeapBusy) -> RetainersError {
        RetainersError::Busy(busy)
    }
}

/// Puts the heap's phase back when the walk ends, even by a panic in user `trace` code.
struct RestorePhase<'a>(&'a Heap, Phase);

impl Drop for RestorePhase<'_> {
    fn drop(&mut self) {
        self.0.phase.set(self.1);
    }
}

impl Heap {
    /// Why is `target` still alive: the shortest chain of objects from one held from outside
    /// the heap (a root, found by counting as the collector does) down to `target`.
    ///
    /// The handle passed in is itself an outside holder. So when `target` has exactly one
    /// handle beyond the references from inside the heap (taken to be the one passed), the
    /// walk looks for another root that reaches it; if none does, the path is `target` alone
    /// with [`held_only_by_caller`](RetainerPath::held_only_by_caller) set. When `target`
    /// has more outside handles than that one, it is a root and the path has one step. A
    /// handle the walk cannot read (in a mutably borrowed [`GcCell`](crate::GcCell), in
    /// another heap's object, in a `#[trace(skip)]` field) makes its target look held from
    /// outside, as it does for the collector: such a target shows as a root.
    ///
    /// Nothing a cycle uses is changed (its side tables are its own), so it may be called
    /// between the steps of an incremental cycle and from cycle and pause observers. User
    /// `trace` code runs, with the heap busy as during [`verify`](Heap::verify). Cost: the
    /// objects are traced once to count and the reachable ones once more, with a hash-map
    /// update per edge: time and memory grow with the objects and edges of the heap.
    ///
    /// # Errors
    /// [`RetainersError::Busy`] when called from user code the collector runs mid-cycle;
    /// `OtherHeap` and `Dead` for such handles; `Unreachable` when no root reaches `target`
    /// (possible only for a handle that lies inside the heap).
    ///
    /// ```
    /// use prologue_gc::{Gc, GcCell, Heap, Trace};
    ///
    /// #[derive(Trace)]
    /// struct Node { next: GcCell<Option<Gc<Node>>> }
    ///
    /// let heap = Heap::new();
    /// let leaf = heap.alloc(Node { next: GcCell::new(None) });
    /// let middle = heap.alloc(Node { next: GcCell::new(Some(leaf.clone())) });
    /// let cache = heap.alloc(vec![middle.clone()]);
    /// drop(middle);
    ///
    /// let path = heap.retainers(&leaf).unwrap();
    /// assert_eq!(path.len(), 3); // cache -> middle -> leaf
    /// assert_eq!(path.root().type_name, std::any::type_name::<Vec<Gc<Node>>>());
    /// println!("{path}");
    ///
    /// drop(cache);
    /// heap.collect();
    /// assert!(heap.retainers(&leaf).unwrap().held_only_by_caller());
    /// ```
    pub fn retainers<T: ?Sized>(&self, target: &Gc<T>) -> Result<RetainerPath, RetainersError> {
        self.walkable_now("retainers")?;
        let goal = target.header_ptr();
        let header = target.header();
        if header.heap_id != self.id {
            return Err(RetainersError::OtherHeap);
        }
        if header.is_dead() {
            return Err(RetainersError::Dead);
        }
        // Claimed slots hold no object yet: give them back before walking the bitmaps.
        self.flush_slot_caches();
        // User `trace` code runs below: it must find the heap busy (no allocation, no cycle).
        let _restore = RestorePhase(self, self.phase.replace(Phase::Verify));
        let space = self.space.borrow();
        let mut tracer = Tracer::new(self.id);
        tracer.mode = TraceMode::Collect;

        // 1. Count the references from inside the heap, as root discovery does.
        // Sized for the whole heap up front: growing tables rehash every entry each time.
        let mut objects = Vec::with_capacity(self.objects.get());
        let mut internal: ByObject<usize> =
            ByObject::with_capacity_and_hasher(self.objects.get(), Default::default());
        space.for_each_object(|object| {
            // SAFETY: every object of the space is allocated.
            let header = unsafe { object.as_ref() };
            if header.is_dead() {
                return;
            }
            objects.push(object);
            for edge in edges(object, &mut tracer) {
                *internal.entry(edge).or_default() += 1;
            }
        });
        let step = |object: NonNull<Header>| {
            // SAFETY: an object of the space (the walk only visits those).
            let header = unsafe { object.as_ref() };
            Retainer {
                type_name: (header.vtable().type_name)(),
                address: object.as_ptr() as usize,
                handles: header.handles() as usize,
                internal: internal.get(&object).copied().unwrap_or(0),
            }
        };
        let target_step = step(goal);
        let outside = target_step.outside();
        if outside > 1 {
            // Held from outside by more than the caller's handle: a root itself.
            return Ok(RetainerPath {
                steps: vec![target_step],
                held_only_by_caller: false,
            });
        }

        // 2. Breadth first from every other root: the first chain found is a shortest one.
        let mut parent: ByObject<Option<NonNull<Header>>> =
            ByObject::with_capacity_and_hasher(objects.len(), Default::default());
        let mut queue = VecDeque::new();
        for &object in &objects {
            // SAFETY: an object of the space.
            let handles = unsafe { object.as_ref() }.handles() as usize;
            if object != goal && handles > internal.get(&object).copied().unwrap_or(0) {
                parent.insert(object, None);
                queue.push_back(object);
            }
        }
        let mut found = false;
        'walk: while let Some(object) = queue.pop_front() {
            for edge in edges(object, &mut tracer) {
                // SAFETY: a handle's target is allocated.
                if parent.contains_key(&edge) || unsafe { edge.as_ref() }.is_dead() {
                    continue;
                }
                parent.insert(edge, Some(object));
                if edge == goal {
                    found = true;
                    break 'walk;
                }
                queue.push_back(edge);
            }
        }
        if !found {
            return if outside == 1 {
                Ok(RetainerPath {
                    steps: vec![target_step],
                    held_only_by_caller: true,
                })
            } else {
                Err(RetainersError::Unreachable)
            };
        }
        let mut steps = vec![target_step];
        let mut at = parent[&goal];
        while let Some(object) = at {
            steps.push(step(object));
            at = parent[&object];
        }
        steps.reverse();
        Ok(RetainerPath {
            steps,
            held_only_by_caller: false,
        })
    }
}

/// Hashes an object's address for the walk's side tables: one multiply instead of SipHash
/// (the keys are addresses, not attacker-chosen), which makes the walk several times faster.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_usize(self.0 as usize ^ usize::from(b));
        }
    }

    fn write_usize(&mut self, n: usize) {
        // Fibonacci hashing; the fold brings the product's high bits (which depend on every
        // address bit) down to the low bits the table indexes with.
        let h = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

/// A side table keyed by object.
type ByObject<V> = HashMap<NonNull<Header>, V, BuildHasherDefault<AddressHasher>>;

/// The handles into this heap that `object` holds (none if it is dead or cannot hold any).
fn edges(object: NonNull<Header>, tracer: &mut Tracer) -> std::vec::Drain<'_, NonNull<Header>> {
    // SAFETY: the caller passes an allocated object.
    let header = unsafe { object.as_ref() };
    tracer.stack.clear();
    if !header.is_dead() && header.vtable().needs_trace {
        // SAFETY: a live object's value is initialised and not dropped; the collect mode only
        // records edges.
        unsafe { (header.vtable().trace)(object, tracer) };
    }
    tracer.stack.drain(..)
}
