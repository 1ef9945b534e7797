//! Output and `error`. The interpreter has no file, network or process primitives: a
//! script can write to standard output and raise errors, nothing more.

use super::{prim, string, Primitive, MANY};
use crate::scheme::ctx::{give_string, take_string, Ctx};
use crate::scheme::error::{Result, SchemeError};
use crate::scheme::printer::print;
use crate::scheme::value::Value;

pub static PRIMITIVES: &[Primitive] = &[
    prim("display", 1, 1, display),
    prim("write", 1, 1, write),
    prim("newline", 0, 0, newline),
    prim("write-string", 1, 1, write_string),
    prim("write-char", 1, 1, write_char),
    prim("error", 0, MANY, error),
];

fn output_error(e: std::io::Error) -> SchemeError {
    SchemeError::new(format!("output error: {e}"))
}

/// Prints `v` to the context's output, spending one step per byte (so printing a circular
/// structure is stopped by `--timeout` or `--fuel`).
pub fn emit(ctx: &mut Ctx, v: &Value, write: bool) -> Result<()> {
    let Ctx { out, budget, .. } = ctx;
    print(v, write, &mut |chunk| {
        budget.spend(chunk.len() as u64)?;
        out.write_all(chunk.as_bytes()).map_err(output_error)?;
        Ok(true)
    })
}

fn display(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    emit(ctx, &a[0], false)?;
    Ok(Value::Unspecified)
}

fn write(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    emit(ctx, &a[0], true)?;
    Ok(Value::Unspecified)
}

fn newline(ctx: &mut Ctx, _: &[Value]) -> Result<Value> {
    ctx.out.write_all(b"\n").map_err(output_error)?;
    Ok(Value::Unspecified)
}

fn write_string(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = string("write-string", &a[0])?;
    ctx.out.write_all(s.as_bytes()).map_err(output_error)?;
    Ok(Value::Unspecified)
}

fn write_char(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    match &a[0] {
        Value::Char(c) => {
            let mut b = [0; 4];
            ctx.out
                .write_all(c.encode_utf8(&mut b).as_bytes())
                .map_err(output_error)?;
            Ok(Value::Unspecified)
        }
        v => Err(super::wrong_type("write-char", "a character", v)),
    }
}

/// `(error message irritant...)`: the message as `display` shows it, then each irritant as
/// `write` shows it.
/// The error object is kept in the context for a `guard` or handler that catches it.
fn error(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let (message, irritants) = match a.split_first() {
        Some((m, rest)) => (m.clone(), rest),
        None => (Value::Unspecified, a),
    };
    let condition = super::control::error_object(ctx, message, irritants)?;
    ctx.raised = Some(condition);
    Err(error_message(a))
}

/// The one-line message of `(error message irritant...)`.
pub fn error_message(a: &[Value]) -> SchemeError {
    let mut msg = take_string();
    for (i, v) in a.iter().enumerate() {
        if i > 0 {
            msg.push(' ');
        }
        let write = i > 0 || !matches!(v, Value::Str(_));
        let _ = print(v, write, &mut |chunk| {
            msg.push_str(chunk);
            Ok(msg.len() < 1000)
        });
    }
    if a.is_empty() {
        msg.push_str("error");
    }
    let e = SchemeError::new(msg.as_str());
    give_string(msg);
    e
}
