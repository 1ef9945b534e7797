//! The evaluator: a CEK-style machine with an explicit continuation stack.
//!
//! The machine never recurses on the Rust stack: evaluating a subexpression pushes a
//! continuation ([`Kont`]) saying what to do with its value, and a call in tail position
//! pushes nothing, so a loop of ten million tail calls runs in constant space. The
//! continuation stack has a configurable limit: deep non-tail recursion ends with a "stack
//! depth exceeded" error instead of exhausting memory or the native stack.
//!
//! Everything the machine holds between steps (environments, argument vectors, values) is a
//! `Gc` handle in a Rust data structure, hence a root; a collection may run at any
//! allocation and needs nothing from the machine.

use super::code::{Code, Node, NodeId};
use super::ctx::{heap_limit, Ctx};
use super::error::{bail, Pos, Result, SchemeError};
use super::gc::Gc;
use super::globals::Globals;
use super::primitives::{list_items, PrimKind};
use super::value::{parent, Closure, Env, Frame, Slot, Value};

/// What the machine does next.
pub(super) enum Mode {
    /// Evaluate a node in an environment.
    Eval(NodeId, Env),
    /// Hand a value to the top continuation.
    Return(Value),
}

/// What to do with the value of the subexpression being evaluated.
pub(super) enum Kont {
    /// Choose a branch of an `if`.
    If { then: NodeId, alt: NodeId, env: Env },
    /// Go on with item `next` of a `Seq` node.
    Seq { node: NodeId, next: usize, env: Env },
    /// Collect the operands of a `Call`, `PrimCall` or `Let` node; `next` is the operand
    /// to evaluate after this value is stored.
    Operands {
        node: NodeId,
        next: usize,
        env: Env,
        vals: Vec<Value>,
    },
    /// Store into a local variable.
    SetLocal { depth: u16, index: u16, env: Env },
    /// Store into a global variable (which must already be bound).
    SetGlobal { id: u32, pos: Pos },
    /// Define a global.
    Define { id: u32 },
    /// Go on with an `and`.
    And { node: NodeId, next: usize, env: Env },
    /// Go on with an `or`.
    Or { node: NodeId, next: usize, env: Env },
    /// Pick a `case` clause.
    Case { node: NodeId, env: Env },
    /// A `cond` `=>` clause's test value arrived.
    CondTest { node: NodeId, env: Env },
    /// A `cond` `=>` clause's procedure arrived: call it on the test value.
    CondCall { arg: Value, pos: Pos },
    /// A `map` or `for-each` in progress.
    Map(Box<MapState>),
    /// Turn the list a `vector-map` produced into a vector.
    ToVector,
}

/// The state of a `map`, `for-each`, `vector-map` or `vector-for-each`.
pub(super) struct MapState {
    pub(super) func: Value,
    pub(super) lists: Vec<Value>,
    pub(super) acc: Vec<Value>,
    pub(super) remaining: usize,
    pub(super) collect: bool,
    pub(super) pos: Pos,
}

/// Runs compiled code. One machine runs one top-level form.
pub struct Machine<'a> {
    pub(super) code: &'a Code,
    pub(super) globals: &'a mut Globals,
    pub(super) ctx: &'a mut Ctx,
    pub(super) stack: Vec<Kont>,
    pub(super) max_depth: usize,
    /// The position of the call being applied, for errors raised inside it.
    pub(super) pos: Pos,
    /// Where a frame's slots are assembled before they are copied into the heap.
    pub(super) scratch: Vec<Slot>,
    /// The operands of a primitive call made without a continuation.
    pub(super) direct: Vec<Value>,
}

