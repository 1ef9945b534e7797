//! `GcStr` and `GcSlice`: one-word handles that the collector must treat exactly as the `Gc`
//! they convert from (counted in the same header, traced as edges, panicking when dead).

use std::panic::{catch_unwind, AssertUnwindSafe};

use prologue_gc::{Config, Gc, GcCell, GcSlice, GcStr, Heap, Trace};

mod common;
use common::panic_message;
use common::resurrect::{self, Resurrector};

fn heap() -> Heap {
    Heap::with_config(Config::default().torture(false))
}

#[test]
fn conversions_move_the_count_and_clones_add_to_it() {
    let heap = heap();
    let fat = heap.alloc_str("héllo");
    let thin = GcStr::from(fat.clone());
    assert_eq!(
        Gc::handle_count(&fat),
        2,
        "the conversion moved a count, not made one"
    );
    let second = thin.clone();
    assert_eq!(Gc::handle_count(&fat), 3);
    assert_eq!(&*second, "héllo");
    assert_eq!(second.len(), "héllo".len());
    drop(second);
    let back = thin.into_gc();
    assert_eq!(Gc::handle_count(&fat), 2);
    assert!(Gc::ptr_eq(&back, &fat));

    let xs = GcSlice::from(heap.alloc_slice(&[1u32, 2, 3]));
    let ys = xs.clone();
    assert!(GcSlice::ptr_eq(&xs, &ys));
    assert_eq!(Gc::handle_count(&ys.clone().into_gc()), 3);
    assert_eq!(&*xs, &[1, 2, 3]);
    assert_eq!(xs, ys);
}

#[test]
fn empty_strings_and_slices_have_a_length_prefix_too() {
    let heap = heap();
    let s = GcStr::from(heap.alloc_str(""));
    let xs = GcSlice::<u64>::from(heap.alloc_slice(&[]));
    heap.collect();
    assert_eq!((&*s, xs.len()), ("", 0));
}

#[test]
fn a_thin_handle_outside_the_heap_is_a_root_and_its_drop_releases_the_object() {
    let heap = heap();
    let leaves: Vec<Gc<u64>> = (0..4).map(|i| heap.alloc(i)).collect();
    let slice = GcSlice::from(heap.alloc_from_vec(leaves));
    let text = GcStr::from(heap.alloc_str("kept"));
    let cycle = heap.collect();
    assert_eq!(cycle.objects_freed, 0);
    assert_eq!(*slice[3], 3);
    assert_eq!(&*text, "kept");
    heap.verify();
    drop((slice, text));
    assert_eq!(heap.collect().objects_freed, 6);
    assert_eq!(heap.stats().objects, 0);
}

#[derive(Trace)]
struct Node {
    name: GcStr,
    kids: GcCell<Option<GcSlice<Gc<Node>>>>,
}

/// A cycle node -> slice -> node, with both links thin: if a thin handle were not traced as
/// an edge, the slice and the name would look held from outside and leak.
#[test]
fn a_cycle_through_thin_handles_is_collected() {
    let heap = heap();
    let node = heap.alloc(Node {
        name: GcStr::from(heap.alloc_str("root")),
        kids: GcCell::new(None),
    });
    let kids = GcSlice::from(heap.alloc_slice(std::slice::from_ref(&node)));
    *node.kids.borrow_mut() = Some(kids);
    assert_eq!(heap.collect().objects_freed, 0);
    assert_eq!(&*node.kids.borrow().as_ref().unwrap()[0].name, "root");
    heap.verify();
    drop(node);
    let cycle = heap.collect();
    assert_eq!(
        cycle.objects_freed, 3,
        "node, its slice of kids and its name"
    );
    assert_eq!(heap.stats().objects, 0);
}

/// Rule 5 for thin handles: a handle a destructor moves out keeps its object's memory, and
/// using it panics instead of reading the dropped value (or a freed length prefix).
#[test]
fn a_resurrected_thin_handle_panics_instead_of_dangling() {
    let heap = heap();
    let holder = heap.alloc(Resurrector {
        target: Some(GcStr::from(heap.alloc_str("gone"))),
    });
    drop(holder);
    let cycle = heap.collect();
    assert_eq!((cycle.objects_freed, cycle.zombies), (2, 1));
    let handle = resurrect::take_all::<GcStr>().pop().unwrap();
    assert!(GcStr::is_dead(&handle));
    let read = catch_unwind(AssertUnwindSafe(|| handle.len()));
    assert!(panic_message(read.unwrap_err()).contains("dereferenced a Gc<str>"));
    let clone = catch_unwind(AssertUnwindSafe(|| handle.clone()));
    assert!(panic_message(clone.unwrap_err()).contains("cloned a Gc<str>"));
    let fat = handle.into_gc();
    assert!(Gc::is_dead(&fat), "a dead handle converts, and stays dead");
    assert_eq!(heap.collect().zombies, 1, "still held: the zombie stays");
    drop(fat);
    let cycle = heap.collect();
    assert_eq!(cycle.zombies, 0);
    assert_eq!(heap.stats().bytes, 0);
    heap.verify();
}
