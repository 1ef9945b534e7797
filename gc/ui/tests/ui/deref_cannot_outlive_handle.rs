// A reference obtained through a handle cannot outlive the handle that keeps the object alive.
use prologue_gc::Heap;

fn main() {
    let heap = Heap::new();
    let reference: &String;
    {
        let handle = heap.alloc(String::from("short-lived"));
        reference = &*handle;
    }
    println!("{reference}");
}
