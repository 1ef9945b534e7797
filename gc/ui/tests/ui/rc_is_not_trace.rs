// Rc hides how many handles exist (rule 3 of Trace): a traced type may not hold one.
use prologue_gc::{Gc, Trace};
use std::rc::Rc;

#[derive(Trace)]
struct Shared {
    inner: Rc<Gc<u32>>,
}

fn main() {}
