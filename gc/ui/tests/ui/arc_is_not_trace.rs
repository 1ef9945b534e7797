// Arc hides how many handles exist (rule 3 of Trace): it cannot go into a heap.
use prologue_gc::Heap;
use std::sync::Arc;

fn main() {
    let heap = Heap::new();
    let _ = heap.alloc(Arc::new(5u32));
}
