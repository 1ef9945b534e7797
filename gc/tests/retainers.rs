//! `Heap::retainers`: the shortest chain from a root to an object, the caller's own handle,
//! the failure modes, and that it disturbs no cycle (between incremental steps included).

use std::any::type_name;

use prologue_gc::{Gc, GcCell, Heap, RetainersError, Trace};

mod common;
use common::stepping::{count_starts, finish_two_cycles, step_into_a_cycle, torture_heap};
use common::stepping::{CellHolder as Holder, Leaf};

#[derive(Trace)]
struct Node {
    name: &'static str,
    next: GcCell<Option<Gc<Node>>>,
}

fn node(heap: &Heap, name: &'static str, next: Option<&Gc<Node>>) -> Gc<Node> {
    heap.alloc(Node {
        name,
        next: GcCell::new(next.cloned()),
    })
}

#[test]
fn retainers_follow_a_known_chain_through_cell_fields() {
    let heap = Heap::new();
    let c = node(&heap, "c", None);
    let b = node(&heap, "b", Some(&c));
    let a = node(&heap, "a", Some(&b));
    let registry = heap.alloc(vec![a]);
    drop(b); // now only the registry (and the local `c`) hold anything from outside
    let path = heap.retainers(&c).unwrap();
    assert_eq!(path.len(), 4, "{path}");
    assert!(!path.held_only_by_caller());
    let names: Vec<&str> = path.steps().iter().map(|s| s.type_name).collect();
    assert_eq!(
        names,
        [
            type_name::<Vec<Gc<Node>>>(),
            type_name::<Node>(),
            type_name::<Node>(),
            type_name::<Node>()
        ]
    );
    assert!(path.root().is(&registry));
    assert_eq!(path.root().outside(), 1);
    assert!(path.target().is(&c));
    // The middle steps are a then b, each held only from inside the heap.
    let a = &registry[0];
    assert_eq!(a.name, "a");
    assert!(path.steps()[1].is(a));
    let b = a.next.borrow().clone().unwrap();
    assert!(path.steps()[2].is(&b));
    assert_eq!((path.steps()[1].handles, path.steps()[1].internal), (1, 1));
    assert_eq!((path.steps()[2].handles, path.steps()[2].internal), (1, 1));
    let text = path.to_string();
    assert_eq!(text.lines().count(), 1 + 4, "{text}");
    assert!(text.contains("root ") && text.contains("holds"), "{text}");
    heap.verify();
}

#[test]
fn retainers_give_the_shortest_of_two_chains() {
    let heap = Heap::new();
    let target = node(&heap, "t", None);
    let long3 = node(&heap, "l3", Some(&target));
    let long2 = node(&heap, "l2", Some(&long3));
    let long1 = node(&heap, "l1", Some(&long2));
    let short = node(&heap, "s", Some(&target));
    let roots = heap.alloc(vec![long1.clone(), short.clone()]);
    drop((long1, long2, long3, short));
    let path = heap.retainers(&target).unwrap();
    assert_eq!(path.len(), 3, "{path}");
    assert!(path.root().is(&roots));
    assert!(path.steps()[1].is(&roots[1]));
}

#[test]
fn a_target_held_only_by_the_callers_handle_is_a_path_of_one_marked_as_such() {
    let heap = Heap::new();
    let lonely = node(&heap, "lonely", None);
    let path = heap.retainers(&lonely).unwrap();
    assert_eq!(path.len(), 1);
    assert!(path.held_only_by_caller());
    assert!(path.root().is(&lonely) && path.target().is(&lonely));
    assert!(
        path.to_string().contains("held only by the handle"),
        "{path}"
    );

    // A second outside handle makes it a root in its own right.
    let other = lonely.clone();
    let path = heap.retainers(&lonely).unwrap();
    assert_eq!(path.len(), 1);
    assert!(!path.held_only_by_caller());
    assert_eq!(path.root().outside(), 2);
    drop(other);

    // Held by the caller and from inside a rooted object: the chain is what keeps it alive
    // once the caller's handle goes.
    let holder = node(&heap, "holder", Some(&lonely));
    let path = heap.retainers(&lonely).unwrap();
    assert_eq!(path.len(), 2, "{path}");
    assert!(path.root().is(&holder));
}

#[test]
fn retainers_walk_cycles_and_report_the_failure_modes() {
    let heap = Heap::new();
    let a = node(&heap, "a", None);
    let b = node(&heap, "b", Some(&a));
    *a.next.borrow_mut() = Some(b.clone());
    // b is held by the local `b` (the caller's handle) and by a, a root through the local
    // `a`: the chain from a is what keeps b once the caller lets go.
    let path = heap.retainers(&b).unwrap();
    assert_eq!(path.len(), 2, "{path}");
    assert!(path.root().is(&a));
    let path = heap.retainers(&a).unwrap();
    assert_eq!(path.len(), 2, "{path}"); // b's local handle makes b a root: b -> a
    assert!(path.root().is(&b) && path.target().is(&a));

    let other = Heap::new();
    let foreign = other.alloc(1u8);
    assert_eq!(heap.retainers(&foreign), Err(RetainersError::OtherHeap));

    // A handle that lies inside the heap is not an outside holder: through one into an
    // unreachable cycle there is no path.
    drop(a);
    let b_raw: *const Node = Gc::as_ptr(&b);
    drop(b);
    // SAFETY: a and b are garbage, but no cycle runs before the last use of `b_node` (neither
    // `retainers` nor anything else here allocates), so their memory is intact.
    let b_node = unsafe { &*b_raw };
    let inner = b_node.next.borrow();
    assert_eq!(
        heap.retainers(inner.as_ref().unwrap()),
        Err(RetainersError::Unreachable)
    );
}

#[test]
fn retainers_change_nothing_a_cycle_uses() {
    let heap = Heap::new();
    let c = node(&heap, "c", None);
    let _keep = node(&heap, "b", Some(&c));
    let garbage = node(&heap, "g", Some(&c));
    drop(garbage);
    for _ in 0..3 {
        heap.retainers(&c).unwrap();
    }
    heap.verify(); // no mark bit or internal count left over
    assert_eq!(heap.collect().objects_freed, 1);
}

// ---- during an incremental cycle (see tests/incremental.rs for the stepping) ----

/// The trap of tests/incremental.rs with a retainers walk between the two root checks: its
/// own count of internal references must not reach the headers, whose counts the cycle is
/// building, nor its walk the mark bits.
#[test]
fn retainers_between_incremental_steps_leave_the_cycle_correct() {
    for k in 0..40 {
        let heap = torture_heap();
        let started = count_starts(&heap);
        let x = heap.alloc(Leaf(7));
        let spacers: Vec<Gc<Leaf>> = (0..12).map(|i| heap.alloc(Leaf(100 + i))).collect();
        let a = heap.alloc(Holder {
            child: GcCell::new(Some(x.clone())),
            _pad: [0; 6],
        });
        step_into_a_cycle(&heap, &started, k);
        let path = heap.retainers(&x).unwrap();
        assert_eq!(path.len(), 2, "step {k}: {path}");
        assert!(path.root().is(&a));
        drop(x);
        let x = a.child.borrow().clone().unwrap();
        drop(a);
        let path = heap.retainers(&x).unwrap();
        assert!(path.held_only_by_caller(), "step {k}: {path}");
        finish_two_cycles(&heap);
        assert!(!Gc::is_dead(&x), "step {k}: X was swept while held");
        assert_eq!(x.0, 7);
        assert!(spacers.iter().all(|s| !Gc::is_dead(s)));
        heap.verify();
    }
}
