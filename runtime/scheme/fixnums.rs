//! Fixnum comparisons and sums of parameters and small integers, decoded when the code is
//! generated: `(< n 2)`, `(not (< y x))` as the test of an `if`, `(- n 1)` as a value.
//!
//! Each becomes one specialised instruction placed before the general code of the same
//! expression (a `Fast2`, `FastBranch2`, ...). The specialised instruction reads its
//! operands in place and needs no decoding of an operation or an operand kind: when its
//! globals still hold their primitives and its operands are fixnums, it computes the result
//! and skips the general code; otherwise it does nothing and the general code runs, so
//! every other case (a flonum, an overflow, a rebound `<` or `not`) behaves exactly as
//! before, error messages included.

use super::bytecode::{Op, Pc, Src};
use super::code::{Code, Node, NodeId};
use super::codegen::Gen;
use super::error::Result;
use super::fastops::FastOp;
use super::loops::LoopHead;
use super::machine::Machine;
use super::value::Value;

/// The orderings of `a` against `b`, as bits of a comparison's mask.
const LESS: u8 = 1;
const EQUAL: u8 = 2;
const GREATER: u8 = 4;

/// The mask of a fixnum comparison: the orderings for which it is true.
fn mask(op: FastOp) -> Option<u8> {
    Some(match op {
        FastOp::Lt => LESS,
        FastOp::Le => LESS | EQUAL,
        FastOp::NumEq => EQUAL,
        FastOp::Ge => GREATER | EQUAL,
        FastOp::Gt => GREATER,
        _ => return None,
    })
}

/// The mask of the same comparison with its operands exchanged (`(< 2 n)` is `(> n 2)`).
fn mirror(mask: u8) -> u8 {
    (mask & EQUAL) | ((mask & LESS) << 2) | ((mask & GREATER) >> 2)
}

/// Whether `a` compared with `b` is in `mask`, without a branch on the ordering.
#[inline(always)]
fn holds(mask: u8, a: i64, b: i64) -> bool {
    let order = u8::from(a >= b) + u8::from(a > b);
    mask & (1 << order) != 0
}

impl<'a> Gen<'a> {
    /// Emits the inline test for the `if` test `id` when it is a fixnum comparison of
    /// parameters and small integers, or the `not` of one, or a one-argument predicate of a
    /// parameter (see [`slot_ops`](super::slot_ops)); returns where it is, for
    /// [`end_inline_test`](Self::end_inline_test) once the general code follows it.
    pub(super) fn inline_test(&mut self, id: NodeId) -> Result<Option<Pc>> {
        let Some((g, args)) = self.primitive_call(id) else {
            return Ok(None);
        };
        let (mut g2, mut negate, mut cmp, mut args) = (g, false, g, args);
        let op = self.fast_op(g, args.len());
        if op == Some(FastOp::Not) {
            if let Some((inner, inner_args)) = self.primitive_call(args[0]) {
                (g2, negate, cmp, args) = (g, true, inner, inner_args);
            }
        }
        if !negate {
            if let Some(op) = op.filter(|_| args.len() == 1) {
                // A one-argument predicate of a parameter (`slot_ops`).
                return self.slot_test(op, g, args);
            }
        }
        let Some(mut mask) = self.fast_op(cmp, args.len()).and_then(mask) else {
            return Ok(None);
        };
        if negate {
            mask = !mask & (LESS | EQUAL | GREATER);
        }
        let Some((a, b)) = self.sources(FastOp::Lt, args)? else {
            return Ok(None);
        };
        let (id, id2) = (cmp, g2);
        let op = match (a, b) {
            (Src::Local(a), Src::Local(b)) => Op::BranchLL {
                mask,
                skip: 0,
                a,
                b,
                id,
                id2,
                target: 0,
            },
            (Src::Local(a), Src::Small(k)) => Op::BranchLK {
                mask,
                skip: 0,
                a,
                k,
                id,
                id2,
                target: 0,
            },
            (Src::Small(k), Src::Local(a)) => Op::BranchLK {
                mask: mirror(mask),
                skip: 0,
                a,
                k,
                id,
                id2,
                target: 0,
            },
            // Two constants, or a captured value: the `FastBranch2` of the general code.
            _ => return Ok(None),
        };
        Ok(Some(self.emit(op)))
    }

    /// Completes the inline test at `at` once its general code and `JumpIfFalse` are
    /// generated (the next instruction starts the `then` branch) and the jump's `target` is
    /// known.
    pub(super) fn end_inline_test(&mut self, at: Option<Pc>, target: Pc, end: Pc) {
        if let Some(at) = at {
            self.prog.patch_inline(at, end, target);
        }
    }

