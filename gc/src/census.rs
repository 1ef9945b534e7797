//! [`Heap::census`]: live objects and bytes per Rust type, like the JVM's class histogram
//! (`jmap -histo`) or Go's heap profile by type.
//!
//! "Live" here means *held by the heap now*: every object that has not been found dead,
//! which includes garbage no cycle has looked at yet and garbage a lazy sweep has not reached.
//! That is what the heap's memory holds, it needs no cycle, and it agrees with
//! [`HeapStats::objects`](crate::HeapStats::objects). For only the reachable objects, call
//! [`Heap::collect`] first. Dead objects whose memory a stray handle keeps ("zombies": their
//! values are dropped) are not listed by type; the census counts them apart.
//!
//! Cost: one pass over the heap's objects reading each header (no tracing, no user code), and
//! one hash-map update per run of objects of one type; nothing in the heap changes.

use std::collections::HashMap;
use std::fmt;

use crate::header::{Header, VTable};
use crate::heap::{Heap, Phase};

/// Objects and bytes of one Rust type in a [`Census`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CensusEntry {
    /// The type, as [`std::any::type_name`] spells it (`str` and `[T]` for unsized values).
    pub type_name: &'static str,
    /// How many objects of the type the heap holds.
    pub objects: usize,
    /// Their bytes in the heap: header, value and the rounding up to a size class (a large
    /// object's whole allocation).
    pub bytes: usize,
}

/// What a heap holds, per Rust type, largest first: [`Heap::census`].
///
/// `Display` prints it as a table (a precision, `{:.10}`, prints only the first rows):
///
/// ```text
///  rank     objects         bytes  type
///     1        1000         32000  app::Node
///     2           1         16416  alloc::vec::Vec<prologue_gc::gc::Gc<app::Node>>
///         total 1001        48416  (2 types)
/// ```
/// With the `serde` feature it serialises as `entries` (largest first), `objects`, `bytes`,
/// `zombies` and `zombie_bytes`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Census {
    entries: Vec<CensusEntry>,
    objects: usize,
    bytes: usize,
    zombies: usize,
    zombie_bytes: usize,
}

impl Census {
    /// One census of several heaps (the heaps of several threads, say): the counts of each
    /// type added up, largest first.
    ///
    /// ```
    /// use prologue_gc::{Census, Heap};
    /// let (a, b) = (Heap::new(), Heap::new());
    /// let _x = (a.alloc(1u8), b.alloc(2u8), b.alloc_str("s"));
    /// let both = Census::merge([a.census().unwrap(), b.census().unwrap()]);
    /// assert_eq!(both.get("u8").unwrap().objects, 2);
    /// assert_eq!(both.objects(), 3);
    /// ```
    pub fn merge(parts: impl IntoIterator<Item = Census>) -> Census {
        let mut by_name: HashMap<&'static str, (usize, usize)> = HashMap::new();
        let mut merged = Census::default();
        for part in parts {
            merged.zombies += part.zombies;
            merged.zombie_bytes += part.zombie_bytes;
            for e in part.entries {
                let sum = by_name.entry(e.type_name).or_default();
                sum.0 += e.objects;
                sum.1 += e.bytes;
            }
        }
        merged.set_entries(by_name);
        merged
    }

    /// Sets the entries from per-type sums, sorted largest first, and the totals.
    fn set_entries(&mut self, by_name: HashMap<&'static str, (usize, usize)>) {
        self.entries = by_name
            .into_iter()
            .map(|(type_name, (objects, bytes))| CensusEntry {
                type_name,
                objects,
                bytes,
            })
            .collect();
        self.entries.sort_by(|a, b| {
            (b.bytes, b.objects)
                .cmp(&(a.bytes, a.objects))
                .then(a.type_name.cmp(b.type_name))
        });
        self.objects = self.entries.iter().map(|e| e.objects).sum();
        self.bytes = self.entries.iter().map(|e| e.bytes).sum();
    }

    /// Every type the heap holds objects of, largest (in bytes) first.
    pub fn entries(&self) -> &[CensusEntry] {
        &self.entries
    }

