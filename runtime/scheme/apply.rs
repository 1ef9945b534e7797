//! Calling procedures: closures (arity, frame, body), primitives (called on a slice of the
//! value stack, no argument vector), record procedures, and the primitives that call
//! procedures themselves (`apply`, `map`, `for-each`, `vector-map`, `vector-for-each`),
//! whose calls go through the machine like any other.

use super::bytecode::Pc;
use super::error::{bail, Result, SchemeError};
use super::fastops::put_result;
use super::frames::{position, Frame, Into, MapState, Ret};
use super::gc::Gc;
use super::machine::Machine;
use super::primitives::{list_count, list_items, records, wrong_type, PrimKind};
use super::printer::repr;
use super::value::{Closure, Shape, Value};

/// A value a call produced at once, and what it is for.
pub(super) type Done = Option<(Value, Ret)>;

impl Machine<'_> {
    /// Calls `f` on the `argc` topmost values. When the call returns, the stack is cut back
    /// to `ret_sp` and the value goes to `ret`. A closure in `tail` position reuses the
    /// running activation (and `ret_sp`, `ret` of the call that made it). Returns the value
    /// when it is known at once (primitives), `None` when a closure's code runs next.
    pub(super) fn invoke(
        &mut self,
        mut f: Value,
        mut argc: usize,
        ret_sp: usize,
        mut ret: Ret,
        tail: bool,
    ) -> Result<Done> {
        loop {
            let sp = self.stack.len();
            match &f {
                Value::Closure(c) => {
                    let c = c.clone();
                    self.enter(c, argc, ret_sp, ret, tail)?;
                    return Ok(None);
                }
                Value::Primitive(p) => {
                    if !p.accepts(argc) {
                        bail!(
                            "wrong number of arguments to {}: expected {}, got {argc}",
                            p.name,
                            p.arity()
                        );
                    }
                    match p.kind {
                        PrimKind::Fn(fun) => {
                            let v = fun(self.ctx, &self.stack[sp - argc..])?;
                            self.stack.truncate(ret_sp);
                            return Ok(Some((v, ret)));
                        }
                        PrimKind::Apply => {
                            // (apply g a ... list): g and the a's stay, the list is spread.
                            let last = self.stack.pop().unwrap_or(Value::Nil);
                            let spread = list_items("apply", &last)?;
                            f = self.stack[sp - argc].clone();
                            argc = argc - 2 + spread.len();
                            self.stack.extend(spread);
                        }
                        PrimKind::Map(collect)
                        | PrimKind::VectorMap(collect)
                        | PrimKind::StringMap(collect) => {
                            let into = match p.kind {
                                PrimKind::VectorMap(_) => Into::Vector,
                                PrimKind::StringMap(_) => Into::String,
                                _ => Into::List,
                            };
                            let func = self.stack[sp - argc].clone();
                            let mut lists = Vec::with_capacity(argc - 1);
                            for v in &self.stack[sp - argc + 1..] {
                                let items: Vec<Value> = match (into, v) {
                                    (Into::List, _) => {
                                        lists.push(v.clone());
                                        continue;
                                    }
                                    (Into::Vector, Value::Vector(items)) => {
                                        items.iter().map(|s| s.get()).collect()
                                    }
                                    (
                                        Into::String,
                                        Value::Str(_) | Value::AStr(_) | Value::MStr(_),
                                    ) => {
                                        let s = crate::scheme::primitives::string(p.name, v)?;
                                        s.chars().map(Value::Char).collect()
                                    }
                                    (Into::Vector, _) => {
                                        return Err(wrong_type(p.name, "a vector", v))
                                    }
                                    (Into::String, _) => {
                                        return Err(wrong_type(p.name, "a string", v))
                                    }
                                };
                                lists.push(self.ctx.list(&items)?);
                            }
                            let vector = into;
                            self.stack.truncate(ret_sp);
                            return self.map_start(func, lists, collect, vector, p.name, ret);
                        }
                        _ => return self.control(p, argc, ret_sp, ret),
                    }
                }
                Value::RecordProc(rp) => {
                    let v = records::call_record_proc(self.ctx, rp, &self.stack[sp - argc..])?;
                    self.stack.truncate(ret_sp);
                    return Ok(Some((v, ret)));
                }
                Value::Object(o) => {
                    let o = o.clone();
                    match self.call_object(&o, argc, ret_sp, ret)? {
                        Ok(done) => return Ok(done),
                        Err((next, r)) => (f, ret) = (next, r),
                    }
                }
                other => bail!("not a procedure: {}", repr(other)),
            }
        }
    }

    /// Enters closure `c` on the `argc` topmost values: checks the arity, lays out its
    /// frame where the arguments are, and continues with its code.
    #[inline(always)]
    pub(super) fn enter(
        &mut self,
        c: Gc<Closure>,
        argc: usize,
        ret_sp: usize,
        ret: Ret,
        tail: bool,
    ) -> Result<()> {
        let proto = c.shape;
        let required = usize::from(proto.required);
        if argc < required || (!proto.rest && argc > required) {
            let expected = if proto.rest {
                format!("at least {required}")
            } else {
                required.to_string()
            };
            let name = self.prog.proc_name(c.proto);
            bail!("wrong number of arguments to {name}: expected {expected}, got {argc}");
        }
        let args_at = self.stack.len() - argc;
        if tail {
            self.stack.drain(self.bp..args_at);
            let caller = self.closure.replace(c);
            // The frame that said "the caller runs the running closure" must now name it.
            if let Some(f) = self.frames.last_mut() {
                if f.same {
                    f.closure = caller;
                    f.same = false;
                }
            }
        } else {
            self.check_depth()?;
            let ret_sp = position(ret_sp)?;
            let waits = !matches!(ret, Ret::Code);
            if waits {
                self.rets.push(ret);
            }
            let closure = self.closure.take();
            self.frames.push(Frame {
                pc: self.pc,
                ret_sp,
                bp: self.bp as u32,
                same: false,
                waits,
                closure,
            });
            self.bp = args_at;
            self.closure = Some(c);
        }
        if proto.rest {
            let from = self.bp + required;
            let rest = self.ctx.list(&self.stack[from..])?;
            self.stack.truncate(from);
            self.stack.push(rest);
        }
        let frame_end = self.bp + usize::from(proto.frame_size);
        self.fill_frame(frame_end);
        self.pc = proto.entry;
        Ok(())
    }

    /// A call of the running closure (of shape `proto`) by itself on the `argc` topmost
    /// values, `at` being where they start: `enter` without a copy of the closure's handle
    /// (a non-tail call's frame says the caller runs the same closure).
    #[inline(always)]
    pub(super) fn enter_self(
        &mut self,
        proto: Shape,
        argc: usize,
        at: usize,
        tail: bool,
    ) -> Result<()> {
        let required = usize::from(proto.required);
        if proto.rest || argc != required {
            // Rare: the general path (rest lists, arity errors), with a copy of the handle.
            let Some(c) = self.closure.clone() else {
                bail!("internal error: a self call at top level");
            };
            return self.enter(c, argc, at, Ret::Code, tail);
        }
        if tail {
            self.stack.drain(self.bp..at);
            let frame_end = self.bp + usize::from(proto.frame_size);
            self.fill_frame(frame_end);
            self.pc = proto.entry;
            return Ok(());
        }
        self.check_depth()?;
        self.frames.push(Frame {
            pc: self.pc,
            ret_sp: position(at)?,
            bp: self.bp as u32,
            same: true,
            waits: false,
            closure: None,
        });
        self.bp = at;
        let frame_end = at + usize::from(proto.frame_size);
        self.fill_frame(frame_end);
        self.pc = proto.entry;
        Ok(())
    }

    /// A `TailSelfGlobal`: when global `id` holds the running closure, its next run on the
    /// `argc` topmost values, which replace its frame; returns where its code starts, or
    /// `None` for the general tail call.
    #[inline(always)]
    pub(super) fn self_again(&mut self, id: u32, argc: u16) -> Result<Option<Pc>> {
        let (Value::Closure(g), Some(running)) = (self.globals.get(id), &self.closure) else {
            return Ok(None);
        };
        if !Gc::ptr_eq(g, running) {
            return Ok(None);
        }
        let shape = running.shape;
        self.ctx.budget.tick()?;
        let at = self.stack.len() - usize::from(argc);
        self.stack.drain(self.bp..at);
        self.fill_frame(self.bp + usize::from(shape.frame_size));
        Ok(Some(shape.entry))
    }

    /// A loop's next iteration (`TailSelf`): the `argc` topmost values become the running
    /// frame's first slots and its other `frame_size - argc` slots hold no value again.
    /// When the frame is exactly the parameters and the arguments sit right above it (a
    /// loop with no body variables), each argument is popped into its slot; otherwise
    /// the slots are cut out with `Vec::drain` and the frame filled again.
    #[inline(always)]
    pub(super) fn reenter(&mut self, argc: usize, frame_size: usize) {
        let bp = self.bp;
        if argc == frame_size && self.stack.len() == bp + 2 * argc {
            for k in (0..argc).rev() {
                if let Some(v) = self.stack.pop() {
                    self.stack[bp + k] = v;
                }
            }
            return;
        }
        let args_at = self.stack.len() - argc;
        self.stack.drain(bp..args_at);
        self.fill_frame(bp + frame_size);
    }

    /// Extends the value stack up to `end` with slots holding no value yet (the body
    /// variables of a frame being entered): a loop of pushes the compiler keeps inline,
    /// where `Vec::resize` was an out-of-line call on every loop iteration.
    #[inline(always)]
    pub(super) fn fill_frame(&mut self, end: usize) {
        while self.stack.len() < end {
            self.stack.push(Value::Undefined);
        }
    }

    /// Fails when a pending call more would pass `--max-depth`.
    #[inline(always)]
    fn check_depth(&self) -> Result<()> {
        if self.frames.len() >= self.max_depth {
            return Err(self.depth_exceeded());
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn depth_exceeded(&self) -> SchemeError {
        SchemeError::limit(format!(
            "stack depth exceeded (more than {} pending calls; see --max-depth)",
            self.max_depth
        ))
    }

    fn map_start(
        &mut self,
        func: Value,
        lists: Vec<Value>,
        collect: bool,
        vector: Into,
        who: &str,
        ret: Ret,
    ) -> Result<Done> {
        // Iterate as many times as the shortest finite list is long; all lists circular
        // would never end, and with `map` would grow memory the heap limit cannot see.
        let mut remaining = None;
        for l in &lists {
            match list_length(l) {
                Some(n) => remaining = Some(remaining.map_or(n, |r: usize| r.min(n))),
                None if matches!(l, Value::Pair(_)) => {}
                None => return Err(wrong_type(who, "a list", l)),
            }
        }
        let Some(remaining) = remaining else {
            bail!("{who}: every list is circular");
        };
        let state = MapState {
            func,
            lists,
            acc: Vec::new(),
            remaining,
            collect,
            vector,
            ret,
        };
        self.map_step(Box::new(state))
    }

    /// Makes the next call of a map, or produces its result.
    pub(super) fn map_step(&mut self, mut state: Box<MapState>) -> Result<Done> {
        let ret_sp = self.stack.len();
        if state.remaining > 0 {
            state.remaining -= 1;
            let mut complete = true;
            for l in state.lists.iter_mut() {
                let Value::Pair(p) = &*l else {
                    // A list was shortened while mapping: stop here.
                    complete = false;
                    break;
                };
                let (car, cdr) = (p.car(), p.cdr());
                self.stack.push(car);
                *l = cdr;
            }
            if complete {
                let func = state.func.clone();
                let argc = state.lists.len();
                return self.invoke(func, argc, ret_sp, Ret::Map(state), false);
            }
            self.stack.truncate(ret_sp);
        }
        let result = match (state.collect, state.vector) {
            (false, _) => Value::Unspecified,
            (true, Into::List) => self.ctx.list(&state.acc)?,
            (true, Into::Vector) => self.ctx.vector(&state.acc)?,
            (true, Into::String) => {
                let mut s = String::new();
                for v in &state.acc {
                    match v {
                        Value::Char(c) => s.push(*c),
                        v => return Err(wrong_type("string-map", "a character result", v)),
                    }
                }
                self.ctx.string(&s)?
            }
        };
        Ok(Some((result, state.ret)))
    }
}

/// The length of a proper list; `None` for circular or improper lists.
fn list_length(list: &Value) -> Option<usize> {
    list_count("", list).ok()
}

/// The machine's calls from its instructions.
impl Machine<'_> {
    /// `Call`/`TailCall`: calls the value below the `argc` topmost values on them.
    #[inline(always)]
    pub(super) fn call_at(&mut self, argc: u16, tail: bool) -> Result<()> {
        self.ctx.budget.tick()?;
        let argc = usize::from(argc);
        let at = self.stack.len() - argc - 1;
        let f = self.stack[at].clone();
        self.call(f, argc, at, tail)
    }

    /// `CallGlobal`/`TailCallGlobal`: calls global `id` on the `argc` topmost values.
    #[inline(always)]
    pub(super) fn call_global(&mut self, id: u32, argc: u16, tail: bool) -> Result<()> {
        self.ctx.budget.tick()?;
        let argc = usize::from(argc);
        let at = self.stack.len() - argc;
        // The global is read in place: no copy of the value, one of the closure, none when
        // the procedure calls itself.
        if let Value::Closure(c) = self.globals.get(id) {
            if self.closure.as_ref().is_some_and(|r| Gc::ptr_eq(r, c)) {
                let shape = c.shape;
                return self.enter_self(shape, argc, at, tail);
            }
            let c = c.clone();
            self.enter(c, argc, at, Ret::Code, tail)
        } else {
            let f = self.global(id)?;
            self.call(f, argc, at, tail)
        }
    }

    /// Calls `f` on the `argc` topmost values, `at` being where the call's values start:
    /// the common cases (a plain primitive, a closure) without going through `invoke`.
    #[inline(always)]
    pub(super) fn call(&mut self, f: Value, argc: usize, at: usize, tail: bool) -> Result<()> {
        match f {
            Value::Primitive(p) => {
                if let (PrimKind::Fn(fun), true) = (&p.kind, p.accepts(argc)) {
                    let sp = self.stack.len();
                    let v = fun(self.ctx, &self.stack[sp - argc..])?;
                    put_result(&mut self.stack, at, v);
                    return Ok(());
                }
                if let Some((v, ret)) =
                    self.invoke(Value::Primitive(p), argc, at, Ret::Code, tail)?
                {
                    self.finish(v, ret)?;
                }
                Ok(())
            }
            Value::Closure(c) => self.enter(c, argc, at, Ret::Code, tail),
            f => {
                if let Some((v, ret)) = self.invoke(f, argc, at, Ret::Code, tail)? {
                    self.finish(v, ret)?;
                }
                Ok(())
            }
        }
    }

    #[inline(always)]
    pub(super) fn global(&self, id: u32) -> Result<Value> {
        match self.globals.get(id) {
            Value::Undefined => bail!("unbound variable: {}", self.globals.name(id)),
            v => Ok(v.clone()),
        }
    }

    /// Delivers the value of a finished call.
    pub(super) fn finish(&mut self, mut v: Value, mut ret: Ret) -> Result<()> {
        loop {
            match ret {
                Ret::Code => {
                    self.stack.push(v);
                    return Ok(());
                }
                Ret::Map(mut state) => {
                    if state.collect {
                        state.acc.push(v);
                    }
                    match self.map_step(state)? {
                        Some((next, r)) => (v, ret) = (next, r),
                        None => return Ok(()),
                    }
                }
                Ret::K(k) => match self.resume(*k, v)? {
                    Some((next, r)) => (v, ret) = (next, r),
                    None => return Ok(()),
                },
            }
        }
    }
}
