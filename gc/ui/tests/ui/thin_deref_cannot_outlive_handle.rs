// Text read through a one-word handle cannot outlive the handle that keeps it alive.
use prologue_gc::{GcStr, Heap};

fn main() {
    let heap = Heap::new();
    let reference: &str;
    {
        let handle = GcStr::from(heap.alloc_str("short-lived"));
        reference = &*handle;
    }
    println!("{reference}");
}
