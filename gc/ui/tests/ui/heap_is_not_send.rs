// A heap stays on the thread that made it.
use prologue_gc::Heap;

fn main() {
    let heap = Heap::new();
    std::thread::spawn(move || drop(heap));
}
