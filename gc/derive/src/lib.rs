//! `#[derive(Trace)]` for prologue-gc (skeleton).