    /// The entries, largest first.
    pub fn iter(&self) -> std::slice::Iter<'_, CensusEntry> {
        self.entries.iter()
    }

    /// The entry of the type spelled `type_name` (as [`std::any::type_name`] spells it), if
    /// the heap holds any object of it.
    ///
    /// ```
    /// let heap = prologue_gc::Heap::new();
    /// let _n = heap.alloc(7u32);
    /// let census = heap.census().unwrap();
    /// assert_eq!(census.get(std::any::type_name::<u32>()).unwrap().objects, 1);
    /// assert!(census.get("u64").is_none());
    /// ```
    pub fn get(&self, type_name: &str) -> Option<&CensusEntry> {
        self.entries.iter().find(|e| e.type_name == type_name)
    }

    /// The `n` largest entries (fewer if the heap holds fewer types).
    pub fn top(&self, n: usize) -> &[CensusEntry] {
        &self.entries[..n.min(self.entries.len())]
    }

    /// Objects counted, all types together (zombies excluded).
    pub fn objects(&self) -> usize {
        self.objects
    }

    /// Their bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Dead objects whose memory stays because a handle still names them (see
    /// [`Gc`](crate::Gc)'s "Dead objects"); not in any entry.
    pub fn zombies(&self) -> usize {
        self.zombies
    }

    /// The zombies' bytes.
    pub fn zombie_bytes(&self) -> usize {
        self.zombie_bytes
    }

    /// How many types the census lists.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the heap held no object (zombies aside).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a> IntoIterator for &'a Census {
    type Item = &'a CensusEntry;
    type IntoIter = std::slice::Iter<'a, CensusEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

impl fmt::Display for Census {
    /// A table like `jmap -histo`; `{:.N}` prints only the `N` largest rows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = f.precision().unwrap_or(usize::MAX).min(self.entries.len());
        writeln!(f, " rank     objects         bytes  type")?;
        for (i, e) in self.entries[..shown].iter().enumerate() {
            writeln!(
                f,
                "{:>5} {:>11} {:>13}  {}",
                i + 1,
                e.objects,
                e.bytes,
                e.type_name
            )?;
        }
        let hidden = &self.entries[shown..];
        if !hidden.is_empty() {
            let objects: usize = hidden.iter().map(|e| e.objects).sum();
            let bytes: usize = hidden.iter().map(|e| e.bytes).sum();
            writeln!(
                f,
                "{:>5} {:>11} {:>13}  ({} more types)",
                "...",
                objects,
                bytes,
                hidden.len()
            )?;
        }
        write!(
            f,
            "total {:>11} {:>13}  ({} types)",
            self.objects,
            self.bytes,
            self.entries.len()
        )?;
        if self.zombies != 0 {
            write!(
                f,
                "\nzombies {:>9} {:>13}  (dead, kept by a handle)",
                self.zombies, self.zombie_bytes
            )?;
        }
        writeln!(f)
    }
}

/// Why [`Heap::census`] or [`Heap::retainers`](crate::Heap::retainers) could not look at
/// the heap: it was called from user code the collector runs in the middle of a cycle
/// (`Trace::trace`, a destructor or finalizer, a pool drain), where the heap is not in a
/// state to be walked. Between cycles, between the steps of an incremental cycle, and in
/// the observers of [`Heap::on_cycle`] and [`Heap::on_pause`], both work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapBusy {
    what: &'static str,
    phase: Phase,
}

impl fmt::Display for HeapBusy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "prologue-gc: {}() called while the heap is busy (phase {:?}: from Trace::trace, a \
             destructor or finalizer run by the collector, or a pool drain); call it between \
             cycles or from a cycle observer",
            self.what, self.phase
        )
    }
}

impl std::error::Error for HeapBusy {}

impl Heap {
    /// Whether the heap can be walked now: idle (between cycles or between the steps of an
    /// incremental one) or reporting (observers: the cycle's work is done, the space
    /// consistent, nothing borrowed). Anywhere else a sweep may hold objects outside the
    /// space's lists, or user `trace` code is running.
    pub(crate) fn walkable_now(&self, what: &'static str) -> Result<(), HeapBusy> {
        match self.phase.get() {
            Phase::Idle | Phase::End => Ok(()),
            phase => Err(HeapBusy { what, phase }),
        }
    }

