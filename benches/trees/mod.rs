//! One module per heap, each running the same binary-trees algorithm and printing the same output.

pub mod arena;
pub mod boa;
pub mod boxed;
pub mod bump;
pub mod dumpster;
pub mod prologue;
pub mod rust_gc;
