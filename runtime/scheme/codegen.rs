//! The code generator: a tree of [`Node`]s to [`Op`]s.
//!
//! Each procedure's frame is laid out here: its parameters first, then the variables of its
//! body, where a `let` frame of the tree becomes a range of slots of the enclosing
//! procedure's frame (ranges of sibling `let`s overlap). A variable of an enclosing procedure
//! becomes a captured value of the running closure; the closure-making instruction copies
//! each from its maker's frame or captured values. Variables [`analysis`](super::analysis)
//! boxes are reached through cells.
//!
//! Chains that can be long (`if` alternatives from `cond`, nested `let`s from `let*`,
//! sequences) are followed with a loop; other recursion is bounded by the reader's nesting
//! limit.

use std::collections::{HashMap, HashSet};

use super::analysis::{analyse, VarKey};
use super::bytecode::{Op, Pc, Program, Proto};
use super::code::{Code, LambdaId, Node, NodeId};
use super::error::{Pos, Result, SchemeError};
use super::fastops::FastOp;
use super::globals::Globals;
use super::loops::{inlined_loops, Inlined, LoopHead};
use super::value::Value;

/// A frame of the tree in effect: a procedure's or a `let`'s.
pub(super) struct Scope {
    pub(super) lambda: LambdaId,
    /// Index into `Gen::funcs` of the procedure whose frame holds it.
    pub(super) func: usize,
    /// Its first slot in that frame.
    pub(super) offset: u16,
}

/// A procedure being generated.
pub(super) struct Func {
    /// Its lambda (`None` for a top-level form).
    pub(super) lambda: Option<LambdaId>,
    /// The variables it captures, in the order of its closure's captured values.
    pub(super) free: Vec<VarKey>,
    /// The first slot not used by a scope in effect.
    pub(super) next_slot: u16,
    /// The frame size so far.
    pub(super) max_slot: u16,
    /// The global a top-level `define` is giving this procedure to: a tail call of that
    /// global may be a call of the running closure (`TailSelfGlobal`).
    pub(super) global: Option<u32>,
}

/// A chain being generated (see `Gen::expr`): jumps to its end and `let`s entered.
#[derive(Default)]
struct Chain {
    /// Jumps to the end.
    ends: Vec<Pc>,
    /// `and`/`or` jumps that keep their value, to the end.
    keeps: Vec<Pc>,
    /// `let` frames entered.
    lets: usize,
    /// The tests of an `and`'s leading parts: each inline test (if any) and the
    /// `JumpIfFalse` that goes to the `#f` at the end when the part is false.
    falses: Vec<(Option<Pc>, Pc)>,
}

/// Where a variable is, seen from the procedure being generated.
pub(super) enum Place {
    /// A slot of the running frame.
    Slot(u16),
    /// A captured value of the running closure.
    Free(u16),
}

pub(super) struct Gen<'a> {
    pub(super) code: &'a Code,
    pub(super) globals: &'a Globals,
    pub(super) prog: &'a mut Program,
    pub(super) boxed: HashSet<VarKey>,
    /// Variables stored to more than once (see `analysis`).
    pub(super) reassigned: HashSet<VarKey>,
    /// The named-`let` loops run in their enclosing frame (see [`loops`](super::loops)),
    /// by holder.
    pub(super) inlined: Inlined,
    /// The heads of the inlined loops being generated, by holder.
    pub(super) loop_heads: HashMap<LambdaId, LoopHead>,
    pub(super) scopes: Vec<Scope>,
    pub(super) funcs: Vec<Func>,
    /// The lambda a top-level `define` is about to give to a global, and that global.
    pub(super) defining: Option<(LambdaId, u32)>,
    pub(super) pos: Pos,
}

