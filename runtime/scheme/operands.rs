//! Operands read in place ([`Src`]): parameters (of the running procedure or captured) and
//! small integers, which fixnum operations and `vector-ref`-like calls read where they are
//! instead of pushing them; and two-argument fixnum operations with one such operand and
//! one computed (`(+ (car x) 1)`, `(< (vector-ref v i) n)`), which take the computed one
//! from the top of the stack and give their result in its place (`FastTop`,
//! `FastBranchTop`), where the general code pushed both and called `Fast`.
//!
//! A parameter never changes while an expression using it runs (nothing assigns it: an
//! assigned one lives in a cell and is no `Src`; a loop's next iteration moves new values in
//! only from tail position), so reading it after the computed operand reads what the
//! general code, left to right, would have.

use super::bytecode::{Side, Src};
use super::code::{Node, NodeId};
use super::codegen::{Gen, Place};
use super::error::Result;
use super::fastops::FastOp;
use super::machine::Machine;
use super::value::Value;

impl Gen<'_> {
    /// The two arguments of a fixnum operation as in-place operands, if both can be.
    pub(super) fn sources(&mut self, op: FastOp, args: &[NodeId]) -> Result<Option<(Src, Src)>> {
        let [a, b] = args else {
            return Ok(None);
        };
        if !op.is_int2() {
            return Ok(None);
        }
        Ok(self.source(*a)?.zip(self.source(*b)?))
    }

    /// Whether variable `index` of the scope `depth` levels out is a parameter (of a
    /// procedure or a `let`): it holds a value from the frame's start.
    pub(super) fn is_param(&self, depth: u16, index: u16) -> bool {
        let at = self.scopes.len().checked_sub(1 + usize::from(depth));
        let Some(scope) = at.map(|at| &self.scopes[at]) else {
            return false;
        };
        let l = self.code.lambda(scope.lambda);
        usize::from(index) < l.required + usize::from(l.rest)
    }

    /// A parameter (never unassigned, never a cell), of this procedure or captured, or a
    /// small integer constant.
    pub(super) fn source(&mut self, id: NodeId) -> Result<Option<Src>> {
        Ok(match self.code.node(id) {
            Node::Const(Value::Int(i)) => i16::try_from(*i).ok().map(Src::Small),
            Node::Local { depth, index, .. } => {
                let is_param = self.is_param(*depth, *index);
                match self.place(*depth, *index)? {
                    (Place::Slot(s), false) if is_param => Some(Src::Local(s)),
                    (Place::Free(i), false) if is_param => Some(Src::Free(i)),
                    _ => None,
                }
            }
            _ => None,
        })
    }

    /// For a two-argument fixnum operation one of whose arguments is an in-place operand
    /// and the other not: that operand, the side of the other, and the other.
    pub(super) fn top_operand(
        &mut self,
        op: FastOp,
        args: &[NodeId],
    ) -> Result<Option<(Src, Side, NodeId)>> {
        let [a, b] = args else {
            return Ok(None);
        };
        if !op.is_int2() {
            return Ok(None);
        }
        Ok(match (self.source(*a)?, self.source(*b)?) {
            (None, Some(src)) => Some((src, Side::Left, *a)),
            (Some(src), None) => Some((src, Side::Right, *b)),
            _ => None,
        })
    }
}

