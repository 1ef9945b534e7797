//! The machine's side of the R7RS control features: multiple values, exception handlers and
//! `guard`, `dynamic-wind`, continuations, promises and parameters.
//!
//! Everything here is continuation-passing on the machine's own stacks: a primitive that
//! must call a procedure and then do something with its value pushes a [`Kont`] as the
//! `Ret` of that call, so no Scheme call ever recurses on the Rust stack. A `guard`
//! catching cuts the stacks back to a recorded point and first runs the `after` thunks of
//! the `dynamic-wind`s it leaves, innermost first.
//!
//! `call/cc` continuations are re-entrant: see [`continuations`](super::continuations).

use super::apply::Done;
use super::bytecode::Pc;
use super::continuations::{Rewind, Wind};
use super::error::{bail, Result, SchemeError};
use super::frames::Ret;
use super::gc::{Gc, GcCell};
use super::machine::Machine;
use super::objects::Object;
use super::primitives::{
    assoc as assoc_prim, error_object, member as member_prim, uncaught, wrong_type, PrimKind,
    Primitive,
};
use super::value::{Closure, Value};

/// What to do with a value once a call made by a control primitive returns.
#[derive(Clone)]
pub(super) enum Kont {
    /// Spread it as the arguments of the consumer of `call-with-values`.
    CallWithValues(Value, Ret),
    /// The thunk of `with-exception-handler` returned: remove its handler.
    PopHandler(Ret),
    /// A handler of `raise-continuable` returned: reinstall it, the value is the result.
    RestoreHandler(Value, Ret),
    /// A handler of a non-continuable `raise` returned: that is an error.
    HandlerReturned,
    /// The `before` thunk of `dynamic-wind` returned: run the body.
    WindBefore {
        before: Value,
        thunk: Value,
        after: Value,
        ret: Ret,
    },
    /// The body of `dynamic-wind` returned: run the `after` thunk, then return the value.
    WindBody { after: Value, ret: Ret },
    /// Ignore the value; return this one.
    Deliver(Value, Ret),
    /// A non-local exit is running `after` thunks: the next ones, then go on at `pc` with
    /// `value` pushed.
    Unwind {
        afters: Vec<Value>,
        value: Value,
        pc: Pc,
    },
    /// A promise's thunk returned.
    Forced(Value, Ret),
    /// The converter of `make-parameter` returned the initial value.
    MakeParam(Value, Ret),
    /// The predicate of `member` or `assoc` returned for the item at `at`.
    Search(Box<Search>),
    /// A continuation is being invoked: the `after` and `before` thunks its jump crosses
    /// still to run, then the jump.
    Rewind(Box<Rewind>),
}

/// A `member` or `assoc` with a predicate, in progress.
#[derive(Clone)]
pub(super) struct Search {
    pub(super) x: Value,
    pub(super) pred: Value,
    /// The list from the item being tested on.
    pub(super) at: Value,
    pub(super) assoc: bool,
    pub(super) ret: Ret,
}

/// An installed exception handler.
#[derive(Clone)]
pub(super) enum Handler {
    /// A procedure installed by `with-exception-handler`.
    Proc(Value),
    /// A `guard`: where to unwind to.
    Catch(Point),
}

/// A point of the running machine's execution that a `guard` returns to.
#[derive(Clone)]
pub(super) struct Point {
    frames: usize,
    rets: usize,
    stack: usize,
    bp: usize,
    pub(super) closure: Option<Gc<Closure>>,
    pc: Pc,
    handlers: usize,
    winds: usize,
}

pub(super) fn boxed(k: Kont) -> Ret {
    Ret::K(Box::new(k))
}

