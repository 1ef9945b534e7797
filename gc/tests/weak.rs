//! Weak handles: no keeping alive, `None` once swept, shared slots, cost only when used.

use prologue_gc::{Config, Gc, GcCell, Heap, Trace, WeakGc};

fn heap() -> Heap {
    Heap::with_config(Config::default().torture(false))
}

#[test]
fn upgrade_works_while_held_and_fails_once_swept() {
    let heap = heap();
    let strong = heap.alloc(String::from("x"));
    let weak = Gc::downgrade(&strong);
    assert_eq!(Gc::handle_count(&strong), 1, "a weak handle is not counted");
    assert_eq!(heap.collect().objects_freed, 0);
    let again = weak.upgrade().unwrap();
    assert!(Gc::ptr_eq(&again, &strong));
    drop((strong, again));
    assert!(!weak.is_dangling(), "not swept yet");
    assert_eq!(heap.collect().objects_freed, 1);
    assert!(weak.is_dangling());
    assert!(weak.upgrade().is_none());
    assert!(weak.clone().upgrade().is_none());
    assert_eq!(format!("{weak:?}"), "WeakGc(<swept>)");
}

#[test]
fn downgrades_of_one_object_share_a_slot_and_objects_without_weak_pay_nothing() {
    let heap = heap();
    let a = heap.alloc(1);
    let _b = heap.alloc(2);
    assert_eq!(heap.stats().weak_slots, 0);
    let w1 = Gc::downgrade(&a);
    let w2 = Gc::downgrade(&a);
    assert_eq!(heap.stats().weak_slots, 1);
    drop(a);
    heap.collect();
    assert_eq!(
        heap.stats().weak_slots,
        0,
        "the slot is forgotten when its object dies"
    );
    assert!(w1.upgrade().is_none() && w2.upgrade().is_none());
    heap.verify();
}

#[derive(Trace)]
struct Node {
    parent: GcCell<Option<WeakGc<Node>>>,
    children: GcCell<Vec<Gc<Node>>>,
}

#[test]
fn weak_back_edges_do_not_keep_a_tree_alive() {
    let heap = heap();
    let root = heap.alloc(Node {
        parent: GcCell::new(None),
        children: GcCell::new(vec![]),
    });
    for _ in 0..3 {
        let child = heap.alloc(Node {
            parent: GcCell::new(Some(Gc::downgrade(&root))),
            children: GcCell::new(vec![]),
        });
        root.children.borrow_mut().push(child);
    }
    let child = root.children.borrow()[0].clone();
    let parent = child.parent.borrow().as_ref().unwrap().upgrade().unwrap();
    assert!(Gc::ptr_eq(&parent, &root));
    drop(parent);
    assert_eq!(heap.collect().roots_found, 2);
    drop(root);
    // The child is still held: it survives, its parent does not.
    assert_eq!(heap.collect().objects_freed, 3);
    assert!(child.parent.borrow().as_ref().unwrap().upgrade().is_none());
    drop(child);
    assert_eq!(heap.collect().objects_freed, 1);
}

#[test]
fn weak_handles_to_unsized_values() {
    let heap = heap();
    let s = heap.alloc_str("weak str");
    let xs = heap.alloc_slice(&[1u16, 2, 3]);
    let (ws, wxs) = (Gc::downgrade(&s), Gc::downgrade(&xs));
    assert_eq!(&*ws.upgrade().unwrap(), "weak str");
    assert_eq!(&*wxs.upgrade().unwrap(), &[1, 2, 3]);
    drop((s, xs));
    heap.collect();
    assert!(ws.upgrade().is_none() && wxs.upgrade().is_none());
}

#[test]
fn weak_handles_outlive_their_heap_safely() {
    let heap = heap();
    let kept = heap.alloc(5u8);
    let gone = heap.alloc(6u8);
    let (wk, wg) = (Gc::downgrade(&kept), Gc::downgrade(&gone));
    drop(gone);
    drop(heap);
    assert!(
        wg.upgrade().is_none(),
        "swept by the heap's final collection"
    );
    assert_eq!(
        wk.upgrade().as_deref(),
        Some(&5),
        "leaked with the heap's survivors"
    );
    let late = Gc::downgrade(&kept);
    assert_eq!(late.upgrade().as_deref(), Some(&5));
}