/// The machine's side.
impl Machine<'_> {
    /// An in-place operand as a fixnum, if it is one.
    #[inline(always)]
    pub(super) fn int_src(&self, s: Src) -> Option<i64> {
        match s {
            Src::Small(i) => Some(i64::from(i)),
            Src::Local(slot) => match self.stack[self.bp + usize::from(slot)] {
                Value::Int(i) => Some(i),
                _ => None,
            },
            Src::Free(i) => match self.closure.as_ref()?.free.get(usize::from(i))? {
                Value::Int(i) => Some(*i),
                _ => None,
            },
        }
    }

    /// Pushes an in-place operand (an error only for a captured value the running closure
    /// lacks, which the code generator never asks for).
    pub(super) fn push_src(&mut self, s: Src) -> Result<()> {
        let v = match s {
            Src::Small(i) => Value::Int(i64::from(i)),
            Src::Local(slot) => self.stack[self.bp + usize::from(slot)].clone(),
            Src::Free(i) => self.free(i)?.clone(),
        };
        self.stack.push(v);
        Ok(())
    }

    /// An in-place operand that is a variable, borrowed.
    #[inline(always)]
    pub(super) fn src_ref(&self, s: Src) -> Option<&Value> {
        match s {
            Src::Local(slot) => self.stack.get(self.bp + usize::from(slot)),
            Src::Free(i) => self.closure.as_ref()?.free.get(usize::from(i)),
            Src::Small(_) => None,
        }
    }

    /// The operands of a `FastTop` or `FastBranchTop` as fixnums, left first, when global
    /// `id` holds its primitive and both are fixnums.
    #[inline(always)]
    pub(super) fn top_ints(&self, id: u32, src: Src, side: Side) -> Option<(i64, i64)> {
        if !self.globals.is_builtin(id) {
            return None;
        }
        let Some(Value::Int(top)) = self.stack.last() else {
            return None;
        };
        let other = self.int_src(src)?;
        Some(match side {
            Side::Left => (*top, other),
            Side::Right => (other, *top),
        })
    }

    /// Puts the operands of a `FastTop` or `FastBranchTop` on the stack in order, as the
    /// general code would have.
    #[inline(never)]
    pub(super) fn top_in_order(&mut self, src: Src, side: Side) -> Result<()> {
        match side {
            Side::Left => self.push_src(src),
            Side::Right => {
                let top = self.pop();
                self.push_src(src)?;
                self.stack.push(top);
                Ok(())
            }
        }
    }

    /// The general code of a `FastTop` whose inline case did not apply (`self.pc` must be
    /// the next instruction): the operands in order, then a `Fast`.
    #[inline(never)]
    pub(super) fn top_call(&mut self, f: FastOp, id: u32, src: Src, side: Side) -> Result<()> {
        self.top_in_order(src, side)?;
        if self.fast(f, id) {
            return Ok(());
        }
        self.fast_call(f, id)
    }
}

#[cfg(test)]
mod tests {
    use crate::scheme::bytecode::Op;
    use crate::scheme::fastops::FastOp;
    use crate::scheme::{Interpreter, Options};

    /// How many instructions compiled from `src` pass `test`.
    fn count(src: &str, test: impl Fn(&Op) -> bool) -> usize {
        let mut i = Interpreter::new(Options::default(), Box::new(std::io::sink()));
        i.run_source(src).unwrap();
        i.prog.ops.iter().filter(|op| test(op)).count()
    }

    #[test]
    fn a_fixnum_operation_takes_its_computed_operand_from_the_stack() {
        let src = "(define (f x n) (list (+ (car x) n) (- 1 (car x)) (if (< (cadr x) n) 1 2)))";
        assert_eq!(count(src, |op| matches!(op, Op::FastTop(..))), 2);
        assert_eq!(count(src, |op| matches!(op, Op::FastBranchTop(..))), 1);
        let general = |op: &Op| {
            matches!(
                op,
                Op::Fast(FastOp::Add | FastOp::Sub, _) | Op::FastBranch(..)
            )
        };
        assert_eq!(count(src, general), 0);
    }

    #[test]
    fn string_length_of_a_parameter_and_three_term_sums_are_inline() {
        let src = "(define (f s a b) (+ a b (string-length s)))";
        let slot = |op: &Op| {
            matches!(
                op,
                Op::FastSlot {
                    f: FastOp::StringLength,
                    ..
                }
            )
        };
        assert_eq!(count(src, slot), 1);
        assert_eq!(count(src, |op| matches!(op, Op::Fast(FastOp::Add3, _))), 1);
    }
}
