// Every traced field's type must implement Trace; #[trace(skip)] opts a handle-free field out.
use prologue_gc::Trace;

struct Opaque;

#[derive(Trace)]
struct Holder {
    opaque: Opaque,
}

#[derive(Trace)]
struct Fine {
    #[trace(skip)]
    opaque: Opaque,
}

fn main() {}
