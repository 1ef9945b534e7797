//! `vector-ref`, `string-ref` and `vector-set!` whose vector (or string) is a parameter,
//! of the running procedure or captured, read in place: `(vector-ref v i)` pushes the
//! element without first pushing `v` and `i` (for a captured `v`, that push cloned the
//! vector's handle and the call dropped it again).
//!
//! Each is one instruction in place of the call's general code, holding its operands as
//! [`Src`]s: while the global holds the primitive and the inline case applies, it gives the
//! result at once; otherwise it pushes the operands as the general code would have and
//! goes on as a `Fast` call, so results and errors are the primitive's.

use super::bytecode::{Op, Src};
use super::code::{Node, NodeId};
use super::codegen::Gen;
use super::error::{Result, SchemeError};
use super::fastops::{ascii_at, FastOp};
use super::machine::Machine;
use super::value::{Slot, Value};

impl Gen<'_> {
    /// Emits a `FastRef` or `FastSet` for the call of `op` (global `g`) on `args` when its
    /// object and index are in-place operands (for `vector-set!`, the new value's code
    /// first); `false` when the general code is needed.
    pub(super) fn place_call(&mut self, op: FastOp, g: u32, args: &[NodeId]) -> Result<bool> {
        let (obj, index) = match (op, args) {
            (FastOp::VectorRef | FastOp::StringRef | FastOp::VectorSet, [obj, index, ..]) => {
                (*obj, *index)
            }
            _ => return Ok(false),
        };
        let Some((a, b)) = self.source(obj)?.zip(self.source(index)?) else {
            return Ok(false);
        };
        if matches!(a, Src::Small(_)) {
            return Ok(false);
        }
        let pos = self.pos;
        if let (FastOp::VectorSet, [_, _, x]) = (op, args) {
            if let Node::Const(v) = self.code.node(*x) {
                self.prog.consts.push(v.clone());
                let n = u32::try_from(self.prog.consts.len() - 1)
                    .map_err(|_| SchemeError::new("too many constants"))?;
                self.emit(Op::FastSetK(g, a, b, n));
                return Ok(true);
            }
            // `obj` and `index` are parameters, which nothing assigns: reading them after
            // `x` runs reads what the general code would have.
            self.expr(*x, false)?;
            self.pos = pos;
            self.emit(Op::FastSet(g, a, b));
        } else {
            self.emit(Op::FastRef(op, g, a, b));
        }
        Ok(true)
    }
}

/// The machine's side.
impl Machine<'_> {
    /// A `FastRef`'s inline case: the element, when global `id` holds its primitive and
    /// the operands are a vector (for `string-ref`, a string whose characters up to the
    /// index are ASCII) and an index in range.
    #[inline(never)]
    pub(super) fn fast_ref(&self, f: FastOp, id: u32, a: Src, b: Src) -> Option<Value> {
        if !self.globals.is_builtin(id) {
            return None;
        }
        let i = self.int_src(b)?;
        let k = usize::try_from(i).ok()?;
        Some(match (f, self.src_ref(a)?) {
            (FastOp::VectorRef, Value::Vector(v)) => v.get(k)?.get(),
            (FastOp::StringRef, Value::AStr(s)) => Value::Char(char::from(*s.as_bytes().get(k)?)),
            (FastOp::StringRef, Value::MStr(s)) => Value::Char(s.ascii_at(k)?),
            (FastOp::StringRef, Value::Str(s)) => Value::Char(ascii_at(s, i)?),
            _ => return None,
        })
    }

    /// A `FastSet`'s inline case, with the new value on top of the stack: when global `id`
    /// holds `vector-set!` and the operands are a vector and an index in range, stores it
    /// and replaces it by the call's (unspecified) value.
    #[inline(never)]
    pub(super) fn fast_set(&mut self, id: u32, a: Src, b: Src) -> bool {
        let Some(x) = self.stack.last() else {
            return false;
        };
        if !self.store(id, a, b, x) {
            return false;
        }
        if let Some(top) = self.stack.last_mut() {
            *top = Value::Unspecified;
        }
        true
    }

    /// A `FastSetK`'s inline case, `x` its constant: pushes the call's value when it
    /// applies.
    #[inline(never)]
    pub(super) fn fast_set_k(&mut self, id: u32, a: Src, b: Src, x: &Value) -> bool {
        if !self.store(id, a, b, x) {
            return false;
        }
        self.stack.push(Value::Unspecified);
        true
    }

    /// A `FastSetDrop`'s inline case: a `FastSet` whose value nobody wants, which pops the
    /// new value into the vector and pushes nothing.
    #[inline(never)]
    pub(super) fn fast_set_drop(&mut self, id: u32, a: Src, b: Src) -> bool {
        let Some(x) = self.stack.pop() else {
            return false;
        };
        match self.element(id, a, b) {
            Some(slot) => {
                slot.set(x);
                true
            }
            None => {
                self.stack.push(x);
                false
            }
        }
    }

    /// A `FastSetKDrop`'s inline case, `x` its constant: stores it, pushes nothing.
    #[inline(never)]
    pub(super) fn fast_set_k_drop(&mut self, id: u32, a: Src, b: Src, x: &Value) -> bool {
        self.store(id, a, b, x)
    }

    /// Stores `x` when global `id` holds `vector-set!` and the operands are a vector and an
    /// index in range.
    #[inline(always)]
    fn store(&self, id: u32, a: Src, b: Src, x: &Value) -> bool {
        let Some(slot) = self.element(id, a, b) else {
            return false;
        };
        slot.set(x.clone());
        true
    }

    /// The element `vector-set!` would store to, when global `id` holds it and the operands
    /// are a vector and an index in range.
    #[inline(always)]
    fn element(&self, id: u32, a: Src, b: Src) -> Option<&Slot> {
        if !self.globals.is_builtin(id) {
            return None;
        }
        let k = usize::try_from(self.int_src(b)?).ok()?;
        let Some(Value::Vector(v)) = self.src_ref(a) else {
            return None;
        };
        v.get(k)
    }

    /// The general code of a `FastRef` or (`set`) `FastSet` whose inline case did not
    /// apply: pushes the operands as the call's general code would have (for a `FastSet`,
    /// under the new value) and runs it as a `Fast` (`self.pc` must be the next
    /// instruction). Out of line, so the dispatch loop keeps only the inline cases.
    #[inline(never)]
    pub(super) fn place_call(
        &mut self,
        f: FastOp,
        id: u32,
        a: Src,
        b: Src,
        set: bool,
    ) -> Result<()> {
        let x = if set { Some(self.pop()) } else { None };
        self.push_src(a)?;
        self.push_src(b)?;
        self.stack.extend(x);
        if self.fast(f, id) {
            return Ok(());
        }
        self.fast_call(f, id)
    }
}

#[cfg(test)]
mod tests {
    use crate::scheme::bytecode::Op;
    use crate::scheme::{Interpreter, Options};

    #[test]
    fn vector_set_in_effect_position_pushes_no_value() {
        let mut i = Interpreter::new(Options::default(), Box::new(std::io::sink()));
        let src = "(define (f v i x) (vector-set! v i x) (vector-set! v i #f) (vector-set! v i x))";
        i.run_source(src).unwrap();
        let count = |test: fn(&Op) -> bool| i.prog.ops.iter().filter(|op| test(op)).count();
        assert_eq!(count(|op| matches!(op, Op::FastSetDrop(..))), 1);
        assert_eq!(count(|op| matches!(op, Op::FastSetKDrop(..))), 1);
        // The last one is the procedure's value.
        assert_eq!(count(|op| matches!(op, Op::FastSet(..))), 1);
    }
}
