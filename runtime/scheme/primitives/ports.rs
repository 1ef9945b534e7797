//! String ports: `open-input-string`, `open-output-string`, `get-output-string`, reading
//! characters, lines and data from a string, and writing to a string. The only other
//! port is standard output (`current-output-port`): there is still no file access.

use super::{index, prim, string, wrong_type, Primitive};
use crate::scheme::ctx::Ctx;
use crate::scheme::error::{bail, Result};
use crate::scheme::gc::{Gc, GcCell};
use crate::scheme::objects::{Object, Port};
use crate::scheme::reader::Reader;
use crate::scheme::value::Value;

/// Bound to global names.
pub static PRIMITIVES: &[Primitive] = &[
    prim("open-input-string", 1, 1, open_input_string),
    prim("open-output-string", 0, 0, open_output_string),
    prim("get-output-string", 1, 1, get_output_string),
    prim("current-output-port", 0, 0, current_output_port),
    prim("read-char", 1, 1, read_char),
    prim("peek-char", 1, 1, peek_char),
    prim("read-line", 1, 1, read_line),
    prim("read-string", 2, 2, read_string),
    prim("read", 1, 1, read),
    prim("char-ready?", 1, 1, char_ready),
    prim("eof-object", 0, 0, eof_object),
    prim("eof-object?", 1, 1, is_eof_object),
    prim("port?", 1, 1, is_port),
    prim("input-port?", 1, 1, is_input_port),
    prim("output-port?", 1, 1, is_output_port),
    prim("textual-port?", 1, 1, is_port),
    prim("input-port-open?", 1, 1, is_input_port),
    prim("output-port-open?", 1, 1, is_output_port),
    prim("close-port", 1, 1, close_port),
    prim("close-input-port", 1, 1, close_port),
    prim("close-output-port", 1, 1, close_port),
];

fn port(ctx: &mut Ctx, p: Port) -> Result<Value> {
    Ok(Value::Object(ctx.alloc(Object::Port(GcCell::new(p)))?))
}

/// The port `v` is, if it is one.
pub fn as_port(v: &Value) -> Option<&GcCell<Port>> {
    match v {
        Value::Object(o) => match &**o {
            Object::Port(p) => Some(p),
            _ => None,
        },
        _ => None,
    }
}

fn the_port<'v>(who: &str, v: &'v Value) -> Result<&'v GcCell<Port>> {
    as_port(v).ok_or_else(|| wrong_type(who, "a port", v))
}

fn open_input_string(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let text = string("open-input-string", &a[0])?.to_string();
    port(ctx, Port::Input { text, at: 0 })
}

fn open_output_string(ctx: &mut Ctx, _: &[Value]) -> Result<Value> {
    port(ctx, Port::Output(String::new()))
}

fn current_output_port(ctx: &mut Ctx, _: &[Value]) -> Result<Value> {
    port(ctx, Port::Stdout)
}

fn get_output_string(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let text = match &*the_port("get-output-string", &a[0])?.borrow() {
        Port::Output(s) => s.clone(),
        _ => {
            return Err(wrong_type(
                "get-output-string",
                "an output string port",
                &a[0],
            ))
        }
    };
    ctx.string(&text)
}

fn eof(ctx: &mut Ctx) -> Result<Value> {
    ctx.eof()
}

/// Runs `f` on the unread text of an input port; `f` returns the value and the bytes read.
fn with_input(
    ctx: &mut Ctx,
    who: &str,
    v: &Value,
    f: impl FnOnce(&mut Ctx, &str) -> Result<Option<(Value, usize)>>,
) -> Result<Value> {
    let cell = the_port(who, v)?;
    let (text, at) = match &*cell.borrow() {
        Port::Input { text, at } => (text.clone(), *at),
        _ => return Err(wrong_type(who, "an open input port", v)),
    };
    match f(ctx, &text[at..])? {
        Some((value, used)) => {
            if let Port::Input { at, .. } = &mut *cell.borrow_mut() {
                *at += used;
            }
            Ok(value)
        }
        None => eof(ctx),
    }
}

fn read_char(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    with_input(ctx, "read-char", &a[0], |_, rest| {
        Ok(rest.chars().next().map(|c| (Value::Char(c), c.len_utf8())))
    })
}

fn peek_char(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    with_input(ctx, "peek-char", &a[0], |_, rest| {
        Ok(rest.chars().next().map(|c| (Value::Char(c), 0)))
    })
}

fn read_line(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    with_input(ctx, "read-line", &a[0], |ctx, rest| {
        if rest.is_empty() {
            return Ok(None);
        }
        let (line, used) = match rest.find('\n') {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        Ok(Some((ctx.string(line)?, used)))
    })
}

fn read_string(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let k = index("read-string", &a[0])?;
    with_input(ctx, "read-string", &a[1], |ctx, rest| {
        if rest.is_empty() {
            return Ok(None);
        }
        let used = rest.char_indices().nth(k).map_or(rest.len(), |(i, _)| i);
        Ok(Some((ctx.string(&rest[..used])?, used)))
    })
}

fn read(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    with_input(ctx, "read", &a[0], |ctx, rest| {
        let mut reader = Reader::new(rest);
        match reader.next_datum() {
            Ok(Some(d)) => {
                let v = ctx.datum_to_value(&d)?;
                Ok(Some((v, reader.consumed())))
            }
            Ok(None) => Ok(None),
            Err(e) => bail!("read: {}", e.message),
        }
    })
}

fn char_ready(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    the_port("char-ready?", &a[0])?;
    Ok(Value::Bool(true))
}

fn eof_object(ctx: &mut Ctx, _: &[Value]) -> Result<Value> {
    eof(ctx)
}

fn is_eof_object(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(
        &a[0],
        Value::Object(o) if matches!(&**o, Object::Eof)
    )))
}

fn is_port(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(as_port(&a[0]).is_some()))
}

fn is_input_port(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(as_port(&a[0]).is_some_and(|p| {
        matches!(&*p.borrow(), Port::Input { .. })
    })))
}

fn is_output_port(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(as_port(&a[0]).is_some_and(|p| {
        matches!(&*p.borrow(), Port::Output(_) | Port::Stdout)
    })))
}

fn close_port(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let p = the_port("close-port", &a[0])?;
    let mut state = p.borrow_mut();
    // An output string port keeps its text: get-output-string may still read it.
    if !matches!(&*state, Port::Output(_)) {
        *state = Port::Closed;
    }
    Ok(Value::Unspecified)
}

/// Where output goes: the string of an output string port, or standard output.
pub fn output_target(who: &str, a: &[Value], at: usize) -> Result<Option<Gc<Object>>> {
    match a.get(at) {
        None => Ok(None),
        Some(Value::Object(o)) => match &**o {
            Object::Port(p) => match &*p.borrow() {
                Port::Output(_) => Ok(Some(o.clone())),
                Port::Stdout => Ok(None),
                _ => Err(wrong_type(who, "an output port", &a[at])),
            },
            _ => Err(wrong_type(who, "an output port", &a[at])),
        },
        Some(v) => Err(wrong_type(who, "an output port", v)),
    }
}
