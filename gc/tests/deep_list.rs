//! A 10-million-node linked list (1 million under PROLOGUE_SHORT=1): marking and sweeping it
//! must not recurse, so neither may overflow the native stack.

use prologue_gc::{Config, Gc, Heap, Trace};

#[derive(Trace)]
struct Node {
    value: u32,
    next: Option<Gc<Node>>,
}

#[test]
fn a_ten_million_node_list_is_marked_and_swept_without_recursion() {
    let short = std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1");
    let len: u32 = if short { 1_000_000 } else { 10_000_000 };
    let heap = Heap::with_config(
        Config::default()
            // No pacing cycles while building (they would re-mark the growing list: pacing is
            // tested elsewhere); torture mode would make this quadratic, so it is off here.
            .min_heap_bytes(usize::MAX)
            .torture(false),
    );
    let mut head: Option<Gc<Node>> = None;
    for value in 0..len {
        head = Some(heap.alloc(Node { value, next: head }));
    }
    let head = head.unwrap();
    let cycle = heap.collect();
    assert_eq!(cycle.objects_live, len as usize);
    assert_eq!(cycle.roots_found, 1);
    assert_eq!(cycle.objects_freed, 0);

    // Walk it: every node is intact.
    let (mut node, mut expected, mut count) = (Some(head.clone()), len, 0u32);
    while let Some(n) = node {
        expected -= 1;
        assert_eq!(n.value, expected);
        count += 1;
        node = n.next.clone();
    }
    assert_eq!(count, len);

    drop(head);
    let cycle = heap.collect();
    assert_eq!(cycle.objects_freed, len as usize);
    assert_eq!(heap.stats().objects, 0);
    assert_eq!(heap.stats().bytes, 0);
}
