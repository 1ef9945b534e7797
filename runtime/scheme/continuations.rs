//! Re-entrant `call/cc`: a continuation is a copy of the machine's state at the call.
//!
//! Capturing copies the value stack up to the `call/cc` call and the pending calls (the
//! frames, with what each value is for: a `map` in progress, a control primitive waiting),
//! the installed handlers and the `dynamic-wind`s entered; both copies are heap slices, so
//! they count against `--max-heap`. Invoking the continuation, before or after its `call/cc`
//! returned, from this top-level form or a later one, puts the copies back and delivers the
//! value where `call/cc` would have returned it. So a capture costs one copy of the stack in
//! use, and each invocation one more.
//!
//! Copying frames is exact because no frame slot changes after its first store except
//! through a cell: every variable a program `set!`s lives in a cell (see `analysis`), which
//! the copies share with the frame they came from, so a `set!` after the capture is seen by
//! every re-entry.
//!
//! A jump crosses `dynamic-wind`s as R7RS says: first the `after` thunks of the winds being
//! left, innermost first, each with the winds outside it in effect; then the `before`
//! thunks of the winds being entered, outermost first. Winds are heap objects compared by
//! identity, so a wind both sides share is neither left nor entered.

use super::apply::Done;
use super::bytecode::Pc;
use super::control::{boxed, Handler, Kont, Point, Search};
use super::error::Result;
use super::frames::{Frame, MapState, Ret};
use super::gc::{Gc, Trace, Tracer};
use super::machine::Machine;
use super::objects::Object;
use super::value::{Closure, Value};

/// A `dynamic-wind` whose body is running.
pub struct Wind {
    /// What runs when a continuation jump enters the body again.
    pub before: Value,
    /// What runs when the body is left.
    pub after: Value,
}

/// The machine's state at a `call/cc` call.
pub struct Captured {
    /// The value stack below the call.
    stack: Gc<[Value]>,
    /// The pending calls.
    frames: Gc<[Frame]>,
    /// What the values of the pending calls that wait are for.
    rets: Gc<[Ret]>,
    /// The running activation's frame base.
    bp: usize,
    /// The running closure.
    closure: Option<Gc<Closure>>,
    /// The instruction after the call.
    pc: Pc,
    /// The installed exception handlers.
    handlers: Vec<Handler>,
    /// The `dynamic-wind` bodies running.
    winds: Vec<Gc<Wind>>,
    /// The top-level form running (see `Ctx::form`).
    form: (u64, usize),
}

/// A continuation invocation in progress: the thunks its jump still has to run.
#[derive(Clone)]
pub(super) struct Rewind {
    /// The continuation (an `Object::Continuation`).
    k: Gc<Object>,
    /// The value (or `Values`) it was called with.
    value: Value,
    /// The thunks to run, next last, each with the winds in effect while it runs.
    steps: Vec<(Value, Vec<Gc<Wind>>)>,
}

impl Machine<'_> {
    /// The continuation of a `call/cc` whose call's values start at `ret_sp`.
    pub(super) fn capture(&mut self, ret_sp: usize) -> Result<Value> {
        let heap = &self.ctx.heap;
        let stack = heap
            .try_alloc_slice(&self.stack[..ret_sp])
            .map_err(super::ctx::heap_limit)?;
        let frames = heap
            .try_alloc_slice(&self.frames)
            .map_err(super::ctx::heap_limit)?;
        let rets = heap
            .try_alloc_slice(&self.rets)
            .map_err(super::ctx::heap_limit)?;
        let k = Captured {
            stack,
            frames,
            rets,
            bp: self.bp,
            closure: self.closure.clone(),
            pc: self.pc,
            handlers: self.handlers.clone(),
            winds: self.winds.clone(),
            form: self.ctx.form,
        };
        Ok(Value::Object(self.ctx.alloc(Object::Continuation(k))?))
    }

    /// Calls continuation `k` (an `Object::Continuation`) with `value`: runs the wind
    /// thunks the jump crosses, then jumps.
    pub(super) fn reinstate(&mut self, k: Gc<Object>, value: Value) -> Result<Done> {
        let Object::Continuation(target) = &*k else {
            return Err(super::error::SchemeError::new(
                "internal error: not a continuation",
            ));
        };
        let shared = self
            .winds
            .iter()
            .zip(&target.winds)
            .take_while(|(a, b)| Gc::ptr_eq(a, b))
            .count();
        // Run last first: the `before`s of the winds entered, innermost pushed first...
        let mut steps = Vec::new();
        for i in (shared..target.winds.len()).rev() {
            steps.push((target.winds[i].before.clone(), target.winds[..i].to_vec()));
        }
        // ...then the `after`s of the winds left, outermost pushed first.
        for i in shared..self.winds.len() {
            steps.push((self.winds[i].after.clone(), self.winds[..i].to_vec()));
        }
        self.rewind(Rewind { k, value, steps })
    }

    /// The next thunk of a continuation invocation, or the jump itself.
    pub(super) fn rewind(&mut self, mut r: Rewind) -> Result<Done> {
        if let Some((thunk, winds)) = r.steps.pop() {
            self.winds = winds;
            return self.call_thunk(thunk, boxed(Kont::Rewind(Box::new(r))));
        }
        let Object::Continuation(k) = &*r.k else {
            return Err(super::error::SchemeError::new(
                "internal error: not a continuation",
            ));
        };
        self.stack.clear();
        self.stack.extend(k.stack.iter().cloned());
        self.frames.clear();
        self.frames.extend(k.frames.iter().cloned());
        self.rets.clear();
        self.rets.extend(k.rets.iter().cloned());
        self.bp = k.bp;
        self.closure = k.closure.clone();
        self.pc = k.pc;
        self.handlers = k.handlers.clone();
        self.winds = k.winds.clone();
        self.ctx.form = k.form;
        Ok(Some((r.value, Ret::Code)))
    }
}

