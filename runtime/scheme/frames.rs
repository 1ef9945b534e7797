//! What the machine keeps for a pending call: the caller's place ([`Frame`]) and what the
//! value is for ([`Ret`]): code to go on with, a `map` in progress, or a control
//! primitive waiting for it.

use super::bytecode::Pc;
use super::control::Kont;
use super::error::{Result, SchemeError};
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

/// A pending call: what the caller was doing. Small (24 bytes), since every non-tail call
/// pushes one and every return pops one: stack positions are `u32` (the machine refuses a
/// call whose values start past `u32::MAX`, see [`position`]), and what the value is
/// for, when not the caller's code, waits on a stack of its own (`Machine::rets`).
#[derive(Clone)]
pub(super) struct Frame {
    /// The caller's next instruction (the call is the one before).
    pub(super) pc: Pc,
    /// The stack length to cut back to when the call returns.
    pub(super) ret_sp: u32,
    /// The caller's frame base (at or below `ret_sp`).
    pub(super) bp: u32,
    /// The caller runs the callee's closure (a procedure calling itself): the running
    /// closure's handle stands for it, so such a call neither clones nor drops a handle.
    /// Only the frame of the running activation can be `same`; a tail call to another
    /// closure first stores the running closure here (see `enter`).
    pub(super) same: bool,
    /// The value is not for the caller's code but for the innermost [`Ret`] on
    /// `Machine::rets` (pushed with this frame, popped with it).
    pub(super) waits: bool,
    /// The caller's closure (`None` at top level, or when `same`).
    pub(super) closure: Option<Gc<Closure>>,
}

// A frame's size is what a non-tail call writes and a return reads.
const _: () = assert!(std::mem::size_of::<Frame>() <= 24);

/// `at`, where a pending call's values start, as its frame records it. The caller's frame
/// base is at or below it, so it fits too.
#[inline(always)]
pub(super) fn position(at: usize) -> Result<u32> {
    u32::try_from(at).map_err(|_| stack_too_large())
}

#[cold]
#[inline(never)]
fn stack_too_large() -> SchemeError {
    SchemeError::limit(format!(
        "value stack too large (more than {} values)",
        u32::MAX
    ))
}

#[cfg(test)]
mod tests {
    use super::position;

    #[test]
    fn a_frame_records_positions_up_to_u32_max_and_refuses_larger() {
        assert_eq!(position(0).ok(), Some(0));
        assert_eq!(position(u32::MAX as usize).ok(), Some(u32::MAX));
        let e = position(u32::MAX as usize + 1).err().map(|e| e.message);
        assert_eq!(
            e.as_deref(),
            Some("value stack too large (more than 4294967295 values)")
        );
    }
}