    /// Emits the inline sum for `(+ x k)`, `(+ k x)` or `(- x k)` of global `g` with
    /// `args`, `x` a parameter and `k` a small integer, before the call's general code.
    pub(super) fn inline_sum(&mut self, op: FastOp, g: u32, args: &[NodeId]) -> Result<()> {
        if !matches!(op, FastOp::Add | FastOp::Sub) {
            return Ok(());
        }
        let Some(sources) = self.sources(op, args)? else {
            return Ok(());
        };
        let (slot, k) = match (sources, op) {
            ((Src::Local(slot), Src::Small(k)), FastOp::Add) => (slot, i32::from(k)),
            ((Src::Small(k), Src::Local(slot)), FastOp::Add) => (slot, i32::from(k)),
            ((Src::Local(slot), Src::Small(k)), _) => (slot, -i32::from(k)),
            _ => return Ok(()),
        };
        self.emit(Op::AddK { id: g, slot, k });
        Ok(())
    }

    /// Emits a `StepLoop` for the jump to the inlined loop of one variable at `head` when
    /// its new value `arg` is a two-argument fixnum operation of in-place operands; the
    /// general code of `arg` and the `Loop` follow.
    pub(super) fn inline_step(&mut self, arg: NodeId, head: LoopHead) -> Result<()> {
        let Some((g, args)) = self.primitive_call(arg) else {
            return Ok(());
        };
        let Some(f) = self.fast_op(g, args.len()) else {
            return Ok(());
        };
        let Some((a, b)) = self.sources(f, args)? else {
            return Ok(());
        };
        self.emit(Op::StepLoop {
            f,
            a,
            b,
            slot: head.slot,
            id: g,
            target: head.head,
        });
        Ok(())
    }

    /// A call of a global that holds its primitive now: the global and the arguments.
    pub(super) fn primitive_call(&self, id: NodeId) -> Option<(u32, &'a [NodeId])> {
        let code: &'a Code = self.code;
        let Node::Call { parts, .. } = code.node(id) else {
            return None;
        };
        let (head, args) = parts.split_first()?;
        match code.node(*head) {
            Node::Global { id: g, .. } if self.globals.holds_primitive(*g) => Some((*g, args)),
            _ => None,
        }
    }

    /// The inline operation of global `g` (holding its primitive) called on `argc` values.
    pub(super) fn fast_op(&self, g: u32, argc: usize) -> Option<FastOp> {
        FastOp::lookup(self.globals.name(g), argc)
    }
}

/// The machine's side.
impl Machine<'_> {
    /// A `BranchLL` or `BranchLK` whose operands are `a` (a slot) and `b`: whether the
    /// comparison `mask` holds, or `None` to go on with the general code.
    #[inline(always)]
    pub(super) fn int_branch(
        &self,
        (mask, id, id2): (u8, u32, u32),
        a: u16,
        b: Option<i64>,
    ) -> Option<bool> {
        if !self.globals.are_builtin(id, id2) {
            return None;
        }
        let (Value::Int(x), Some(y)) = (&self.stack[self.bp + usize::from(a)], b) else {
            return None;
        };
        Some(holds(mask, *x, y))
    }

    /// An `AddK`: `true` when it pushed the sum (the general code is to be skipped).
    #[inline(always)]
    pub(super) fn add_k(&mut self, id: u32, slot: u16, k: i32) -> bool {
        if !self.globals.is_builtin(id) {
            return false;
        }
        let Value::Int(x) = self.stack[self.bp + usize::from(slot)] else {
            return false;
        };
        let Some(sum) = x.checked_add(i64::from(k)) else {
            return false;
        };
        self.stack.push(Value::Int(sum));
        true
    }

    /// A `StepLoop`'s last new value, when its inline case applies.
    #[inline(always)]
    pub(super) fn step(&self, f: FastOp, id: u32, a: Src, b: Src) -> Option<Value> {
        if !self.globals.is_builtin(id) {
            return None;
        }
        f.int2(self.int_src(a)?, self.int_src(b)?)
    }

    /// A slot's fixnum, for a `BranchLL`'s second operand.
    #[inline(always)]
    pub(super) fn slot_int(&self, slot: u16) -> Option<i64> {
        match self.stack[self.bp + usize::from(slot)] {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_agree_with_the_comparisons() {
        let ops = [
            FastOp::Lt,
            FastOp::Le,
            FastOp::NumEq,
            FastOp::Ge,
            FastOp::Gt,
        ];
        let values = [i64::MIN, -3, 0, 2, i64::MAX];
        for op in ops {
            let m = mask(op).unwrap();
            for a in values {
                for b in values {
                    let want = op.int_test(a, b).unwrap();
                    assert_eq!(holds(m, a, b), want, "{op:?} {a} {b}");
                    assert_eq!(holds(mirror(m), b, a), want, "mirrored {op:?} {a} {b}");
                    let not = !m & (LESS | EQUAL | GREATER);
                    assert_eq!(holds(not, a, b), !want, "not {op:?} {a} {b}");
                }
            }
        }
    }
}