impl Machine<'_> {
    fn here(&self, stack: usize, pc: Pc) -> Point {
        Point {
            frames: self.frames.len(),
            rets: self.rets.len(),
            stack,
            bp: self.bp,
            closure: self.closure.clone(),
            pc,
            handlers: self.handlers.len(),
            winds: self.winds.len(),
        }
    }

    /// `PushCatch`: a `guard` body starts; an exception goes to the code at `pc`.
    pub(super) fn push_catch(&mut self, pc: Pc) {
        let point = self.here(self.stack.len(), pc);
        self.handlers.push(Handler::Catch(point));
    }

    /// Calls `f` on no arguments; its value goes to `ret`.
    pub(super) fn call_thunk(&mut self, f: Value, ret: Ret) -> Result<Done> {
        let sp = self.stack.len();
        self.invoke(f, 0, sp, ret, false)
    }

    /// Runs a control primitive on the `argc` topmost values.
    pub(super) fn control(
        &mut self,
        p: &'static Primitive,
        argc: usize,
        ret_sp: usize,
        ret: Ret,
    ) -> Result<Done> {
        let sp = self.stack.len();
        let args: Vec<Value> = self.stack[sp - argc..].to_vec();
        self.stack.truncate(ret_sp);
        let check = |v: &Value| {
            if v.is_procedure() {
                Ok(())
            } else {
                Err(wrong_type(p.name, "a procedure", v))
            }
        };
        match p.kind {
            PrimKind::CallWithValues => {
                check(&args[0])?;
                check(&args[1])?;
                let [producer, consumer]: [Value; 2] = take(args)?;
                self.call_thunk(producer, boxed(Kont::CallWithValues(consumer, ret)))
            }
            PrimKind::DynamicWind => {
                args.iter().try_for_each(check)?;
                let [before, thunk, after]: [Value; 3] = take(args)?;
                let k = Kont::WindBefore {
                    before: before.clone(),
                    thunk,
                    after,
                    ret,
                };
                self.call_thunk(before, boxed(k))
            }
            PrimKind::CallCc => {
                check(&args[0])?;
                if !matches!(ret, Ret::Code) {
                    bail!("call/cc: only calls written in the program can capture continuations");
                }
                let k = self.capture(ret_sp)?;
                let [f]: [Value; 1] = take(args)?;
                self.stack.push(k);
                self.invoke(f, 1, ret_sp, ret, false)
            }
            PrimKind::WithHandler => {
                check(&args[0])?;
                check(&args[1])?;
                let [handler, thunk]: [Value; 2] = take(args)?;
                self.handlers.push(Handler::Proc(handler));
                self.call_thunk(thunk, boxed(Kont::PopHandler(ret)))
            }
            PrimKind::Raise(continuable) => {
                let [obj]: [Value; 1] = take(args)?;
                self.raise(obj, continuable, ret)
            }
            PrimKind::Force => {
                let [p]: [Value; 1] = take(args)?;
                self.force(p, ret)
            }
            PrimKind::MakeParameter => {
                let value = args[0].clone();
                match args.get(1) {
                    Some(conv) => {
                        check(conv)?;
                        let conv = conv.clone();
                        let sp = self.stack.len();
                        self.stack.push(value);
                        self.invoke(
                            conv.clone(),
                            1,
                            sp,
                            boxed(Kont::MakeParam(conv, ret)),
                            false,
                        )
                    }
                    None => Ok(Some((self.make_param(value, Value::Bool(false))?, ret))),
                }
            }
            PrimKind::ParamConvert => {
                let [param, value]: [Value; 2] = take(args)?;
                let conv = match &param {
                    Value::Object(o) => match &**o {
                        Object::Param { converter, .. } => converter.clone(),
                        _ => return Err(wrong_type("parameterize", "a parameter", &param)),
                    },
                    _ => return Err(wrong_type("parameterize", "a parameter", &param)),
                };
                if !conv.is_true() {
                    return Ok(Some((value, ret)));
                }
                let sp = self.stack.len();
                self.stack.push(value);
                self.invoke(conv, 1, sp, ret, false)
            }
            PrimKind::Search(assoc) => {
                if args.len() == 2 {
                    let f = if assoc { assoc_prim } else { member_prim };
                    return Ok(Some((f(self.ctx, &args)?, ret)));
                }
                check(&args[2])?;
                let [x, list, pred]: [Value; 3] = take(args)?;
                self.search(Box::new(Search {
                    x,
                    pred,
                    at: list,
                    assoc,
                    ret,
                }))
            }
            _ => bail!("internal error: {} is not a control primitive", p.name),
        }
    }

    /// Tests the item at `s.at` (calling the predicate), or answers `#f` at the end.
    fn search(&mut self, s: Box<Search>) -> Result<Done> {
        let who = if s.assoc { "assoc" } else { "member" };
        let item = match &s.at {
            Value::Nil => return Ok(Some((Value::Bool(false), s.ret))),
            Value::Pair(p) => p.car(),
            v => return Err(wrong_type(who, "a list", v)),
        };
        let key = if s.assoc {
            match &item {
                Value::Pair(p) => p.car(),
                v => return Err(wrong_type(who, "a list of pairs", v)),
            }
        } else {
            item
        };
        let sp = self.stack.len();
        self.stack.push(s.x.clone());
        self.stack.push(key);
        let pred = s.pred.clone();
        self.invoke(pred, 2, sp, boxed(Kont::Search(s)), false)
    }

    fn make_param(&mut self, value: Value, converter: Value) -> Result<Value> {
        Ok(Value::Object(self.ctx.alloc(Object::Param {
            value: GcCell::new(value),
            converter,
        })?))
    }

    /// Calls an object procedure (continuation, parameter, `case-lambda`) on the `argc`
    /// topmost values. `Err(Some(f))`-like: returns the closure to call instead for a
    /// `case-lambda`.
    pub(super) fn call_object(
        &mut self,
        o: &Gc<Object>,
        argc: usize,
        ret_sp: usize,
        ret: Ret,
    ) -> Result<std::result::Result<Done, (Value, Ret)>> {
        let sp = self.stack.len();
        match &**o {
            Object::Param { value, .. } => {
                if argc != 0 {
                    bail!("wrong number of arguments to a parameter: expected 0, got {argc}");
                }
                let v = value.borrow().clone();
                self.stack.truncate(ret_sp);
                Ok(Ok(Some((v, ret))))
            }
            Object::CaseLambda(clauses) => {
                for c in clauses {
                    if let Value::Closure(cl) = c {
                        let p = cl.shape;
                        let required = usize::from(p.required);
                        if argc == required || (p.rest && argc > required) {
                            return Ok(Err((c.clone(), ret)));
                        }
                    }
                }
                bail!("case-lambda: no clause takes {argc} arguments")
            }
            Object::Continuation(_) => {
                let value = match &self.stack[sp - argc..] {
                    [one] => one.clone(),
                    many => Value::Object(self.ctx.alloc(Object::Values(many.to_vec()))?),
                };
                Ok(Ok(self.reinstate(o.clone(), value)?))
            }
            Object::Values(_) | Object::Promise(_) | Object::Port(_) | Object::Eof => {
                bail!("not a procedure: {}", o.describe())
            }
        }
    }

    /// Goes back to `point` with `value`, running the `after` thunks left on the way.
    fn unwind(&mut self, point: Point, value: Value) -> Result<Done> {
        self.handlers.truncate(point.handlers);
        let afters: Vec<Value> = self
            .winds
            .drain(point.winds.min(self.winds.len())..)
            .rev()
            .map(|w| w.after.clone())
            .collect();
        self.frames.truncate(point.frames);
        self.rets.truncate(point.rets);
        self.stack.truncate(point.stack);
        self.bp = point.bp;
        self.closure = point.closure;
        self.run_afters(afters, value, point.pc)
    }

    fn run_afters(&mut self, mut afters: Vec<Value>, value: Value, pc: Pc) -> Result<Done> {
        if afters.is_empty() {
            self.pc = pc;
            return Ok(Some((value, Ret::Code)));
        }
        let after = afters.remove(0);
        self.call_thunk(after, boxed(Kont::Unwind { afters, value, pc }))
    }

    /// Raises `obj` to the innermost handler; `ret` gets the handler's value if
    /// `continuable`.
    pub(super) fn raise(&mut self, obj: Value, continuable: bool, ret: Ret) -> Result<Done> {
        match self.handlers.pop() {
            None => {
                let e = uncaught(self.ctx, &obj);
                self.ctx.raised = Some(obj);
                Err(e)
            }
            Some(Handler::Catch(point)) => self.unwind(point, obj),
            Some(Handler::Proc(h)) => {
                let k = if continuable {
                    Kont::RestoreHandler(h.clone(), ret)
                } else {
                    Kont::HandlerReturned
                };
                let sp = self.stack.len();
                self.stack.push(obj);
                self.invoke(h, 1, sp, boxed(k), false)
            }
        }
    }

    /// An error stopped an instruction: a handler takes it if one is installed and the
    /// error is not a limit (fuel, time, depth, heap), otherwise it ends the program.
    pub(super) fn handle_error(&mut self, e: SchemeError) -> Result<()> {
        let raised = self.ctx.raised.take();
        if e.limit || self.handlers.is_empty() {
            return Err(e);
        }
        let obj = match raised {
            Some(obj) => obj,
            None => {
                let message = self.ctx.string(&e.message)?;
                error_object(self.ctx, message, &[])?
            }
        };
        if let Some((v, ret)) = self.raise(obj, false, Ret::Code)? {
            self.finish(v, ret)?;
        }
        Ok(())
    }

    /// Delivers `v` to a control continuation.
    pub(super) fn resume(&mut self, k: Kont, v: Value) -> Result<Done> {
        match k {
            Kont::CallWithValues(consumer, ret) => {
                let sp = self.stack.len();
                let n = match &v {
                    Value::Object(o) => match &**o {
                        Object::Values(vs) => {
                            self.stack.extend(vs.iter().cloned());
                            vs.len()
                        }
                        _ => {
                            self.stack.push(v.clone());
                            1
                        }
                    },
                    _ => {
                        self.stack.push(v);
                        1
                    }
                };
                self.invoke(consumer, n, sp, ret, false)
            }
            Kont::PopHandler(ret) => {
                self.handlers.pop();
                Ok(Some((v, ret)))
            }
            Kont::RestoreHandler(h, ret) => {
                self.handlers.push(Handler::Proc(h));
                Ok(Some((v, ret)))
            }
            Kont::HandlerReturned => {
                bail!("an exception handler returned from a non-continuable raise")
            }
            Kont::WindBefore {
                before,
                thunk,
                after,
                ret,
            } => {
                let wind = self.ctx.alloc(Wind {
                    before,
                    after: after.clone(),
                })?;
                self.winds.push(wind);
                self.call_thunk(thunk, boxed(Kont::WindBody { after, ret }))
            }
            Kont::WindBody { after, ret } => {
                self.winds.pop();
                self.call_thunk(after, boxed(Kont::Deliver(v, ret)))
            }
            Kont::Deliver(value, ret) => Ok(Some((value, ret))),
            Kont::Unwind { afters, value, pc } => self.run_afters(afters, value, pc),
            Kont::Forced(p, ret) => self.forced(p, v, ret),
            Kont::MakeParam(conv, ret) => Ok(Some((self.make_param(v, conv)?, ret))),
            Kont::Rewind(r) => self.rewind(*r),
            Kont::Search(mut s) => {
                let Value::Pair(p) = &s.at else {
                    bail!("internal error: search past the end");
                };
                if v.is_true() {
                    let found = if s.assoc { p.car() } else { s.at.clone() };
                    return Ok(Some((found, s.ret)));
                }
                let next = p.cdr();
                s.at = next;
                self.search(s)
            }
        }
    }
}

/// The arguments as an array (the primitive's arity was checked).
fn take<const N: usize>(args: Vec<Value>) -> Result<[Value; N]> {
    args.try_into()
        .map_err(|_| SchemeError::new("internal error: arity"))
}
