//! Output and `error`. The interpreter has no file, network or process primitives: a
//! script can write to standard output and raise errors, nothing more.

use super::ports::output_target;
use super::{prim, string, Primitive, MANY};
use crate::scheme::ctx::{give_string, take_string, Ctx};
use crate::scheme::error::{Result, SchemeError};
use crate::scheme::objects::{Object, Port};
use crate::scheme::printer::print;
use crate::scheme::value::Value;

pub static PRIMITIVES: &[Primitive] = &[
    prim("display", 1, 2, display),
    prim("write", 1, 2, write),
    prim("newline", 0, 1, newline),
    prim("write-string", 1, 2, write_string),
    prim("write-char", 1, 2, write_char),
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

/// Writes `text` to the port argument at `a[at]` (standard output when there is none).
fn put(ctx: &mut Ctx, who: &str, a: &[Value], at: usize, text: &str) -> Result<()> {
    match output_target(who, a, at)? {
        None => ctx.out.write_all(text.as_bytes()).map_err(output_error),
        Some(o) => {
            ctx.budget.spend(text.len() as u64)?;
            if let Object::Port(p) = &*o {
                if let Port::Output(s) = &mut *p.borrow_mut() {
                    ctx.reserve(s.len() + text.len())?;
                    s.push_str(text);
                }
            }
            Ok(())
        }
    }
}

/// `display` or `write` of `a[0]` to the port at `a[1]`, if any.
fn print_to(ctx: &mut Ctx, who: &str, a: &[Value], write: bool) -> Result<Value> {
    if a.len() == 1 || output_target(who, a, 1)?.is_none() {
        emit(ctx, &a[0], write)?;
        return Ok(Value::Unspecified);
    }
    let mut text = take_string();
    let budget = &mut ctx.budget;
    let printed = print(&a[0], write, &mut |chunk| {
        budget.spend(chunk.len() as u64)?;
        text.push_str(chunk);
        Ok(true)
    });
    let result = printed.and_then(|_| put(ctx, who, a, 1, &text));
    give_string(text);
    result.map(|_| Value::Unspecified)
}

fn display(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    print_to(ctx, "display", a, false)
}

fn write(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    print_to(ctx, "write", a, true)
}

fn newline(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    put(ctx, "newline", a, 0, "\n")?;
    Ok(Value::Unspecified)
}

fn write_string(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = string("write-string", &a[0])?.to_string();
    put(ctx, "write-string", a, 1, &s)?;
    Ok(Value::Unspecified)
}

fn write_char(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    match &a[0] {
        Value::Char(c) => {
            let mut b = [0; 4];
            put(ctx, "write-char", a, 1, c.encode_utf8(&mut b))?;
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
        let write = i > 0 || !matches!(v, Value::Str(_) | Value::AStr(_) | Value::MStr(_));
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
