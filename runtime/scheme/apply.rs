//! Applying procedures: closures (arity, frame, body), primitives, record procedures,
//! and the primitives that call procedures themselves (`apply`, `map`, `for-each`,
//! `vector-map`, `vector-for-each`), whose calls go through the machine like any other.

use super::error::{bail, Result};
use super::machine::{Kont, Machine, MapState, Mode};
use super::primitives::{list_items, records, wrong_type, PrimKind};
use super::printer::repr;
use super::value::{Closure, Value};

impl Machine<'_> {
    /// Applies `vals[0]` to `vals[1..]`.
    pub(super) fn apply(&mut self, mut vals: Vec<Value>) -> Result<Mode> {
        loop {
            let Some(f) = vals.first().cloned() else {
                bail!("internal error: empty application");
            };
            let argc = vals.len() - 1;
            match &f {
                Value::Closure(c) => {
                    let result = self.enter(c, &mut vals, 1);
                    self.ctx.give_args(vals);
                    return result;
                }
                Value::Primitive(p) => {
                    if !p.accepts(argc) {
                        self.ctx.give_args(vals);
                        bail!(
                            "wrong number of arguments to {}: expected {}, got {argc}",
                            p.name,
                            p.arity()
                        );
                    }
                    match p.kind {
                        PrimKind::Fn(fun) => {
                            let result = fun(self.ctx, &vals[1..]);
                            self.ctx.give_args(vals);
                            return Ok(Mode::Return(result?));
                        }
                        PrimKind::Apply => {
                            let last = vals.pop().unwrap_or(Value::Nil);
                            let spread = list_items("apply", &last)?;
                            vals.remove(0);
                            vals.extend(spread);
                        }
                        PrimKind::Map(collect) => {
                            vals.remove(0);
                            let func = vals.remove(0);
                            return self.map_start(func, vals, collect, p.name);
                        }
                        PrimKind::VectorMap(collect) => {
                            vals.remove(0);
                            let func = vals.remove(0);
                            let mut lists = Vec::with_capacity(vals.len());
                            for v in &vals {
                                let Value::Vector(items) = v else {
                                    return Err(wrong_type(p.name, "a vector", v));
                                };
                                let items: Vec<Value> = items.iter().map(|s| s.get()).collect();
                                lists.push(self.ctx.list(&items)?);
                            }
                            self.ctx.give_args(vals);
                            if collect {
                                self.push(Kont::ToVector)?;
                            }
                            return self.map_start(func, lists, collect, p.name);
                        }
                    }
                }
                Value::RecordProc(rp) => {
                    let result = records::call_record_proc(self.ctx, rp, &vals[1..]);
                    self.ctx.give_args(vals);
                    return Ok(Mode::Return(result?));
                }
                other => {
                    let shown = repr(other);
                    self.ctx.give_args(vals);
                    bail!("not a procedure: {shown}");
                }
            }
        }
    }

    /// Calls a closure on `args[from..]`: checks the arity, makes its frame (moving the
    /// arguments out of `args`), and continues with its body.
    pub(super) fn enter(
        &mut self,
        c: &Closure,
        args: &mut Vec<Value>,
        from: usize,
    ) -> Result<Mode> {
        let lambda = self.code.lambda(c.lambda);
        let argc = args.len().saturating_sub(from);
        if argc < lambda.required || (!lambda.rest && argc > lambda.required) {
            let expected = if lambda.rest {
                format!("at least {}", lambda.required)
            } else {
                lambda.required.to_string()
            };
            let name = lambda.name.as_deref().unwrap_or("#<procedure>");
            bail!("wrong number of arguments to {name}: expected {expected}, got {argc}");
        }
        let rest = if lambda.rest {
            let rest = self.ctx.list(&args[from + lambda.required..])?;
            args.truncate(from + lambda.required);
            Some(rest)
        } else {
            None
        };
        // The arguments move into the frame: no handle is cloned on the way.
        let frame = self.make_frame(c.env.clone(), args.drain(from..), rest, lambda.frame_size)?;
        Ok(Mode::Eval(lambda.body, Some(frame)))
    }

    fn map_start(
        &mut self,
        func: Value,
        lists: Vec<Value>,
        collect: bool,
        who: &str,
    ) -> Result<Mode> {
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
            pos: self.pos,
        };
        self.map_step(Box::new(state))
    }

    pub(super) fn map_step(&mut self, mut state: Box<MapState>) -> Result<Mode> {
        self.pos = state.pos;
        if state.remaining == 0 {
            let result = if state.collect {
                self.ctx.list(&state.acc)?
            } else {
                Value::Unspecified
            };
            return Ok(Mode::Return(result));
        }
        state.remaining -= 1;
        let mut args = self.ctx.take_args();
        args.push(state.func.clone());
        for l in state.lists.iter_mut() {
            let Value::Pair(p) = &*l else {
                // A list was shortened while mapping: stop here.
                self.ctx.give_args(args);
                state.remaining = 0;
                return self.map_step(state);
            };
            let (car, cdr) = (p.car(), p.cdr());
            args.push(car);
            *l = cdr;
        }
        self.push(Kont::Map(state))?;
        self.apply(args)
    }
}

/// The length of a proper list; `None` for circular or improper lists.
fn list_length(list: &Value) -> Option<usize> {
    list_items("", list).ok().map(|items| items.len())
}
