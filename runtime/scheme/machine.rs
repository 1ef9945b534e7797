//! The machine: runs [`bytecode`](super::bytecode) on a value stack and a call stack.
//!
//! The machine never recurses on the Rust stack: a call pushes a [`Frame`] recording where
//! to return, and a call in tail position reuses the running activation, so a loop of ten
//! million tail calls runs in constant space. The call stack has a configurable limit: deep
//! non-tail recursion ends with a "stack depth exceeded" error instead of exhausting memory.
//!
//! The instructions that call ([`apply`](super::apply)) and what a pending call records
//! ([`frames`](super::frames)) have files of their own.
//!
//! Everything the machine holds between instructions (the value stack of `Value`s, the
//! closures of pending calls) is `Gc` handles in Rust vectors, hence roots; a collection may
//! run at any allocation and needs nothing from the machine.

use super::bytecode::{Op, Pc, Program};
use super::continuations::Wind;
use super::control::Handler;
use super::ctx::Ctx;
use super::error::{bail, Result, SchemeError};
use super::fastops::{put_result, FastOp};
use super::frames::{Frame, Ret};
use super::gc::Gc;
use super::globals::Globals;
use super::primitives::PrimKind;
use super::value::{Closure, Slot, Value};

/// The most frames a backtrace shows.
const BACKTRACE_FRAMES: usize = 8;

/// Runs compiled code. One machine runs one top-level form.
pub struct Machine<'a> {
    pub(super) prog: &'a Program,
    pub(super) globals: &'a mut Globals,
    pub(super) ctx: &'a mut Ctx,
    pub(super) stack: Vec<Value>,
    pub(super) frames: Vec<Frame>,
    /// What the values of the pending calls whose frames `wait` are for, innermost last.
    pub(super) rets: Vec<Ret>,
    pub(super) max_depth: usize,
    /// The next instruction.
    pub(super) pc: Pc,
    /// The running activation's frame base in `stack`.
    pub(super) bp: usize,
    /// The running closure (`None` at top level).
    pub(super) closure: Option<Gc<Closure>>,
    /// Installed exception handlers and `guard`s, innermost last.
    pub(super) handlers: Vec<Handler>,
    /// The `dynamic-wind` bodies running, innermost last.
    pub(super) winds: Vec<Gc<Wind>>,
}

