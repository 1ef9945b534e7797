//! The example Scheme interpreter (skeleton).

/// Placeholder so the module compiles until the interpreter lands.
pub fn placeholder() {}
