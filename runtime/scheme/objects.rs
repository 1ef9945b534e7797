//! The heap objects behind R7RS control features, all reached through one value variant,
//! [`Value::Object`]: multiple values, continuations, promises, parameter objects
//! and `case-lambda` procedures.

use super::continuations::Captured;
use super::gc::{GcCell, Trace, Tracer};
use super::value::Value;

/// A heap object of the control features.
pub enum Object {
    /// What `values` returns for zero or several values (one value is itself).
    Values(Vec<Value>),
    /// A continuation made by `call/cc`: a copy of the machine's state at the call.
    Continuation(Captured),
    /// A promise made by `delay`, `delay-force` or `make-promise`.
    Promise(GcCell<Promise>),
    /// A parameter object made by `make-parameter`.
    Param {
        /// Its current value.
        value: GcCell<Value>,
        /// The procedure `parameterize` passes new values through (`#f`: none).
        converter: Value,
    },
    /// A procedure made by `case-lambda`: the first closure that accepts the arguments runs.
    CaseLambda(Vec<Value>),
    /// A string port: reads from a string, or collects what is written to it.
    Port(GcCell<Port>),
    /// The end-of-file object.
    Eof,
}

/// The state of a port.
pub enum Port {
    /// An input port over `text`, at byte offset `at`.
    Input { text: String, at: usize },
    /// An output port and what was written to it.
    Output(String),
    /// The program's standard output (what `current-output-port` returns).
    Stdout,
    /// A port after `close-port`.
    Closed,
}

/// The state of a promise.
pub enum Promise {
    /// Forced: its value.
    Done(Value),
    /// Not yet forced: the thunk to call, and whether it came from `delay-force` (the
    /// thunk then returns another promise that this one becomes).
    Pending(Value, bool),
}

impl Object {
    /// Whether programs can call it.
    pub fn is_procedure(&self) -> bool {
        matches!(
            self,
            Object::Continuation(_) | Object::Param { .. } | Object::CaseLambda(_)
        )
    }

    /// A short description for `write`.
    pub fn describe(&self) -> &'static str {
        match self {
            Object::Values(_) => "#<values>",
            Object::Continuation(_) => "#<continuation>",
            Object::Promise(_) => "#<promise>",
            Object::Param { .. } => "#<parameter>",
            Object::CaseLambda(_) => "#<procedure case-lambda>",
            Object::Port(_) => "#<port>",
            Object::Eof => "#<eof>",
        }
    }
}

// SAFETY: each `trace` visits every handle the object owns exactly once, mutates nothing
// and depends only on `self`; no handle sits behind `Rc`/`Arc`, and nothing implements Drop.
unsafe impl Trace for Object {
    fn trace(&self, t: &mut Tracer) {
        match self {
            Object::Values(vs) | Object::CaseLambda(vs) => {
                for v in vs {
                    v.trace(t);
                }
            }
            Object::Continuation(k) => k.trace(t),
            Object::Promise(p) => p.trace(t),
            Object::Port(_) | Object::Eof => {}
            Object::Param { value, converter } => {
                value.trace(t);
                converter.trace(t);
            }
        }
    }
}

// SAFETY: a port holds strings and offsets, no handle: tracing visits nothing (rules 1-2).
unsafe impl Trace for Port {
    fn trace(&self, _: &mut Tracer) {}
}

// SAFETY: as above; the one value of either state is traced.
unsafe impl Trace for Promise {
    fn trace(&self, t: &mut Tracer) {
        match self {
            Promise::Done(v) | Promise::Pending(v, _) => v.trace(t),
        }
    }
}
