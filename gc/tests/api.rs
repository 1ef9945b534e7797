//! The public API behaves as documented: allocation, handles, cells, derive, statistics.

use std::collections::{BTreeMap, HashMap, HashSet};

use prologue_gc::{Config, Gc, GcCell, GcRef, GcRefMut, Heap, Trace, Tracer, WeakGc};

#[derive(Trace)]
struct Pair<T> {
    left: T,
    right: Option<Gc<Pair<T>>>,
    #[trace(skip)]
    label: std::rc::Rc<str>,
}

#[derive(Trace)]
enum Shape {
    Empty,
    Leaf(u32),
    Node {
        kids: Vec<Gc<Shape>>,
        #[trace(skip)]
        _tag: &'static str,
    },
}

#[derive(Trace)]
struct Unit;

#[derive(Trace)]
struct Leaves {
    a: u64,
    b: String,
    c: Vec<(i32, char)>,
}

struct Manual {
    field: Gc<u32>,
}

// SAFETY: visits its one handle once.
unsafe impl Trace for Manual {
    fn trace(&self, t: &mut Tracer) {
        self.field.trace(t);
    }
}

fn heap() -> Heap {
    Heap::with_config(Config::default().torture(false))
}

#[test]
fn needs_trace_is_false_for_leaf_types_and_true_for_handles() {
    const { assert!(!<Leaves as Trace>::NEEDS_TRACE) };
    const { assert!(!<Unit as Trace>::NEEDS_TRACE) };
    const { assert!(!<Vec<String> as Trace>::NEEDS_TRACE) };
    const { assert!(<Shape as Trace>::NEEDS_TRACE) };
    const { assert!(<Pair<u8> as Trace>::NEEDS_TRACE) };
    const { assert!(<Option<Gc<u8>> as Trace>::NEEDS_TRACE) };
    const { assert!(!<WeakGc<u8> as Trace>::NEEDS_TRACE) };
    const { assert!(<Manual as Trace>::NEEDS_TRACE) };
}

#[test]
fn derived_generic_struct_and_enum_trace_their_handles() {
    let heap = heap();
    let tail = heap.alloc(Pair {
        left: 2u8,
        right: None,
        label: "tail".into(),
    });
    let head = heap.alloc(Pair {
        left: 1u8,
        right: Some(tail),
        label: "head".into(),
    });
    let leaf = heap.alloc(Shape::Leaf(3));
    let tree = heap.alloc(Shape::Node {
        kids: vec![leaf, heap.alloc(Shape::Empty)],
        _tag: "t",
    });
    let cycle = heap.collect();
    assert_eq!(cycle.objects_freed, 0);
    assert_eq!(cycle.objects_live, 5);
    assert_eq!(
        cycle.roots_found, 2,
        "only head and tree are held from outside"
    );
    assert_eq!(head.right.as_ref().unwrap().left, 2);
    assert_eq!(&*head.label, "head");
    match &*tree {
        Shape::Node { kids, .. } => assert!(matches!(*kids[0], Shape::Leaf(3))),
        _ => panic!("wrong variant"),
    }
    drop((head, tree));
    assert_eq!(heap.collect().objects_freed, 5);
    assert_eq!(heap.stats().objects, 0);
}

#[test]
fn std_containers_trace_their_handles() {
    let heap = heap();
    let mut map = HashMap::new();
    map.insert(1, heap.alloc(1));
    let mut bmap = BTreeMap::new();
    bmap.insert(2, heap.alloc(2));
    let mut set = HashSet::new();
    set.insert(heap.alloc(3));
    let boxed: Box<[Gc<i32>]> = vec![heap.alloc(4)].into_boxed_slice();
    let tuple = (heap.alloc(5), [heap.alloc(6)], Ok::<_, ()>(heap.alloc(7)));
    let all = heap.alloc((map, bmap, set, boxed, tuple));
    let manual = heap.alloc(Manual {
        field: heap.alloc(8),
    });
    assert_eq!(heap.collect().objects_live, 10);
    assert_eq!(*manual.field, 8);
    drop((all, manual));
    assert_eq!(heap.collect().objects_freed, 10);
}

