//! What the machine keeps for a pending call: the caller's place ([`Frame`]) and what the
//! value is for ([`Ret`]): code to go on with, a `map` in progress, or a control
//! primitive waiting for it.

use super::bytecode::Pc;
use super::control::Kont;
use super::gc::Gc;
use super::value::{Closure, Value};

/// What to do with the value a call produces. `Clone` because a continuation copies the
/// pending calls.
#[derive(Clone)]
pub(super) enum Ret {
    /// Push it and go on with the caller's code.
    Code,
    /// Feed it to a `map`, `for-each`, `vector-map` or `vector-for-each` in progress.
    Map(Box<MapState>),
    /// Hand it to a control primitive waiting for it.
    K(Box<Kont>),
}

/// The state of a `map`, `for-each`, `vector-map` or `vector-for-each`.
#[derive(Clone)]
pub(super) struct MapState {
    pub(super) func: Value,
    pub(super) lists: Vec<Value>,
    pub(super) acc: Vec<Value>,
    pub(super) remaining: usize,
    pub(super) collect: bool,
    pub(super) vector: Into,
    pub(super) ret: Ret,
}

/// What a collecting map builds from its results.
#[derive(Clone, Copy)]
pub(super) enum Into {
    /// A list (`map`).
    List,
    /// A vector (`vector-map`).
    Vector,
    /// A string (`string-map`).
    String,
}

/// A pending call: what the caller was doing.
#[derive(Clone)]
pub(super) struct Frame {
    /// The caller's next instruction (the call is the one before).
    pub(super) pc: Pc,
    /// The stack length to cut back to when the call returns.
    pub(super) ret_sp: usize,
    /// The caller's frame base.
    pub(super) bp: usize,
    /// The caller's closure (`None` at top level, or when `same`).
    pub(super) closure: Option<Gc<Closure>>,
    /// The caller runs the callee's closure (a procedure calling itself): the running
    /// closure's handle stands for it, so such a call neither clones nor drops a handle.
    /// Only the frame of the running activation can be `same`; a tail call to another
    /// closure first stores the running closure here (see `enter`).
    pub(super) same: bool,
    /// What the value is for.
    pub(super) ret: Ret,
}
