//! `car`, `cdr`, `string-length` and the one-argument predicates applied to a parameter,
//! read in place: `(car x)` pushes the car without first pushing `x`, `(if (null? x) ...)`
//! branches without pushing anything.
//!
//! Like [`fixnums`](super::fixnums), each becomes one instruction placed before the general
//! code of the same call (`LocalRaw` and `Fast` or `FastBranch`), which it skips when its
//! global still holds the primitive and the inline case applies; otherwise the general
//! code runs, with the primitive's own results and errors.

use super::bytecode::{Op, Pc, Src};
use super::code::NodeId;
use super::codegen::Gen;
use super::error::Result;
use super::fastops::FastOp;
use super::machine::Machine;
use super::value::Value;

/// Whether `op` has an inline case on a parameter as a value.
fn is_slot_value(op: FastOp) -> bool {
    matches!(
        op,
        FastOp::Car
            | FastOp::Cdr
            | FastOp::IsNull
            | FastOp::IsPair
            | FastOp::Not
            | FastOp::StringLength
    )
}

/// Whether `op` has an inline case on a parameter as an `if` test.
fn is_slot_test(op: FastOp) -> bool {
    matches!(
        op,
        FastOp::IsNull | FastOp::IsPair | FastOp::Not | FastOp::IsZero
    )
}

impl Gen<'_> {
    /// Emits a `FastSlot` for the call of `op` (global `g`) on `args` when it has an inline
    /// case on a parameter; returns where, for [`Program::patch_skip`] once the general
    /// code follows.
    ///
    /// [`Program::patch_skip`]: super::bytecode::Program::patch_skip
    pub(super) fn slot_call(&mut self, op: FastOp, g: u32, args: &[NodeId]) -> Result<Option<Pc>> {
        let Some(slot) = self.slot_arg(op, args, is_slot_value)? else {
            return Ok(None);
        };
        Ok(Some(self.emit(Op::FastSlot {
            f: op,
            skip: 0,
            slot,
            id: g,
        })))
    }

    /// Emits a `BranchSlot` for the `if` test `(op x)` (global `g`) when it has an inline
    /// case on a parameter; completed like a [`fixnums`](super::fixnums) test.
    pub(super) fn slot_test(&mut self, op: FastOp, g: u32, args: &[NodeId]) -> Result<Option<Pc>> {
        let Some(slot) = self.slot_arg(op, args, is_slot_test)? else {
            return Ok(None);
        };
        Ok(Some(self.emit(Op::BranchSlot {
            f: op,
            skip: 0,
            slot,
            id: g,
            target: 0,
        })))
    }

    /// The slot of the one argument, a parameter, of a call of `op` that `fits`.
    fn slot_arg(
        &mut self,
        op: FastOp,
        args: &[NodeId],
        fits: fn(FastOp) -> bool,
    ) -> Result<Option<u16>> {
        let [arg] = args else {
            return Ok(None);
        };
        if !fits(op) {
            return Ok(None);
        }
        Ok(match self.source(*arg)? {
            Some(Src::Local(slot)) => Some(slot),
            _ => None,
        })
    }
}

/// The machine's side.
impl Machine<'_> {
    /// A `FastSlot`: `true` when it pushed the result (the general code is to be skipped).
    #[inline(always)]
    pub(super) fn fast_slot(&mut self, f: FastOp, id: u32, slot: u16) -> bool {
        if !self.globals.is_builtin(id) {
            return false;
        }
        let v = &self.stack[self.bp + usize::from(slot)];
        let result = match (f, v) {
            (FastOp::Car, Value::Pair(p)) => p.car(),
            (FastOp::Cdr, Value::Pair(p)) => p.cdr(),
            (FastOp::IsNull, v) => Value::Bool(matches!(v, Value::Nil)),
            (FastOp::IsPair, v) => Value::Bool(matches!(v, Value::Pair(_))),
            (FastOp::Not, v) => Value::Bool(matches!(v, Value::Bool(false))),
            (FastOp::StringLength, Value::AStr(s)) => Value::Int(s.len() as i64),
            (FastOp::StringLength, Value::MStr(s)) => Value::Int(s.char_count() as i64),
            _ => return false,
        };
        self.stack.push(result);
        true
    }

    /// A `BranchSlot`: the test's answer, or `None` to run the general code.
    #[inline(always)]
    pub(super) fn test_slot(&self, f: FastOp, id: u32, slot: u16) -> Option<bool> {
        if !self.globals.is_builtin(id) {
            return None;
        }
        let v = &self.stack[self.bp + usize::from(slot)];
        Some(match (f, v) {
            (FastOp::IsNull, v) => matches!(v, Value::Nil),
            (FastOp::IsPair, v) => matches!(v, Value::Pair(_)),
            (FastOp::Not, v) => matches!(v, Value::Bool(false)),
            (FastOp::IsZero, Value::Int(i)) => *i == 0,
            _ => return None,
        })
    }
}
