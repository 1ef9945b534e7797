//! `Gc<str>` and `Gc<[T]>`: allocation, tracing of handles inside slices, odd layouts.

use std::panic::{catch_unwind, AssertUnwindSafe};

use prologue_gc::{Config, Gc, GcCell, Heap};

fn heap() -> Heap {
    Heap::with_config(Config::default().torture(false))
}

#[test]
fn strings_and_slices_round_trip() {
    let heap = heap();
    let empty = heap.alloc_str("");
    let s = heap.alloc_str("héllo wörld");
    let xs = heap.alloc_slice(&[1u8, 2, 3]);
    let none: Gc<[u64]> = heap.alloc_slice(&[]);
    let units = heap.alloc_slice(&[(), (), ()]);
    let wide = heap.alloc_slice(&[u128::MAX, 7]);
    assert_eq!(&*empty, "");
    assert_eq!(&*s, "héllo wörld");
    assert_eq!(s.chars().count(), 11);
    assert_eq!(&*xs, &[1, 2, 3]);
    assert!(none.is_empty());
    assert_eq!(units.len(), 3);
    assert_eq!(&*wide, &[u128::MAX, 7]);
    assert_eq!(
        Gc::as_ptr(&wide).cast::<u8>() as usize % std::mem::align_of::<u128>(),
        0
    );
    assert_eq!(format!("{s} {xs:?}"), "héllo wörld [1, 2, 3]");
    assert_eq!(heap.collect().objects_live, 6);
    heap.verify();
    drop((empty, s, xs, none, units, wide));
    assert_eq!(heap.collect().objects_freed, 6);
    assert_eq!(heap.stats().bytes, 0);
}

#[test]
fn handles_inside_a_slice_are_traced() {
    let heap = heap();
    let items: Vec<Gc<String>> = (0..5).map(|i| heap.alloc(i.to_string())).collect();
    let slice = heap.alloc_slice(&items);
    drop(items);
    let cycle = heap.collect();
    assert_eq!((cycle.objects_live, cycle.roots_found), (6, 1));
    assert_eq!(
        slice.iter().map(|s| s.as_str()).collect::<String>(),
        "01234"
    );
    drop(slice);
    assert_eq!(heap.collect().objects_freed, 6);
}

/// A heap slice of cells, each holding handles.
type Row = Gc<[GcCell<Vec<Gc<u8>>>]>;

#[test]
fn slices_of_cells_hold_handles() {
    let heap = heap();
    let nodes: Vec<Row> = (0..3)
        .map(|_| heap.alloc_slice(&[GcCell::new(Vec::new()), GcCell::new(Vec::new())]))
        .collect();
    let leaf = heap.alloc(9u8);
    nodes[2][1].borrow_mut().push(leaf.clone());
    drop(leaf);
    assert_eq!(heap.collect().objects_live, 4);
    assert_eq!(*nodes[2][1].borrow()[0], 9);
    drop(nodes);
    assert_eq!(heap.collect().objects_freed, 4);
}

#[derive(Debug)]
struct PanicsOnClone(u32, std::rc::Rc<std::cell::Cell<u32>>);

impl Clone for PanicsOnClone {
    fn clone(&self) -> PanicsOnClone {
        assert!(self.0 != 3, "clone failed on purpose");
        PanicsOnClone(self.0, self.1.clone())
    }
}

impl Drop for PanicsOnClone {
    fn drop(&mut self) {
        self.1.set(self.1.get() + 1);
    }
}

// SAFETY: holds no handles.
unsafe impl prologue_gc::Trace for PanicsOnClone {
    const NEEDS_TRACE: bool = false;
    fn trace(&self, _: &mut prologue_gc::Tracer) {}
}

#[test]
fn a_panicking_clone_in_alloc_slice_leaves_nothing_behind() {
    let heap = heap();
    let drops = std::rc::Rc::new(std::cell::Cell::new(0));
    let items: Vec<_> = (0..5).map(|i| PanicsOnClone(i, drops.clone())).collect();
    let result = catch_unwind(AssertUnwindSafe(|| heap.alloc_slice(&items)));
    assert!(result.is_err());
    assert_eq!(
        drops.get(),
        3,
        "the three clones made before the panic were dropped"
    );
    let stats = heap.stats();
    assert_eq!((stats.objects, stats.bytes), (0, 0));
    drop(items);
    heap.verify();
}
