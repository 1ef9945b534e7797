//! Promises: `force` calls a promise's thunk once and keeps its value; a promise from
//! `delay-force` takes the place of the promise its thunk returns, so a long chain of them is
//! forced iteratively.

use super::apply::Done;
use super::control::Kont;
use super::error::{bail, Result};
use super::frames::Ret;
use super::machine::Machine;
use super::objects::{Object, Promise};
use super::value::Value;

impl Machine<'_> {
    /// `(force p)`: its value, calling its thunk the first time.
    pub(super) fn force(&mut self, p: Value, ret: Ret) -> Result<Done> {
        let Value::Object(o) = &p else {
            return Ok(Some((p, ret)));
        };
        let Object::Promise(state) = &**o else {
            return Ok(Some((p, ret)));
        };
        let thunk = match &*state.borrow() {
            Promise::Done(v) => return Ok(Some((v.clone(), ret))),
            Promise::Pending(thunk, _) => thunk.clone(),
        };
        self.call_thunk(thunk, Ret::K(Box::new(Kont::Forced(p.clone(), ret))))
    }

    /// A promise's thunk returned `v`.
    pub(super) fn forced(&mut self, p: Value, v: Value, ret: Ret) -> Result<Done> {
        let Value::Object(o) = &p else {
            bail!("internal error: not a promise");
        };
        let Object::Promise(state) = &**o else {
            bail!("internal error: not a promise");
        };
        let delay_force = match &*state.borrow() {
            // Forced again while its thunk ran: the first value stays.
            Promise::Done(done) => return Ok(Some((done.clone(), ret))),
            Promise::Pending(_, delay_force) => *delay_force,
        };
        let next = match (&v, delay_force) {
            (Value::Object(inner), true) => match &**inner {
                Object::Promise(inner) => Some(match &*inner.borrow() {
                    Promise::Done(x) => Promise::Done(x.clone()),
                    Promise::Pending(t, df) => Promise::Pending(t.clone(), *df),
                }),
                _ => None,
            },
            _ => None,
        };
        match next {
            Some(Promise::Pending(thunk, df)) => {
                // `delay-force`: this promise takes the inner one's place, iteratively.
                *state.borrow_mut() = Promise::Pending(thunk.clone(), df);
                self.call_thunk(thunk, Ret::K(Box::new(Kont::Forced(p.clone(), ret))))
            }
            Some(Promise::Done(x)) => {
                *state.borrow_mut() = Promise::Done(x.clone());
                Ok(Some((x, ret)))
            }
            None => {
                *state.borrow_mut() = Promise::Done(v.clone());
                Ok(Some((v, ret)))
            }
        }
    }
}
