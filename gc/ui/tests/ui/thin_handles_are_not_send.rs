// A one-word handle is counted like a Gc: it cannot cross threads either.
use prologue_gc::{GcSlice, GcStr, Heap};

fn main() {
    let heap = Heap::new();
    let text = GcStr::from(heap.alloc_str("text"));
    let items = GcSlice::from(heap.alloc_slice(&[1u32]));
    std::thread::spawn(move || drop(text));
    std::thread::spawn(move || drop(items));
}
