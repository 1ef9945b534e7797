// Handle counts are not atomic: a Gc cannot cross threads.
use prologue_gc::Heap;

fn main() {
    let heap = Heap::new();
    let value = heap.alloc(1u32);
    std::thread::spawn(move || drop(value));
}