impl<'a> Machine<'a> {
    /// A machine over the interpreter's state, allowing `max_depth` pending calls.
    pub fn new(
        prog: &'a Program,
        globals: &'a mut Globals,
        ctx: &'a mut Ctx,
        max_depth: usize,
    ) -> Machine<'a> {
        let stack = ctx.take_stack();
        Machine {
            prog,
            globals,
            ctx,
            stack,
            frames: Vec::new(),
            rets: Vec::new(),
            max_depth,
            pc: 0,
            bp: 0,
            closure: None,
            handlers: Vec::new(),
            winds: Vec::new(),
        }
    }

    /// Runs the top-level form compiled as prototype `proto` and returns its value.
    pub fn run(&mut self, proto: u32) -> Result<Value> {
        let p = &self.prog.protos[proto as usize];
        self.pc = p.entry;
        self.bp = 0;
        self.stack
            .resize(usize::from(p.frame_size), Value::Undefined);
        let result = self.execute();
        let result = result.map_err(|e| {
            let e = e.with_pos(self.prog.pos_of(self.pc.saturating_sub(1)));
            self.with_backtrace(e)
        });
        // After an error the pending calls are dropped: their handles stop being roots,
        // and the heap is left consistent for the next form.
        self.ctx.give_stack(std::mem::take(&mut self.stack));
        self.frames.clear();
        self.rets.clear();
        self.handlers.clear();
        self.winds.clear();
        self.closure = None;
        self.ctx.raised = None;
        result
    }

    /// Adds the innermost pending calls to an error: each caller and where it made the call.
    fn with_backtrace(&self, mut e: SchemeError) -> SchemeError {
        if self.frames.is_empty() {
            return e;
        }
        let name = |c: Option<&Gc<Closure>>| match c {
            Some(c) => self.prog.proc_name(c.proto).to_string(),
            None => "top level".to_string(),
        };
        let mut callee = self.closure.as_ref();
        let mut lines = vec![(name(callee), e.pos.unwrap_or_default())];
        for f in self.frames.iter().rev().take(BACKTRACE_FRAMES - 1) {
            let caller = if f.same { callee } else { f.closure.as_ref() };
            lines.push((name(caller), self.prog.pos_of(f.pc.saturating_sub(1))));
            callee = caller;
        }
        e.backtrace = lines;
        e.more_frames = (self.frames.len() + 1).saturating_sub(BACKTRACE_FRAMES);
        e
    }

    #[inline]
    pub(super) fn pop(&mut self) -> Value {
        self.stack.pop().unwrap_or(Value::Unspecified)
    }

    fn var_error(&self, what: &str) -> SchemeError {
        let pc = self.pc.saturating_sub(1);
        let name = self.prog.var_names.get(&pc).map_or("?", String::as_str);
        SchemeError::new(format!("{what}: {name}"))
    }

    #[inline(always)]
    fn checked(&self, v: Value) -> Result<Value> {
        match v {
            Value::Undefined => Err(self.undefined()),
            v => Ok(v),
        }
    }

    #[cold]
    #[inline(never)]
    fn undefined(&self) -> SchemeError {
        self.var_error("variable used before its definition")
    }

    #[inline]
    pub(super) fn free(&self, i: u16) -> Result<&Value> {
        self.closure
            .as_ref()
            .and_then(|c| c.free.get(usize::from(i)))
            .ok_or_else(|| SchemeError::new("internal error: bad captured variable"))
    }

    fn cell(v: &Value) -> Result<&Gc<Slot>> {
        match v {
            Value::Cell(c) => Ok(c),
            _ => bail!("internal error: not a cell"),
        }
    }

    fn execute(&mut self) -> Result<Value> {
        loop {
            match self.execute_until_error() {
                Ok(v) => return Ok(v),
                Err(e) => self.handle_error(e)?,
            }
        }
    }

    /// The dispatch loop. The next instruction's index lives in the local `pc`, not in
    /// `self.pc`: an instruction that needs the machine's `pc` (a call, a return to
    /// something other than code, anything that can fail, since errors are reported at
    /// `self.pc - 1`) stores it first with `sync!` and, if it can move it, reads it back
    /// with `resync!`.
    fn execute_until_error(&mut self) -> Result<Value> {
        let prog = self.prog;
        let ops: &[Op] = &prog.ops;
        let mut pc = self.pc;
        macro_rules! sync {
            () => {
                self.pc = pc
            };
        }
        macro_rules! resync {
            () => {
                pc = self.pc
            };
        }
        // Returns `v` to the pending call on top of the call stack (or from the run).
        macro_rules! give_back {
            ($v:expr) => {{
                let v = $v;
                let frame = self.frames.pop();
                give_back_to!(v, frame);
            }};
        }
        // Returns `v` to `frame`, just popped (or from the run).
        macro_rules! give_back_to {
            ($v:expr, $frame:expr) => {{
                let v = $v;
                let Some(frame) = $frame else {
                    sync!();
                    return Ok(v);
                };
                self.stack.truncate(frame.ret_sp as usize);
                pc = frame.pc;
                self.bp = frame.bp as usize;
                if !frame.same {
                    self.closure = frame.closure;
                }
                if !frame.waits {
                    self.stack.push(v);
                } else {
                    sync!();
                    let ret = self.rets.pop().unwrap_or(Ret::Code);
                    self.finish(v, ret)?;
                    resync!();
                }
            }};
        }
        // Returns the value at `at` on the value stack, as `give_back!` does. When it goes to
        // the caller's code, it is moved down to where the call's values started and all
        // above it dropped: no clone of it, no drop of the clone, no push.
        macro_rules! give_back_at {
            ($at:expr) => {{
                let at: usize = $at;
                match self.frames.pop() {
                    Some(frame) if !frame.waits && frame.ret_sp as usize <= at => {
                        let ret_sp = frame.ret_sp as usize;
                        self.stack.swap(ret_sp, at);
                        self.stack.truncate(ret_sp + 1);
                        pc = frame.pc;
                        self.bp = frame.bp as usize;
                        if !frame.same {
                            self.closure = frame.closure;
                        }
                    }
                    None => give_back_to!(self.stack[at].clone(), None::<Frame>),
                    frame => {
                        let v = std::mem::replace(&mut self.stack[at], Value::Undefined);
                        give_back_to!(v, frame);
                    }
                }
            }};
        }
        loop {
            // Matched in place: each arm loads only its own operands.
            let at = pc as usize;
            pc += 1;
            match ops[at] {
                Op::Const(n) => self.stack.push(prog.consts[n as usize].clone()),
                Op::Local(s) => {
                    let v = &self.stack[self.bp + usize::from(s)];
                    if let Value::Undefined = v {
                        sync!();
                        return Err(self.undefined());
                    }
                    let v = v.clone();
                    self.stack.push(v);
                }
                Op::LocalCell(s) => {
                    sync!();
                    let v = Self::cell(&self.stack[self.bp + usize::from(s)])?.get();
                    let v = self.checked(v)?;
                    self.stack.push(v);
                }
                Op::LocalRaw(s) => {
                    let v = self.stack[self.bp + usize::from(s)].clone();
                    self.stack.push(v);
                }
                Op::Free(i) => {
                    sync!();
                    let v = self.free(i)?.clone();
                    let v = self.checked(v)?;
                    self.stack.push(v);
                }
                Op::FreeCell(i) => {
                    sync!();
                    let v = Self::cell(self.free(i)?)?.get();
                    let v = self.checked(v)?;
                    self.stack.push(v);
                }
                Op::FreeRaw(i) => {
                    sync!();
                    let v = self.free(i)?.clone();
                    self.stack.push(v);
                }
                Op::Global(id) => {
                    sync!();
                    let v = self.global(id)?;
                    self.stack.push(v);
                }
                Op::SetLocal(s) => {
                    let v = self.pop();
                    self.stack[self.bp + usize::from(s)] = v;
                }
                Op::SetLocalCell(s) => {
                    sync!();
                    let v = self.pop();
                    Self::cell(&self.stack[self.bp + usize::from(s)])?.set(v);
                }
                Op::SetFreeCell(i) => {
                    sync!();
                    let v = self.pop();
                    Self::cell(self.free(i)?)?.set(v);
                }
                Op::SetGlobal(id) => {
                    sync!();
                    let v = self.pop();
                    if matches!(self.globals.get(id), Value::Undefined) {
                        bail!("set! of unbound variable: {}", self.globals.name(id));
                    }
                    self.globals.set(id, v);
                }
                Op::DefineGlobal(id) => {
                    let v = self.pop();
                    self.globals.set(id, v);
                }
                Op::MakeCell(s) => {
                    sync!();
                    let at = self.bp + usize::from(s);
                    let v = std::mem::replace(&mut self.stack[at], Value::Undefined);
                    self.stack[at] = Value::Cell(self.ctx.alloc(Slot::new(v))?);
                }
                Op::NewCell(s) => {
                    sync!();
                    let cell = Value::Cell(self.ctx.alloc(Slot::new(Value::Undefined))?);
                    self.stack[self.bp + usize::from(s)] = cell;
                }
                Op::Clear(from, to) => {
                    let (from, to) = (self.bp + usize::from(from), self.bp + usize::from(to));
                    for v in &mut self.stack[from..to] {
                        *v = Value::Undefined;
                    }
                }
                Op::Pop => {
                    self.stack.pop();
                }
                Op::Dup => {
                    let v = self.stack.last().cloned().unwrap_or(Value::Unspecified);
                    self.stack.push(v);
                }
                Op::Swap => {
                    let n = self.stack.len();
                    self.stack.swap(n - 1, n - 2);
                }
                Op::Jump(t) => pc = t,
                Op::JumpIfFalse(t) => {
                    // Tested in place: a boolean is read by its tag, never moved.
                    if !self.stack.last().is_some_and(Value::is_true) {
                        pc = t;
                    }
                    self.stack.pop();
                }
                Op::OrJump(t) => {
                    if matches!(self.stack.last(), Some(Value::Bool(false))) {
                        self.stack.pop();
                    } else {
                        pc = t;
                    }
                }
                Op::FastBranch(f, id, t) => match self.fast_test(f, id) {
                    // The next instruction is the `JumpIfFalse` this test is for.
                    Some(yes) => pc = if yes { pc + 1 } else { t },
                    None => {
                        sync!();
                        self.fast_call(f, id)?;
                        resync!();
                    }
                },
                Op::FastBranchNot {
                    f,
                    id,
                    id_not,
                    target,
                } => {
                    if self.globals.is_builtin(id_not) {
                        if let Some(yes) = self.fast_test(f, id) {
                            // Past the general code: the `Fast`, the `FastBranch` and the jump.
                            pc = if yes { target } else { pc + 3 };
                        }
                    }
                }
                Op::PushCatch(at) => self.push_catch(at),
                Op::PopCatch => {
                    self.handlers.pop();
                }
                Op::FastBranch2(f, id, a, b, t) => {
                    if self.globals.is_builtin(id) {
                        if let (Some(x), Some(y)) = (self.int_src(a), self.int_src(b)) {
                            if let Some(yes) = f.int_test(x, y) {
                                pc = if yes { pc + 1 } else { t };
                                continue;
                            }
                        }
                    }
                    sync!();
                    self.push_src(a)?;
                    self.push_src(b)?;
                    match self.fast_test(f, id) {
                        Some(yes) => pc = if yes { pc + 1 } else { t },
                        None => {
                            sync!();
                            self.fast_call(f, id)?;
                            resync!();
                        }
                    }
                }
                Op::Case(t) => {
                    let key = self.pop();
                    let table = &prog.cases[t as usize];
                    pc = table
                        .clauses
                        .iter()
                        .find(|(data, _)| data.iter().any(|d| d.eqv(&key)))
                        .map_or(table.default, |(_, at)| *at);
                }
                Op::Closure { proto, free } => {
                    sync!();
                    let from = self.stack.len() - usize::from(free);
                    let free: Box<[Value]> = self.stack.drain(from..).collect();
                    let shape = prog.protos[proto as usize].shape();
                    let c = self.ctx.alloc(Closure { proto, shape, free })?;
                    self.stack.push(Value::Closure(c));
                }
                Op::Call(argc) => {
                    sync!();
                    self.call_at(argc, false)?;
                    resync!();
                }
                Op::TailCall(argc) => {
                    sync!();
                    self.call_at(argc, true)?;
                    resync!();
                }
                Op::CallGlobal(id, argc) => {
                    sync!();
                    self.call_global(id, argc, false)?;
                    resync!();
                }
                Op::TailCallGlobal(id, argc) => {
                    sync!();
                    self.call_global(id, argc, true)?;
                    resync!();
                }
                Op::TailSelfGlobal(id, argc) => {
                    sync!();
                    if let Some(entry) = self.self_again(id, argc)? {
                        pc = entry;
                        continue;
                    }
                    self.call_global(id, argc, true)?;
                    resync!();
                }
                Op::TailSelf(argc) => {
                    sync!();
                    self.ctx.budget.tick()?;
                    let Some(c) = &self.closure else {
                        bail!("internal error: a loop outside its procedure");
                    };
                    let shape = c.shape;
                    self.reenter(usize::from(argc), usize::from(shape.frame_size));
                    pc = shape.entry;
                }
                Op::Loop { slot, n, target } => {
                    sync!();
                    self.ctx.budget.tick()?;
                    let base = self.bp + usize::from(slot);
                    for k in (0..usize::from(n)).rev() {
                        let v = self.pop();
                        self.stack[base + k] = v;
                    }
                    pc = target;
                }
                Op::StepLoop {
                    f,
                    a,
                    b,
                    slot,
                    id,
                    target,
                } => {
                    if let Some(v) = self.step(f, id, a, b) {
                        sync!();
                        self.ctx.budget.tick()?;
                        self.stack[self.bp + usize::from(slot)] = v;
                        pc = target;
                    }
                }
                Op::Fast2(f, id, a, b) => {
                    if self.globals.is_builtin(id) {
                        if let (Some(x), Some(y)) = (self.int_src(a), self.int_src(b)) {
                            if let Some(v) = f.int2(x, y) {
                                self.stack.push(v);
                                continue;
                            }
                        }
                    }
                    sync!();
                    self.push_src(a)?;
                    self.push_src(b)?;
                    if !self.fast(f, id) {
                        sync!();
                        self.fast_call(f, id)?;
                        resync!();
                    }
                }
                Op::FastTop(f, id, src, side) => {
                    let v = self.top_ints(id, src, side).and_then(|(x, y)| f.int2(x, y));
                    if let (Some(v), Some(top)) = (v, self.stack.last_mut()) {
                        *top = v;
                        continue;
                    }
                    sync!();
                    self.top_call(f, id, src, side)?;
                    resync!();
                }
                Op::FastBranchTop(f, id, src, side, t) => {
                    let yes = self
                        .top_ints(id, src, side)
                        .and_then(|(x, y)| f.int_test(x, y));
                    if let Some(yes) = yes {
                        self.stack.pop();
                        pc = if yes { pc + 1 } else { t };
                        continue;
                    }
                    sync!();
                    self.top_in_order(src, side)?;
                    match self.fast_test(f, id) {
                        Some(yes) => pc = if yes { pc + 1 } else { t },
                        None => {
                            self.fast_call(f, id)?;
                            resync!();
                        }
                    }
                }
                Op::FastRef(f, id, a, b) => {
                    if let Some(v) = self.fast_ref(f, id, a, b) {
                        self.stack.push(v);
                        continue;
                    }
                    sync!();
                    self.place_call(f, id, a, b, false)?;
                    resync!();
                }
                Op::FastSet(id, a, b) => {
                    if self.fast_set(id, a, b) {
                        continue;
                    }
                    sync!();
                    self.place_call(FastOp::VectorSet, id, a, b, true)?;
                    resync!();
                }
                Op::FastSetK(id, a, b, n) => {
                    let x = &prog.consts[n as usize];
                    if self.fast_set_k(id, a, b, x) {
                        continue;
                    }
                    sync!();
                    self.stack.push(x.clone());
                    self.place_call(FastOp::VectorSet, id, a, b, true)?;
                    resync!();
                }
                Op::FastSetDrop(id, a, b) => {
                    if self.fast_set_drop(id, a, b) {
                        pc += 1;
                        continue;
                    }
                    sync!();
                    self.place_call(FastOp::VectorSet, id, a, b, true)?;
                    resync!();
                }
                Op::FastSetKDrop(id, a, b, n) => {
                    if self.fast_set_k_drop(id, a, b, &prog.consts[n as usize]) {
                        pc += 1;
                        continue;
                    }
                    sync!();
                    self.stack.push(prog.consts[n as usize].clone());
                    self.place_call(FastOp::VectorSet, id, a, b, true)?;
                    resync!();
                }
                Op::Fast(f, id) => {
                    if !self.fast(f, id) {
                        sync!();
                        self.fast_call(f, id)?;
                        resync!();
                    }
                }
                Op::BranchLL {
                    mask,
                    skip,
                    a,
                    b,
                    id,
                    id2,
                    target,
                } => {
                    let y = self.slot_int(b);
                    if let Some(yes) = self.int_branch((mask, id, id2), a, y) {
                        pc = if yes { pc + Pc::from(skip) } else { target };
                    }
                }
                Op::BranchLK {
                    mask,
                    skip,
                    a,
                    k,
                    id,
                    id2,
                    target,
                } => {
                    if let Some(yes) = self.int_branch((mask, id, id2), a, Some(i64::from(k))) {
                        pc = if yes { pc + Pc::from(skip) } else { target };
                    }
                }
                Op::FastSlot { f, skip, slot, id } => {
                    if self.fast_slot(f, id, slot) {
                        pc += Pc::from(skip);
                    }
                }
                Op::BranchSlot {
                    f,
                    skip,
                    slot,
                    id,
                    target,
                } => {
                    if let Some(yes) = self.test_slot(f, id, slot) {
                        pc = if yes { pc + Pc::from(skip) } else { target };
                    }
                }
                Op::AddK { id, slot, k } => {
                    if self.add_k(id, slot, k) {
                        // Past the general code, the `Fast2` after it.
                        pc += 1;
                    }
                }
                Op::Prim(p, argc) => {
                    sync!();
                    let at = self.stack.len() - usize::from(argc);
                    let PrimKind::Fn(f) = p.kind else {
                        bail!("internal error: {} cannot be called directly", p.name);
                    };
                    let v = f(self.ctx, &self.stack[at..])?;
                    put_result(&mut self.stack, at, v);
                }
                Op::Return => match self.stack.len().checked_sub(1) {
                    Some(top) => give_back_at!(top),
                    None => give_back!(Value::Unspecified),
                },
                Op::ReturnLocal(s) => give_back_at!(self.bp + usize::from(s)),
            }
        }
    }
}