    /// Live objects and bytes per Rust type, largest first: what the heap holds now, like the
    /// JVM's class histogram.
    ///
    /// "Live" means not found dead: garbage that no cycle has found yet, or that a lazy sweep
    /// has not reached, is counted (so the totals agree with [`Heap::stats`]). Call
    /// [`collect`](Heap::collect) first to count only what is reachable. Cost: one pass over
    /// the heap's objects, reading headers only; it runs no user code and changes no state a
    /// cycle uses, so it may be called between the steps of an incremental cycle and from
    /// cycle and pause observers.
    ///
    /// # Errors
    /// [`HeapBusy`] when called from user code the collector runs mid-cycle (a destructor, a
    /// finalizer, `Trace::trace`, a pool drain).
    ///
    /// ```
    /// use prologue_gc::{Gc, Heap, Trace};
    ///
    /// #[derive(Trace)]
    /// struct Node { next: Option<Gc<Node>> }
    ///
    /// let heap = Heap::new();
    /// let a = heap.alloc(Node { next: None });
    /// let b = heap.alloc(Node { next: Some(a.clone()) });
    /// let _name = heap.alloc_str("b");
    /// drop(heap.alloc(0u64)); // garbage: counted until a cycle finds it
    /// heap.collect();
    ///
    /// let census = heap.census().unwrap();
    /// let nodes = census.get(std::any::type_name::<Node>()).unwrap();
    /// assert_eq!(nodes.objects, 2);
    /// assert_eq!(census.get("str").unwrap().objects, 1);
    /// assert!(census.get("u64").is_none());
    /// assert_eq!(census.objects(), 3);
    /// assert_eq!(census.top(1)[0].type_name, nodes.type_name); // the largest
    /// println!("{census}");
    /// # drop((a, b));
    /// ```
    pub fn census(&self) -> Result<Census, HeapBusy> {
        self.walkable_now("census")?;
        // Claimed slots hold no object yet: give them back before walking the bitmaps (every
        // cycle step does the same, so this changes nothing a cycle relies on).
        self.flush_slot_caches();
        let space = self.space.borrow();
        let mut census = Census::default();
        let mut by_vtable: HashMap<*const VTable, (usize, usize)> = HashMap::new();
        // Objects of one type tend to sit together (pages hold one size class): add runs up
        // before touching the map.
        let mut run: (*const VTable, usize, usize) = (std::ptr::null(), 0, 0);
        space.for_each_object(|object| {
            // SAFETY: every object of the space is allocated, so its header is readable.
            let header = unsafe { object.as_ref() };
            // SAFETY: allocated, and its vtable matches the allocation.
            let bytes = unsafe { Header::footprint(object) };
            if header.is_dead() {
                census.zombies += 1;
                census.zombie_bytes += bytes;
                return;
            }
            let vtable: *const VTable = header.vtable();
            if vtable != run.0 {
                if run.1 != 0 {
                    let e = by_vtable.entry(run.0).or_default();
                    e.0 += run.1;
                    e.1 += run.2;
                }
                run = (vtable, 0, 0);
            }
            run.1 += 1;
            run.2 += bytes;
        });
        if run.1 != 0 {
            let e = by_vtable.entry(run.0).or_default();
            e.0 += run.1;
            e.1 += run.2;
        }
        drop(space);
        // One type may have several vtables (one with a finalizer, copies from several
        // codegen units): the census is by type.
        let mut by_name: HashMap<&'static str, (usize, usize)> = HashMap::new();
        for (vtable, (objects, bytes)) in by_vtable {
            // SAFETY: every key is a `&'static VTable` read from an object's header.
            let name = (unsafe { &*vtable }.type_name)();
            let e = by_name.entry(name).or_default();
            e.0 += objects;
            e.1 += bytes;
        }
        census.set_entries(by_name);
        Ok(census)
    }
}
