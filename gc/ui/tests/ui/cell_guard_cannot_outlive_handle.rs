// A GcCell borrow guard cannot outlive the handle to the object that holds the cell.
use prologue_gc::{GcCell, Heap};

fn main() {
    let heap = Heap::new();
    let guard = {
        let cell = heap.alloc(GcCell::new(vec![1u8]));
        cell.borrow_mut()
    };
    drop(guard);
}