// SAFETY (for every impl below): each `trace` visits every `Gc` the value owns, directly or
// in owned containers, exactly once; it mutates nothing and depends only on `self` (rules
// 1-2 of `Trace`). No handle sits behind `Rc`/`Arc` (rule 3), and none of these types
// implements `Drop` (rule 4). Numbers, program counters and booleans hold no handle.
unsafe impl Trace for Wind {
    fn trace(&self, t: &mut Tracer) {
        self.before.trace(t);
        self.after.trace(t);
    }
}

// SAFETY: see above; both slices, the closure, the handlers and the winds are traced.
unsafe impl Trace for Captured {
    fn trace(&self, t: &mut Tracer) {
        self.stack.trace(t);
        self.frames.trace(t);
        self.rets.trace(t);
        self.closure.trace(t);
        self.handlers.trace(t);
        self.winds.trace(t);
    }
}

// SAFETY: see above; the continuation, the value and every step's thunk and winds.
unsafe impl Trace for Rewind {
    fn trace(&self, t: &mut Tracer) {
        self.k.trace(t);
        self.value.trace(t);
        for (thunk, winds) in &self.steps {
            thunk.trace(t);
            winds.trace(t);
        }
    }
}

// SAFETY: see above; the caller's closure is the frame's one handle.
unsafe impl Trace for Frame {
    fn trace(&self, t: &mut Tracer) {
        self.closure.trace(t);
    }
}

// SAFETY: see above; the boxed state of either kind is traced.
unsafe impl Trace for Ret {
    fn trace(&self, t: &mut Tracer) {
        match self {
            Ret::Code => {}
            Ret::Map(m) => m.trace(t),
            Ret::K(k) => k.trace(t),
        }
    }
}

// SAFETY: see above; the function, the lists, the results so far and the `ret`.
unsafe impl Trace for MapState {
    fn trace(&self, t: &mut Tracer) {
        self.func.trace(t);
        self.lists.trace(t);
        self.acc.trace(t);
        self.ret.trace(t);
    }
}

// SAFETY: see above; every value and `Ret` of each variant is traced.
unsafe impl Trace for Kont {
    fn trace(&self, t: &mut Tracer) {
        match self {
            Kont::CallWithValues(v, ret)
            | Kont::RestoreHandler(v, ret)
            | Kont::Deliver(v, ret)
            | Kont::Forced(v, ret)
            | Kont::MakeParam(v, ret) => {
                v.trace(t);
                ret.trace(t);
            }
            Kont::PopHandler(ret) => ret.trace(t),
            Kont::HandlerReturned => {}
            Kont::WindBefore {
                before,
                thunk,
                after,
                ret,
            } => {
                before.trace(t);
                thunk.trace(t);
                after.trace(t);
                ret.trace(t);
            }
            Kont::WindBody { after, ret } => {
                after.trace(t);
                ret.trace(t);
            }
            Kont::Unwind { afters, value, .. } => {
                afters.trace(t);
                value.trace(t);
            }
            Kont::Search(s) => s.trace(t),
            Kont::Rewind(r) => r.trace(t),
        }
    }
}

// SAFETY: see above; the item, predicate, list and `ret`.
unsafe impl Trace for Search {
    fn trace(&self, t: &mut Tracer) {
        self.x.trace(t);
        self.pred.trace(t);
        self.at.trace(t);
        self.ret.trace(t);
    }
}

// SAFETY: see above; a handler procedure, or a guard point's closure.
unsafe impl Trace for Handler {
    fn trace(&self, t: &mut Tracer) {
        match self {
            Handler::Proc(v) => v.trace(t),
            Handler::Catch(p) => p.trace(t),
        }
    }
}

// SAFETY: see above; the point's closure is its one handle.
unsafe impl Trace for Point {
    fn trace(&self, t: &mut Tracer) {
        self.closure.trace(t);
    }
}
