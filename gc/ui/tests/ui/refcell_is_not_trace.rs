// RefCell is not traceable (a mutable borrow could alias the collector's read): use GcCell.
use prologue_gc::{Gc, Heap};
use std::cell::RefCell;

fn main() {
    let heap = Heap::new();
    let _ = heap.alloc(RefCell::new(None::<Gc<u32>>));
}