#[test]
fn handles_forward_comparison_hashing_and_formatting() {
    let heap = heap();
    let a = heap.alloc(String::from("a"));
    let b = heap.alloc(String::from("b"));
    assert!(a < b);
    assert_eq!(a, heap.alloc(String::from("a")));
    assert_eq!(format!("{a} {a:?}"), "a \"a\"");
    let set: HashSet<Gc<String>> = [a.clone(), b.clone(), a.clone()].into_iter().collect();
    assert_eq!(set.len(), 2);
    assert_eq!(
        Gc::handle_count(&a),
        2,
        "`a` plus the one copy the set kept"
    );
    assert!(!Gc::is_dead(&a));
    assert_eq!(Gc::try_get(&a).map(String::as_str), Some("a"));
}

#[test]
fn gc_cell_borrows_like_refcell() {
    let cell = GcCell::new(vec![1, 2]);
    {
        let r1 = cell.borrow();
        let r2 = GcRef::clone(&r1);
        assert_eq!(r1.len() + r2.len(), 4);
        assert!(cell.try_borrow_mut().is_err());
        let first = GcRef::map(r2, |v| &v[0]);
        assert_eq!(*first, 1);
    }
    {
        let mut w = cell.borrow_mut();
        w.push(3);
        assert!(cell.try_borrow().is_err());
        assert!(cell.is_mutably_borrowed());
        let mut last = GcRefMut::map(w, |v| v.last_mut().unwrap());
        *last = 30;
    }
    assert_eq!(*cell.borrow(), [1, 2, 30]);
    assert_eq!(cell.replace(vec![]), [1, 2, 30]);
    assert_eq!(format!("{cell:?}"), "GcCell { value: [] }");
}

#[test]
#[should_panic(expected = "GcCell already mutably borrowed")]
fn gc_cell_borrow_while_mutably_borrowed_panics() {
    let cell = GcCell::new(1);
    let _w = cell.borrow_mut();
    let _r = cell.borrow();
}

#[test]
fn stats_count_cycles_objects_and_pauses() {
    let heap = heap();
    let keep: Vec<_> = (0..10u64).map(|i| heap.alloc(i)).collect();
    for i in 0..20u64 {
        drop(heap.alloc(i));
    }
    let cycle = heap.collect();
    assert_eq!(cycle.cycle, 1);
    assert_eq!(cycle.objects_freed, 20);
    assert_eq!(cycle.objects_live, 10);
    assert!(cycle.heap_before > cycle.heap_after);
    assert_eq!(cycle.heap_before - cycle.heap_after, cycle.bytes_freed);
    assert!(cycle.pause >= cycle.mark);
    let stats = heap.stats();
    assert_eq!(stats.cycles, 1);
    assert_eq!(stats.objects, 10);
    assert_eq!(stats.allocations, 30);
    assert_eq!(stats.objects_freed, 20);
    assert_eq!(stats.bytes, cycle.heap_after);
    assert!(stats.peak_bytes >= cycle.heap_before);
    assert_eq!(stats.next_goal, Config::default().min_heap_bytes);
    assert!(stats.pause_p50 <= stats.pause_p99 && stats.pause_p99 <= stats.pause_max);
    drop(keep);
}

#[test]
fn observers_see_every_cycle() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let heap = heap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&seen);
    heap.on_cycle(move |c| sink.borrow_mut().push((c.cycle, c.objects_freed)));
    drop(heap.alloc(1));
    heap.collect();
    heap.collect();
    assert_eq!(*seen.borrow(), [(1, 1), (2, 0)]);
}

#[test]
fn handles_are_one_pointer_and_option_uses_the_niche() {
    use std::mem::size_of;
    assert_eq!(size_of::<Gc<u64>>(), size_of::<usize>());
    assert_eq!(size_of::<Option<Gc<u64>>>(), size_of::<usize>());
    assert_eq!(size_of::<Gc<str>>(), 2 * size_of::<usize>());
}

#[test]
fn over_aligned_values_are_aligned() {
    #[derive(Trace)]
    #[repr(align(64))]
    struct Wide(u8);
    let heap = heap();
    let values: Vec<Gc<Wide>> = (0..16).map(|i| heap.alloc(Wide(i))).collect();
    for (i, v) in values.iter().enumerate() {
        assert_eq!(Gc::as_ptr(v) as usize % 64, 0);
        assert_eq!(v.0, i as u8);
    }
    let zst = heap.alloc(());
    assert_eq!(*zst, ());
    drop((values, zst));
    assert_eq!(heap.collect().objects_freed, 17);
}
