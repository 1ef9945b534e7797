// A derived Trace type must not implement Drop: its destructor could reach dead objects.
use prologue_gc::{Gc, Trace};

#[derive(Trace)]
struct Node {
    next: Option<Gc<Node>>,
}

impl Drop for Node {
    fn drop(&mut self) {}
}

fn main() {}