/// Generates the code of a top-level form; returns its prototype (a procedure of no
/// parameters the machine calls).
pub fn generate(
    code: &Code,
    globals: &Globals,
    prog: &mut Program,
    root: NodeId,
    pos: Pos,
) -> Result<u32> {
    let inlined = inlined_loops(code, root);
    let analysis = analyse(code, root, &inlined);
    let mut gen = Gen {
        code,
        globals,
        prog,
        boxed: analysis.boxed,
        reassigned: analysis.reassigned,
        inlined,
        loop_heads: HashMap::new(),
        scopes: Vec::new(),
        funcs: vec![Func {
            lambda: None,
            free: Vec::new(),
            next_slot: 0,
            max_slot: 0,
            global: None,
        }],
        defining: None,
        pos,
    };
    let entry = gen.prog.here();
    gen.expr(root, true)?;
    let frame_size = gen.funcs[0].max_slot;
    gen.prog.protos.push(Proto {
        entry,
        required: 0,
        rest: false,
        frame_size,
        name: None,
    });
    Ok((gen.prog.protos.len() - 1) as u32)
}

pub(super) fn internal(what: &str) -> SchemeError {
    SchemeError::new(format!("internal error: {what}"))
}

impl Gen<'_> {
    pub(super) fn emit(&mut self, op: Op) -> Pc {
        self.prog.emit(op, self.pos)
    }

    fn constant(&mut self, v: Value) {
        self.prog.consts.push(v);
        let n = (self.prog.consts.len() - 1) as u32;
        self.emit(Op::Const(n));
    }

    pub(super) fn func(&mut self) -> &mut Func {
        let last = self.funcs.len() - 1;
        &mut self.funcs[last]
    }

    /// Where variable `index` of the scope `depth` levels out is.
    pub(super) fn place(&mut self, depth: u16, index: u16) -> Result<(Place, bool)> {
        let at = self
            .scopes
            .len()
            .checked_sub(1 + depth as usize)
            .ok_or_else(|| internal("environment too shallow"))?;
        let scope = &self.scopes[at];
        let key = (scope.lambda, index);
        let boxed = self.boxed.contains(&key);
        if scope.func == self.funcs.len() - 1 {
            return Ok((Place::Slot(scope.offset + index), boxed));
        }
        Ok((Place::Free(self.free_index(key)), boxed))
    }

    pub(super) fn free_index(&mut self, key: VarKey) -> u16 {
        let func = self.func();
        match func.free.iter().position(|k| *k == key) {
            Some(i) => i as u16,
            None => {
                func.free.push(key);
                (func.free.len() - 1) as u16
            }
        }
    }

    /// Generates `id`, leaving its value on the stack, or returning it if `tail`.
    pub(super) fn expr(&mut self, id: NodeId, tail: bool) -> Result<()> {
        // The chain's bookkeeping is in `Chain` and each link is generated by `link`: this
        // function is on the path of every nesting level, so its frame stays small.
        let mut chain = Chain::default();
        let mut node = id;
        while let Some(next) = self.link(node, tail, &mut chain)? {
            node = next;
        }
        self.single(node, tail)?;
        self.end_chain(chain, tail);
        Ok(())
    }

    /// Generates the part of a chain link (`if`, `and`, `or`, sequence, `let`) before its
    /// continuation, and returns the continuation; `None` if `node` is not a chain link.
    fn link(&mut self, node: NodeId, tail: bool, chain: &mut Chain) -> Result<Option<NodeId>> {
        Ok(Some(match self.code.node(node) {
            Node::If { test, then, alt } => {
                let inline = self.inline_test(*test)?;
                self.test(*test)?;
                let skip = self.emit(Op::JumpIfFalse(0));
                self.expr(*then, tail)?;
                if !tail {
                    chain.ends.push(self.emit(Op::Jump(0)));
                }
                let here = self.prog.here();
                self.prog.patch(skip, here);
                self.end_inline_test(inline, here, skip + 1);
                *alt
            }
            Node::And(nodes) => {
                // A false part's value is `#f`, whatever it is: each leading part is an `if`
                // test (with its inline forms), and every false one jumps to one `#f`.
                let (last, init) = nodes.split_last().ok_or_else(|| internal("empty and"))?;
                for n in init {
                    let inline = self.inline_test(*n)?;
                    self.test(*n)?;
                    chain.falses.push((inline, self.emit(Op::JumpIfFalse(0))));
                }
                *last
            }
            Node::Or(nodes) => {
                let (last, init) = nodes.split_last().ok_or_else(|| internal("empty or"))?;
                for n in init {
                    self.or_part(*n, tail, chain)?;
                }
                *last
            }
            Node::Seq(nodes) if !nodes.is_empty() => {
                let (last, init) = nodes.split_last().ok_or_else(|| internal("empty seq"))?;
                for n in init {
                    self.effect(*n)?;
                }
                *last
            }
            Node::Let { lambda, inits } => {
                for n in inits.iter() {
                    self.expr(*n, false)?;
                }
                self.enter_let(*lambda, inits.len())?;
                chain.lets += 1;
                self.code.lambda(*lambda).body
            }
            _ => return Ok(None),
        }))
    }

    /// A leading part of an `or`: its value, kept if true (`OrJump` to the end). A part
    /// with an inline test (a fixnum comparison, `null?` of a parameter, ...) is that test
    /// first, whose inline case is a boolean: true goes to a `#t` for the end, false
    /// straight on to the next part, and the general code runs only when it does not apply.
    fn or_part(&mut self, n: NodeId, tail: bool, chain: &mut Chain) -> Result<()> {
        let inline = self.inline_test(n)?;
        self.expr(n, false)?;
        chain.keeps.push(self.emit(Op::OrJump(0)));
        if let Some(at) = inline {
            let next = self.emit(Op::Jump(0));
            let yes = self.prog.here();
            self.constant(Value::Bool(true));
            if tail {
                self.emit(Op::Return);
            } else {
                chain.ends.push(self.emit(Op::Jump(0)));
            }
            let no = self.prog.here();
            self.prog.patch(next, no);
            self.end_inline_test(Some(at), no, yes);
        }
        Ok(())
    }

    /// Points a chain's jumps at its end and leaves its `let` frames.
    fn end_chain(&mut self, mut chain: Chain, tail: bool) {
        if !chain.falses.is_empty() {
            // The last part's value is the chain's: the `#f` of a false part goes after it.
            if !tail {
                chain.ends.push(self.emit(Op::Jump(0)));
            }
            let false_at = self.prog.here();
            self.constant(Value::Bool(false));
            if tail {
                self.emit(Op::Return);
            }
            for (inline, jump) in chain.falses.drain(..) {
                self.prog.patch(jump, false_at);
                self.end_inline_test(inline, false_at, jump + 1);
            }
        }
        if tail && !chain.keeps.is_empty() {
            let ret = self.emit(Op::Return);
            for k in chain.keeps.drain(..) {
                self.prog.patch(k, ret);
            }
        }
        let here = self.prog.here();
        for j in chain.ends.into_iter().chain(chain.keeps) {
            self.prog.patch(j, here);
        }
        for _ in 0..chain.lets {
            self.exit_let();
        }
    }

    /// Generates the test of an `if`, to be followed by a `JumpIfFalse`; a predicate with an
    /// inline case becomes a `FastBranch` (or `FastBranch2`) before that jump.
    fn test(&mut self, id: NodeId) -> Result<()> {
        if let Node::Call { parts, pos } = self.code.node(id) {
            if let [head, args @ ..] = &parts[..] {
                if let Node::Global { id: g, .. } = self.code.node(*head) {
                    let op = FastOp::lookup(self.globals.name(*g), args.len())
                        .filter(|_| self.globals.holds_primitive(*g));
                    if let Some(op) = op.filter(|op| op.is_predicate()) {
                        if op == FastOp::Not && self.negated_test(*g, args, *pos)? {
                            return Ok(());
                        }
                        if let Some((a, b)) = self.sources(op, args)? {
                            self.pos = *pos;
                            self.emit(Op::FastBranch2(op, *g, a, b, 0));
                            return Ok(());
                        }
                        if let Some((src, side, computed)) = self.top_operand(op, args)? {
                            self.expr(computed, false)?;
                            self.pos = *pos;
                            self.emit(Op::FastBranchTop(op, *g, src, side, 0));
                            return Ok(());
                        }
                        for a in args {
                            self.expr(*a, false)?;
                        }
                        self.pos = *pos;
                        self.emit(Op::FastBranch(op, *g, 0));
                        return Ok(());
                    }
                }
            }
        }
        self.expr(id, false)
    }

    /// The test `(not (f ...))` of global `not` (`id_not`, at `pos`) with argument `args`,
    /// `f` a predicate with an inline case on the stack: its arguments, a `FastBranchNot`,
    /// then the general code (`f`, then `not`), to be followed by a `JumpIfFalse`. Returns
    /// false, having generated nothing, for any other test.
    fn negated_test(&mut self, id_not: u32, args: &[NodeId], pos: Pos) -> Result<bool> {
        let [inner] = args else {
            return Ok(false);
        };
        let Some((id, inner_args)) = self.primitive_call(*inner) else {
            return Ok(false);
        };
        let Some(f) = self
            .fast_op(id, inner_args.len())
            .filter(|f| f.tests_on_stack())
        else {
            return Ok(false);
        };
        let Node::Call { pos: inner_pos, .. } = self.code.node(*inner) else {
            return Ok(false);
        };
        for a in inner_args {
            self.expr(*a, false)?;
        }
        self.pos = *inner_pos;
        self.emit(Op::FastBranchNot {
            f,
            id,
            id_not,
            target: 0,
        });
        self.emit(Op::Fast(f, id));
        self.pos = pos;
        self.emit(Op::FastBranch(FastOp::Not, id_not, 0));
        Ok(true)
    }

    /// Generates `id` for its effect only.
    fn effect(&mut self, id: NodeId) -> Result<()> {
        match self.code.node(id) {
            Node::SetLocal { .. } | Node::SetGlobal { .. } | Node::DefineGlobal { .. } => {
                self.store(id)
            }
            Node::Const(_) => Ok(()),
            _ => {
                self.expr(id, false)?;
                // A `vector-set!` whose value was the last thing pushed need not push it:
                // every jump to the end of the expression lands on the `Pop`, which only
                // the vector-set!'s own inline case skips.
                let last = self.prog.ops.len() - 1;
                match self.prog.ops[last] {
                    Op::FastSet(g, a, b) => self.prog.ops[last] = Op::FastSetDrop(g, a, b),
                    Op::FastSetK(g, a, b, n) => self.prog.ops[last] = Op::FastSetKDrop(g, a, b, n),
                    _ => {}
                }
                self.emit(Op::Pop);
                Ok(())
            }
        }
    }

    /// A node that is not a chain.
    fn single(&mut self, id: NodeId, tail: bool) -> Result<()> {
        let code = self.code;
        match code.node(id) {
            Node::Const(v) => self.constant(v.clone()),
            Node::Seq(_) => self.constant(Value::Unspecified),
            Node::Local {
                depth,
                index,
                name,
                pos,
            } => {
                self.pos = *pos;
                // A parameter always holds a value: read it with no check.
                let is_param = self.is_param(*depth, *index);
                let op = match self.place(*depth, *index)? {
                    (Place::Slot(s), false) if is_param => Op::LocalRaw(s),
                    (Place::Free(i), false) if is_param => Op::FreeRaw(i),
                    (Place::Slot(s), false) => Op::Local(s),
                    (Place::Slot(s), true) => Op::LocalCell(s),
                    (Place::Free(i), false) => Op::Free(i),
                    (Place::Free(i), true) => Op::FreeCell(i),
                };
                let pc = self.emit(op);
                self.prog.var_names.insert(pc, code.name(*name).to_string());
            }
            Node::Global { id, pos } => {
                self.pos = *pos;
                self.emit(Op::Global(*id));
            }
            Node::SetLocal { .. } | Node::SetGlobal { .. } | Node::DefineGlobal { .. } => {
                self.store(id)?;
                self.constant(Value::Unspecified);
            }
            Node::Lambda(lambda) => self.lambda(*lambda)?,
            // Each form with subexpressions is generated by a function of its own: in a debug
            // build one big frame here, recursed through at every nesting level, overflowed
            // the 2 MiB stacks of test threads at the reader's deepest nesting.
            Node::Call { parts, pos } => return self.call(parts, *pos, tail),
            Node::PrimCall { prim, args, pos } => self.prim_call(prim, args, *pos)?,
            Node::CondArrow {
                test,
                func,
                alt,
                pos,
            } => return self.cond_arrow([*test, *func, *alt], *pos, tail),
            Node::Case {
                key,
                clauses,
                default,
            } => return self.case(*key, clauses, *default, tail),
            Node::Guard { body, handler } => self.guard(*body, *handler)?,
            Node::If { .. } | Node::And(_) | Node::Or(_) | Node::Let { .. } => {
                return self.expr(id, tail)
            }
        }
        if tail {
            self.tail_return();
        }
        Ok(())
    }

    /// Ends a procedure after its last value was pushed: a call there becomes a tail call.
    fn tail_return(&mut self) {
        let last = self.prog.ops.len() - 1;
        match self.prog.ops[last] {
            Op::Call(n) => self.prog.ops[last] = Op::TailCall(n),
            Op::CallGlobal(g, n) => self.prog.ops[last] = Op::TailCallGlobal(g, n),
            // The `Return` stays after it: a jump may land there.
            Op::LocalRaw(s) => self.prog.ops[last] = Op::ReturnLocal(s),
            _ => {}
        }
        self.emit(Op::Return);
    }

    /// A `set!` or `define`, leaving nothing on the stack.
    fn store(&mut self, id: NodeId) -> Result<()> {
        match self.code.node(id) {
            Node::SetLocal {
                depth,
                index,
                value,
                ..
            } => {
                self.expr(*value, false)?;
                let op = match self.place(*depth, *index)? {
                    (Place::Slot(s), false) => Op::SetLocal(s),
                    (Place::Slot(s), true) => Op::SetLocalCell(s),
                    (Place::Free(i), true) => Op::SetFreeCell(i),
                    (Place::Free(_), false) => return Err(internal("assigned variable not boxed")),
                };
                self.emit(op);
            }
            Node::SetGlobal { id, value, pos } => {
                self.expr(*value, false)?;
                self.pos = *pos;
                self.emit(Op::SetGlobal(*id));
            }
            Node::DefineGlobal { id, value } => {
                if let Node::Lambda(l) = self.code.node(*value) {
                    self.defining = Some((*l, *id));
                }
                self.expr(*value, false)?;
                self.emit(Op::DefineGlobal(*id));
            }
            _ => return Err(internal("not a store")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::scheme::bytecode::{Op, Program};
    use crate::scheme::fastops::FastOp;
    use crate::scheme::value::Value;
    use crate::scheme::{Interpreter, Options};

    /// How many instructions compiled from `src` pass `test`.
    fn count(src: &str, test: impl Fn(&Program, &Op) -> bool) -> usize {
        let mut i = Interpreter::new(Options::default(), Box::new(std::io::sink()));
        i.run_source(src).unwrap();
        i.prog.ops.iter().filter(|op| test(&i.prog, op)).count()
    }

    #[test]
    fn and_parts_are_tests_and_negated_predicates_branch_inline() {
        let src = "(define (ok? r d p) (and (not (= (car p) (+ r d))) (not (null? (cdr p))) d))";
        // Each part is one inline branch before its general code: the `not` and the
        // predicate are called only when it does not apply.
        let inline = |_: &Program, op: &Op| matches!(op, Op::FastBranchNot { .. });
        assert_eq!(count(src, inline), 2);
        let not = |_: &Program, op: &Op| matches!(op, Op::FastBranch(FastOp::Not, ..));
        assert_eq!(count(src, not), 2);
        // The one `#f` both false parts jump to.
        let false_const = |p: &Program, op: &Op| match op {
            Op::Const(n) => matches!(p.consts[*n as usize], Value::Bool(false)),
            _ => false,
        };
        assert_eq!(count(src, false_const), 1);
    }

    #[test]
    fn or_parts_with_inline_tests_give_true_without_their_general_code() {
        let src = "(define (f n l) (or (null? l) (< n 3) (car l)))";
        let inline = |_: &Program, op: &Op| {
            matches!(
                op,
                Op::BranchSlot {
                    f: FastOp::IsNull,
                    ..
                } | Op::BranchLK { .. }
            )
        };
        assert_eq!(count(src, inline), 2);
        // Each inline case's true branch: a `#t` and the return.
        let true_const = |p: &Program, op: &Op| match op {
            Op::Const(n) => matches!(p.consts[*n as usize], Value::Bool(true)),
            _ => false,
        };
        assert_eq!(count(src, true_const), 2);
    }
}
