//! The code generator's calls and the forms with several subexpressions: each in a function
//! of its own (see `single` in `codegen`).

use super::bytecode::{CaseTable, Op};
use super::code::{LambdaId, Node, NodeId};
use super::codegen::{internal, Gen};
use super::error::{Pos, Result, SchemeError};
use super::fastops::FastOp;
use super::loops::{loop_call, LoopHead};
use super::primitives::Primitive;
use super::value::Value;

impl Gen<'_> {
    /// A procedure call (a tail call when `tail`, followed by its `Return`).
    pub(super) fn call(&mut self, parts: &[NodeId], pos: Pos, tail: bool) -> Result<()> {
        let (head, args) = parts.split_first().ok_or_else(|| internal("empty call"))?;
        if let Some(l) = loop_call(self.code, parts).filter(|(h, _)| self.inlined.contains(h)) {
            return self.inline_loop(l, args, pos, tail);
        }
        if let Some(head) = self.loop_head(*head) {
            return self.loop_jump(head, args, pos);
        }
        let argc =
            u16::try_from(args.len()).map_err(|_| SchemeError::at(pos, "too many arguments"))?;
        let global = match self.code.node(*head) {
            Node::Global { id, .. } => Some(*id),
            _ => None,
        };
        // Only for a variable holding its primitive now (see `Globals::is_builtin`).
        let fast = global
            .filter(|g| self.globals.holds_primitive(*g))
            .and_then(|g| FastOp::lookup(self.globals.name(g), args.len()));
        if let (Some(op), Some(g)) = (fast, global) {
            self.pos = pos;
            if self.place_call(op, g, args)? {
                if tail {
                    self.emit(Op::Return);
                }
                return Ok(());
            }
            match self.sources(op, args)? {
                Some((a, b)) => {
                    self.pos = pos;
                    self.inline_sum(op, g, args)?;
                    self.emit(Op::Fast2(op, g, a, b))
                }
                None => {
                    if let Some((src, side, computed)) = self.top_operand(op, args)? {
                        self.expr(computed, false)?;
                        self.pos = pos;
                        self.emit(Op::FastTop(op, g, src, side));
                        if tail {
                            self.emit(Op::Return);
                        }
                        return Ok(());
                    }
                    let inline = self.slot_call(op, g, args)?;
                    for a in args {
                        self.expr(*a, false)?;
                    }
                    self.pos = pos;
                    let at = self.emit(Op::Fast(op, g));
                    if let Some(inline) = inline {
                        self.prog.patch_skip(inline, at + 1);
                    }
                    at
                }
            };
            if tail {
                self.emit(Op::Return);
            }
            return Ok(());
        }
        if tail && self.is_loop_self(*head, args.len()) {
            // A named `let`'s procedure calling itself in tail position: the arguments
            // replace the parameters and the code starts again, with no closure to read.
            for a in args {
                self.expr(*a, false)?;
            }
            self.pos = pos;
            self.emit(Op::TailSelf(argc));
            return Ok(());
        }
        if let (Some(g), true) = (global, tail) {
            if self.is_global_self(g, args.len()) {
                for a in args {
                    self.expr(*a, false)?;
                }
                self.pos = pos;
                self.emit(Op::TailSelfGlobal(g, argc));
                self.emit(Op::Return);
                return Ok(());
            }
        }
        if global.is_none() {
            self.expr(*head, false)?;
        }
        for a in args {
            self.expr(*a, false)?;
        }
        self.pos = pos;
        self.emit(match (global, tail) {
            (Some(g), false) => Op::CallGlobal(g, argc),
            (Some(g), true) => Op::TailCallGlobal(g, argc),
            (None, false) => Op::Call(argc),
            (None, true) => Op::TailCall(argc),
        });
        if tail {
            self.emit(Op::Return);
        }
        Ok(())
    }

    /// The head of the inlined loop whose variable `head` is, if it is one.
    fn loop_head(&self, head: NodeId) -> Option<LoopHead> {
        let Node::Local {
            depth, index: 0, ..
        } = self.code.node(head)
        else {
            return None;
        };
        let at = self.scopes.len().checked_sub(1 + usize::from(*depth))?;
        self.loop_heads.get(&self.scopes[at].lambda).copied()
    }

    /// Whether global `g` is the one a `define` gives the procedure being generated to,
    /// which takes `argc` arguments and no rest list.
    fn is_global_self(&self, g: u32, argc: usize) -> bool {
        let Some(running) = self.funcs.last() else {
            return false;
        };
        let Some(l) = running.lambda.map(|l| self.code.lambda(l)) else {
            return false;
        };
        running.global == Some(g) && !l.rest && l.required == argc
    }

    /// Whether `head` is the variable of the named `let` whose procedure is being generated,
    /// never assigned by the program, called with as many arguments as it takes.
    fn is_loop_self(&self, head: NodeId, argc: usize) -> bool {
        let Node::Local {
            depth, index: 0, ..
        } = self.code.node(head)
        else {
            return false;
        };
        let Some(at) = self.scopes.len().checked_sub(1 + usize::from(*depth)) else {
            return false;
        };
        let holder = self.scopes[at].lambda;
        let (Some(proc), Some(running)) = (self.code.loop_proc(holder), self.funcs.last()) else {
            return false;
        };
        let l = self.code.lambda(proc);
        running.lambda == Some(proc)
            && !self.reassigned.contains(&(holder, 0))
            && !l.rest
            && l.required == argc
    }

    /// A call of an internal primitive.
    pub(super) fn prim_call(
        &mut self,
        prim: &'static Primitive,
        args: &[NodeId],
        pos: Pos,
    ) -> Result<()> {
        for a in args.iter() {
            self.expr(*a, false)?;
        }
        self.pos = pos;
        self.emit(Op::Prim(prim, args.len() as u16));
        Ok(())
    }

    /// A `cond` clause `(test => func)` and the clauses after it (`alt`).
    pub(super) fn cond_arrow(&mut self, parts: [NodeId; 3], pos: Pos, tail: bool) -> Result<()> {
        let [test, func, alt] = parts;
        self.expr(test, false)?;
        self.emit(Op::Dup);
        let skip = self.emit(Op::JumpIfFalse(0));
        self.expr(func, false)?;
        self.emit(Op::Swap);
        self.pos = pos;
        self.emit(if tail { Op::TailCall(1) } else { Op::Call(1) });
        let end = if tail {
            self.emit(Op::Return);
            None
        } else {
            Some(self.emit(Op::Jump(0)))
        };
        let here = self.prog.here();
        self.prog.patch(skip, here);
        self.emit(Op::Pop);
        self.expr(alt, tail)?;
        let here = self.prog.here();
        if let Some(end) = end {
            self.prog.patch(end, here);
        }
        Ok(())
    }

    /// `case`.
    pub(super) fn case(
        &mut self,
        key: NodeId,
        clauses: &[(Box<[Value]>, NodeId)],
        default: NodeId,
        tail: bool,
    ) -> Result<()> {
        self.expr(key, false)?;
        let table = self.prog.cases.len() as u32;
        self.prog.cases.push(CaseTable {
            clauses: Vec::new(),
            default: 0,
        });
        self.emit(Op::Case(table));
        let mut ends = Vec::new();
        let mut targets = Vec::new();
        for (data, body) in clauses.iter() {
            targets.push((data.clone(), self.prog.here()));
            self.expr(*body, tail)?;
            if !tail {
                ends.push(self.emit(Op::Jump(0)));
            }
        }
        let default_at = self.prog.here();
        self.expr(default, tail)?;
        let here = self.prog.here();
        for e in ends {
            self.prog.patch(e, here);
        }
        let t = &mut self.prog.cases[table as usize];
        t.clauses = targets;
        t.default = default_at;
        Ok(())
    }

    /// `guard`: the body between `PushCatch` and `PopCatch`, then the handler.
    pub(super) fn guard(&mut self, body: NodeId, handler: LambdaId) -> Result<()> {
        let catch = self.emit(Op::PushCatch(0));
        self.expr(body, false)?;
        self.emit(Op::PopCatch);
        let end = self.emit(Op::Jump(0));
        let here = self.prog.here();
        self.prog.patch(catch, here);
        // The machine pushed the raised object: it is the handler frame's variable.
        self.enter_let(handler, 1)?;
        let handled = self.expr(self.code.lambda(handler).body, false);
        self.exit_let();
        handled?;
        let here = self.prog.here();
        self.prog.patch(end, here);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::scheme::bytecode::Op;
    use crate::scheme::{Interpreter, Options};

    fn self_calls(src: &str) -> usize {
        let mut i = Interpreter::new(Options::default(), Box::new(std::io::sink()));
        i.run_source(src).unwrap();
        let ops = i.prog.ops.iter();
        ops.filter(|op| matches!(op, Op::TailSelfGlobal(..)))
            .count()
    }

    #[test]
    fn only_a_defined_procedures_tail_call_of_its_global_is_a_self_call() {
        assert_eq!(self_calls("(define (f n) (if (= n 0) 0 (f (- n 1))))"), 1);
        // Not in tail position, another arity, another global, an inner procedure.
        assert_eq!(
            self_calls("(define (f n) (if (= n 0) 0 (+ 1 (f (- n 1)))))"),
            0
        );
        assert_eq!(self_calls("(define (f n) (if (= n 0) 0 (f)))"), 0);
        assert_eq!(self_calls("(define (g n) n) (define (f n) (g n))"), 0);
        assert_eq!(self_calls("(define (f n) (lambda () (f n)))"), 0);
    }
}
