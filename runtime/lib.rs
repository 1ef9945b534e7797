//! prologue: a tracing garbage-collected runtime with object pools built into the collector (skeleton).

pub use prologue_gc::*;
pub use prologue_pool::*;
