//! The control primitives of R7RS: multiple values, exceptions and error objects,
//! `dynamic-wind`, `call/cc`, promises and parameters. The ones that call procedures are
//! [`PrimKind`]s the machine runs (see `control` in the machine); the rest are plain.

use super::{prim, wrong_type, PrimKind, Primitive, MANY};
use crate::scheme::ctx::Ctx;
use crate::scheme::error::{Result, SchemeError};
use crate::scheme::gc::GcCell;
use crate::scheme::objects::{Object, Promise};
use crate::scheme::value::{Record, Slot, Value};

const fn special(name: &'static str, min: usize, max: usize, kind: PrimKind) -> Primitive {
    Primitive {
        name,
        min,
        max,
        kind,
    }
}

/// Bound to global names.
pub static PRIMITIVES: &[Primitive] = &[
    prim("values", 0, MANY, values),
    special("call-with-values", 2, 2, PrimKind::CallWithValues),
    special("dynamic-wind", 3, 3, PrimKind::DynamicWind),
    special("call-with-current-continuation", 1, 1, PrimKind::CallCc),
    special("call/cc", 1, 1, PrimKind::CallCc),
    special("with-exception-handler", 2, 2, PrimKind::WithHandler),
    special("raise", 1, 1, PrimKind::Raise(false)),
    special("raise-continuable", 1, 1, PrimKind::Raise(true)),
    prim("error-object?", 1, 1, is_error_object),
    prim("error-object-message", 1, 1, error_object_message),
    prim("error-object-irritants", 1, 1, error_object_irritants),
    prim("file-error?", 1, 1, never),
    prim("read-error?", 1, 1, never),
    special("force", 1, 1, PrimKind::Force),
    prim("make-promise", 1, 1, make_promise),
    prim("promise?", 1, 1, is_promise),
    special("make-parameter", 1, 2, PrimKind::MakeParameter),
];

/// Called only by what the compiler expands forms into.
pub static INTERNAL: &[Primitive] = &[
    prim("make-lazy-promise", 2, 2, make_lazy_promise),
    prim("make-case-lambda", 1, MANY, make_case_lambda),
    special("param-convert", 2, 2, PrimKind::ParamConvert),
    prim("param-swap", 2, 2, param_swap),
    special("call-with-values", 2, 2, PrimKind::CallWithValues),
    special("dynamic-wind", 3, 3, PrimKind::DynamicWind),
    special("raise-continuable", 1, 1, PrimKind::Raise(true)),
    prim("list", 0, MANY, list),
];

fn values(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    match a {
        [one] => Ok(one.clone()),
        _ => Ok(Value::Object(ctx.alloc(Object::Values(a.to_vec()))?)),
    }
}

fn list(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    ctx.list(a)
}

/// The fields of an error object, if `v` is one.
fn error_fields(ctx: &mut Ctx, v: &Value) -> Result<Option<(Value, Value)>> {
    let rtype = ctx.error_type()?;
    Ok(match v {
        Value::Record(r) if crate::scheme::gc::Gc::ptr_eq(&r.rtype, &rtype) => {
            Some((r.fields[0].get(), r.fields[1].get()))
        }
        _ => None,
    })
}

fn is_error_object(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(error_fields(ctx, &a[0])?.is_some()))
}

fn error_object_message(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    match error_fields(ctx, &a[0])? {
        Some((message, _)) => Ok(message),
        None => Err(wrong_type("error-object-message", "an error object", &a[0])),
    }
}

fn error_object_irritants(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    match error_fields(ctx, &a[0])? {
        Some((_, irritants)) => Ok(irritants),
        None => Err(wrong_type(
            "error-object-irritants",
            "an error object",
            &a[0],
        )),
    }
}

fn never(_: &mut Ctx, _: &[Value]) -> Result<Value> {
    Ok(Value::Bool(false))
}

/// A new error object with `message` and a list of `irritants`.
pub fn error_object(ctx: &mut Ctx, message: Value, irritants: &[Value]) -> Result<Value> {
    let rtype = ctx.error_type()?;
    let irritants = ctx.list(irritants)?;
    Ok(Value::Record(ctx.alloc(Record {
        rtype,
        fields: vec![Slot::new(message), Slot::new(irritants)],
    })?))
}

fn promise(ctx: &mut Ctx, p: Promise) -> Result<Value> {
    Ok(Value::Object(ctx.alloc(Object::Promise(GcCell::new(p)))?))
}

fn make_promise(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    match &a[0] {
        Value::Object(o) if matches!(&**o, Object::Promise(_)) => Ok(a[0].clone()),
        v => promise(ctx, Promise::Done(v.clone())),
    }
}

fn make_lazy_promise(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    promise(ctx, Promise::Pending(a[0].clone(), a[1].is_true()))
}

fn is_promise(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(
        &a[0],
        Value::Object(o) if matches!(&**o, Object::Promise(_))
    )))
}

fn make_case_lambda(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Object(ctx.alloc(Object::CaseLambda(a.to_vec()))?))
}

/// `(param-swap params values)`: stores each value into its parameter and returns the
/// list of the values they held (what `parameterize` runs on entry and exit).
fn param_swap(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let params = super::list_items("parameterize", &a[0])?;
    let values = super::list_items("parameterize", &a[1])?;
    let mut old = Vec::with_capacity(params.len());
    for (p, v) in params.iter().zip(values) {
        match p {
            Value::Object(o) => match &**o {
                Object::Param { value, .. } => old.push(value.replace(v)),
                _ => return Err(wrong_type("parameterize", "a parameter", p)),
            },
            _ => return Err(wrong_type("parameterize", "a parameter", p)),
        }
    }
    ctx.list(&old)
}

/// The message of an uncaught `raise` of `v`.
pub fn uncaught(ctx: &mut Ctx, v: &Value) -> SchemeError {
    match error_fields(ctx, v) {
        Ok(Some((message, irritants))) => {
            let mut items = vec![message];
            items.extend(super::list_items("raise", &irritants).unwrap_or_default());
            super::io::error_message(&items)
        }
        _ => SchemeError::new(format!(
            "uncaught exception: {}",
            crate::scheme::printer::repr(v)
        )),
    }
}