impl<'a> Machine<'a> {
    /// A machine over the interpreter's state, allowing `max_depth` pending continuations.
    pub fn new(
        code: &'a Code,
        globals: &'a mut Globals,
        ctx: &'a mut Ctx,
        max_depth: usize,
    ) -> Machine<'a> {
        Machine {
            code,
            globals,
            ctx,
            stack: Vec::new(),
            max_depth,
            pos: Pos::new(1, 1),
            scratch: Vec::new(),
            direct: Vec::new(),
        }
    }

    /// Evaluates `node` at top level and returns its value.
    pub fn run(&mut self, node: NodeId, pos: Pos) -> Result<Value> {
        self.pos = pos;
        let result = self.execute(node);
        // After an error the pending continuations are dropped: their handles stop being
        // roots, and the heap is left consistent for the next form.
        self.stack.clear();
        result.map_err(|e| e.with_pos(self.pos))
    }

    fn execute(&mut self, start: NodeId) -> Result<Value> {
        let mut mode = Mode::Eval(start, None);
        loop {
            self.ctx.budget.tick()?;
            mode = match mode {
                Mode::Eval(id, env) => self.eval(id, env)?,
                Mode::Return(v) => match self.stack.pop() {
                    None => return Ok(v),
                    Some(k) => self.resume(k, v)?,
                },
            };
        }
    }

    #[inline]
    pub(super) fn push(&mut self, k: Kont) -> Result<()> {
        if self.stack.len() >= self.max_depth {
            bail!(
                "stack depth exceeded (more than {} pending calls; see --max-depth)",
                self.max_depth
            );
        }
        self.stack.push(k);
        Ok(())
    }

    /// The frame `depth` levels up from `env`.
    fn frame(env: &Env, depth: u16) -> Result<Gc<Frame>> {
        let mut frame = env.clone();
        for _ in 0..depth {
            frame = frame.and_then(|f| parent(&f));
        }
        frame.ok_or_else(|| SchemeError::new("internal error: environment too shallow"))
    }

    #[inline]
    fn local(&self, env: &Env, depth: u16, index: u16, name: u32, pos: Pos) -> Result<Value> {
        let slot = index as usize + 1;
        let v = if depth == 0 {
            env.as_ref().and_then(|f| f.get(slot)).map(Slot::get)
        } else {
            Self::frame(env, depth)?.get(slot).map(Slot::get)
        };
        match v {
            Some(Value::Undefined) => Err(SchemeError::at(
                pos,
                format!(
                    "variable used before its definition: {}",
                    self.code.name(name)
                ),
            )),
            Some(v) => Ok(v),
            None => Err(SchemeError::at(pos, "internal error: bad variable slot")),
        }
    }

    /// Makes a frame on the heap: slot 0 links to `parent`, then `args`, then `Undefined`
    /// up to `size` variables. The slots are assembled in a reused buffer, so a call costs
    /// one heap object and no other allocation.
    pub(super) fn make_frame(
        &mut self,
        parent: Env,
        args: impl Iterator<Item = Value>,
        rest: Option<Value>,
        size: usize,
    ) -> Result<Gc<Frame>> {
        let scratch = &mut self.scratch;
        scratch.clear();
        scratch.push(Slot::new(parent.map_or(Value::Nil, Value::Env)));
        scratch.extend(args.map(Slot::new));
        scratch.extend(rest.map(Slot::new));
        while scratch.len() <= size {
            scratch.push(Slot::new(Value::Undefined));
        }
        let frame = self.ctx.heap.try_alloc_slice(scratch).map_err(heap_limit);
        scratch.clear();
        frame
    }

    #[inline]
    fn global(&self, id: u32, pos: Pos) -> Result<Value> {
        match self.globals.get(id) {
            Value::Undefined => Err(SchemeError::at(
                pos,
                format!("unbound variable: {}", self.globals.name(id)),
            )),
            v => Ok(v.clone()),
        }
    }

    /// The value of a node that needs no continuation (constant or variable), if it is one.
    #[inline]
    fn try_simple(&self, id: NodeId, env: &Env) -> Option<Result<Value>> {
        match self.code.node(id) {
            Node::Const(v) => Some(Ok(v.clone())),
            Node::Local {
                depth,
                index,
                name,
                pos,
            } => Some(self.local(env, *depth, *index, *name, *pos)),
            Node::Global { id, pos } => Some(self.global(*id, *pos)),
            _ => None,
        }
    }

    fn eval(&mut self, id: NodeId, env: Env) -> Result<Mode> {
        let code = self.code;
        Ok(match code.node(id) {
            Node::Const(v) => Mode::Return(v.clone()),
            Node::Local {
                depth,
                index,
                name,
                pos,
            } => Mode::Return(self.local(&env, *depth, *index, *name, *pos)?),
            Node::Global { id, pos } => Mode::Return(self.global(*id, *pos)?),
            Node::SetLocal {
                depth,
                index,
                value,
            } => {
                self.push(Kont::SetLocal {
                    depth: *depth,
                    index: *index,
                    env: env.clone(),
                })?;
                Mode::Eval(*value, env)
            }
            Node::SetGlobal { id, value, pos } => {
                self.push(Kont::SetGlobal { id: *id, pos: *pos })?;
                Mode::Eval(*value, env)
            }
            Node::DefineGlobal { id, value } => {
                self.push(Kont::Define { id: *id })?;
                Mode::Eval(*value, env)
            }
            Node::If { test, then, alt } => match self.try_simple(*test, &env) {
                Some(v) => Mode::Eval(if v?.is_true() { *then } else { *alt }, env),
                None => {
                    self.push(Kont::If {
                        then: *then,
                        alt: *alt,
                        env: env.clone(),
                    })?;
                    Mode::Eval(*test, env)
                }
            },
            Node::Lambda(lambda) => Mode::Return(Value::Closure(self.ctx.alloc(Closure {
                lambda: *lambda,
                env,
            })?)),
            Node::Seq(nodes) => match nodes.len() {
                0 => Mode::Return(Value::Unspecified),
                1 => Mode::Eval(nodes[0], env),
                _ => {
                    self.push(Kont::Seq {
                        node: id,
                        next: 1,
                        env: env.clone(),
                    })?;
                    Mode::Eval(nodes[0], env)
                }
            },
            Node::Call { parts, pos } => self.call(id, parts, *pos, env)?,
            Node::PrimCall { args, .. } | Node::Let { inits: args, .. } => {
                let vals = self.ctx.take_args();
                self.operands(id, args, 0, env, vals)?
            }
            Node::And(nodes) | Node::Or(nodes) => {
                if nodes.len() > 1 {
                    let (node, next) = (id, 1);
                    let env = env.clone();
                    self.push(if matches!(code.node(id), Node::And(_)) {
                        Kont::And { node, next, env }
                    } else {
                        Kont::Or { node, next, env }
                    })?;
                }
                Mode::Eval(nodes[0], env)
            }
            Node::Case { key, .. } => match self.try_simple(*key, &env) {
                Some(v) => Mode::Eval(self.case_branch(id, &v?), env),
                None => {
                    self.push(Kont::Case {
                        node: id,
                        env: env.clone(),
                    })?;
                    Mode::Eval(*key, env)
                }
            },
            Node::CondArrow { test, .. } => {
                self.push(Kont::CondTest {
                    node: id,
                    env: env.clone(),
                })?;
                Mode::Eval(*test, env)
            }
        })
    }

    /// Starts a call. The common case, a primitive applied to constants and variables,
    /// runs right here on a reused buffer; every other call collects its operands in a
    /// vector from the argument pool.
    fn call(&mut self, node: NodeId, parts: &'a [NodeId], pos: Pos, env: Env) -> Result<Mode> {
        let mut direct = std::mem::take(&mut self.direct);
        direct.clear();
        let mut simple = 0;
        while let Some(&part) = parts.get(simple) {
            match self.try_simple(part, &env) {
                Some(Ok(v)) => direct.push(v),
                Some(Err(e)) => {
                    direct.clear();
                    self.direct = direct;
                    return Err(e);
                }
                None => break,
            }
            simple += 1;
        }
        if simple == parts.len() {
            let result = match direct.first() {
                Some(Value::Primitive(p)) => match (&p.kind, p.accepts(direct.len() - 1)) {
                    (PrimKind::Fn(f), true) => {
                        self.pos = pos;
                        Some(f(self.ctx, &direct[1..]).map(Mode::Return))
                    }
                    _ => None,
                },
                Some(Value::Closure(c)) => {
                    self.pos = pos;
                    let c = c.clone();
                    Some(self.enter(&c, &mut direct, 1))
                }
                _ => None,
            };
            if let Some(result) = result {
                direct.clear();
                self.direct = direct;
                return result;
            }
        }
        let mut vals = self.ctx.take_args();
        vals.append(&mut direct);
        self.direct = direct;
        self.operands(node, parts, simple, env, vals)
    }

    fn case_branch(&self, node: NodeId, key: &Value) -> NodeId {
        match self.code.node(node) {
            Node::Case {
                clauses, default, ..
            } => clauses
                .iter()
                .find(|(data, _)| data.iter().any(|d| d.eqv(key)))
                .map(|(_, body)| *body)
                .unwrap_or(*default),
            _ => node,
        }
    }

    fn operand_ids(&self, node: NodeId) -> &'a [NodeId] {
        match self.code.node(node) {
            Node::Call { parts, .. } => parts,
            Node::PrimCall { args, .. } => args,
            Node::Let { inits, .. } => inits,
            _ => &[],
        }
    }

    /// Evaluates operands `ids[next..]` into `vals`: inline while they are constants or
    /// variables, through a continuation otherwise; then completes the node.
    fn operands(
        &mut self,
        node: NodeId,
        ids: &'a [NodeId],
        mut next: usize,
        env: Env,
        mut vals: Vec<Value>,
    ) -> Result<Mode> {
        while let Some(&operand) = ids.get(next) {
            match self.try_simple(operand, &env) {
                Some(Ok(v)) => vals.push(v),
                Some(Err(e)) => {
                    self.ctx.give_args(vals);
                    return Err(e);
                }
                None => {
                    self.push(Kont::Operands {
                        node,
                        next: next + 1,
                        env: env.clone(),
                        vals,
                    })?;
                    return Ok(Mode::Eval(operand, env));
                }
            }
            next += 1;
        }
        self.complete(node, env, vals)
    }

    /// All operands of `node` are in `vals`: call, or enter the `let` body.
    fn complete(&mut self, node: NodeId, env: Env, vals: Vec<Value>) -> Result<Mode> {
        let code = self.code;
        match code.node(node) {
            Node::Call { pos, .. } => {
                self.pos = *pos;
                self.apply(vals)
            }
            Node::PrimCall { prim, pos, .. } => {
                self.pos = *pos;
                let PrimKind::Fn(f) = prim.kind else {
                    bail!("internal error: {} cannot be called directly", prim.name);
                };
                let result = f(self.ctx, &vals);
                self.ctx.give_args(vals);
                Ok(Mode::Return(result?))
            }
            Node::Let { lambda, .. } => {
                let lambda = code.lambda(*lambda);
                let mut vals = vals;
                let frame = self.make_frame(env, vals.drain(..), None, lambda.frame_size);
                self.ctx.give_args(vals);
                Ok(Mode::Eval(lambda.body, Some(frame?)))
            }
            _ => bail!("internal error: not a call"),
        }
    }

    fn resume(&mut self, k: Kont, v: Value) -> Result<Mode> {
        let code = self.code;
        Ok(match k {
            Kont::If { then, alt, env } => Mode::Eval(if v.is_true() { then } else { alt }, env),
            Kont::Seq { node, next, env } => {
                let Node::Seq(nodes) = code.node(node) else {
                    bail!("internal error: not a sequence");
                };
                if next + 1 < nodes.len() {
                    self.push(Kont::Seq {
                        node,
                        next: next + 1,
                        env: env.clone(),
                    })?;
                }
                Mode::Eval(nodes[next], env)
            }
            Kont::Operands {
                node,
                next,
                env,
                mut vals,
            } => {
                vals.push(v);
                let ids = self.operand_ids(node);
                self.operands(node, ids, next, env, vals)?
            }
            Kont::SetLocal { depth, index, env } => {
                if let Some(slot) = Self::frame(&env, depth)?.get(index as usize + 1) {
                    slot.set(v);
                }
                Mode::Return(Value::Unspecified)
            }
            Kont::SetGlobal { id, pos } => {
                if matches!(self.globals.get(id), Value::Undefined) {
                    return Err(SchemeError::at(
                        pos,
                        format!("set! of unbound variable: {}", self.globals.name(id)),
                    ));
                }
                self.globals.set(id, v);
                Mode::Return(Value::Unspecified)
            }
            Kont::Define { id } => {
                self.globals.set(id, v);
                Mode::Return(Value::Unspecified)
            }
            Kont::And { node, next, env } | Kont::Or { node, next, env } => {
                let (Node::And(nodes) | Node::Or(nodes)) = code.node(node) else {
                    bail!("internal error: not and/or");
                };
                let is_and = matches!(code.node(node), Node::And(_));
                if v.is_true() != is_and {
                    return Ok(Mode::Return(v));
                }
                if next + 1 < nodes.len() {
                    let (node, next, env) = (node, next + 1, env.clone());
                    self.push(if is_and {
                        Kont::And { node, next, env }
                    } else {
                        Kont::Or { node, next, env }
                    })?;
                }
                Mode::Eval(nodes[next], env)
            }
            Kont::Case { node, env } => Mode::Eval(self.case_branch(node, &v), env),
            Kont::CondTest { node, env } => {
                let Node::CondArrow { func, alt, pos, .. } = code.node(node) else {
                    bail!("internal error: not a cond clause");
                };
                if v.is_true() {
                    self.push(Kont::CondCall { arg: v, pos: *pos })?;
                    Mode::Eval(*func, env)
                } else {
                    Mode::Eval(*alt, env)
                }
            }
            Kont::CondCall { arg, pos } => {
                self.pos = pos;
                let mut vals = self.ctx.take_args();
                vals.push(v);
                vals.push(arg);
                self.apply(vals)?
            }
            Kont::Map(mut state) => {
                if state.collect {
                    state.acc.push(v);
                }
                self.map_step(state)?
            }
            Kont::ToVector => {
                let items = list_items("vector-map", &v)?;
                Mode::Return(self.ctx.vector(&items)?)
            }
        })
    }
}
