//! `display` and `write`: an iterative printer (no recursion, so a list nested a million
//! levels deep prints without touching the native stack) that hands its output to a sink in
//! chunks, so printing a circular list stays in bounded memory and can be stopped.

use std::fmt::Write as _;

use super::error::Result;
use super::gc::GcStr;
use super::value::{RecordProc, Value};

/// Chunk size handed to the sink.
const CHUNK: usize = 4096;

/// What to print next.
enum Task {
    Value(Value),
    /// The rest of a list after its first element.
    Tail(Value),
    Text(&'static str),
    /// A record field's name, before its value.
    Field(GcStr),
}

/// Prints `v` (as `write` if `write`, else as `display`) into `sink`, chunk by chunk.
/// The sink returns `Ok(false)` to stop early.
pub fn print(v: &Value, write: bool, sink: &mut dyn FnMut(&str) -> Result<bool>) -> Result<()> {
    let mut buf = super::ctx::take_string();
    let result = print_into(v, write, &mut buf, sink);
    super::ctx::give_string(buf);
    result
}

fn print_into(
    v: &Value,
    write: bool,
    buf: &mut String,
    sink: &mut dyn FnMut(&str) -> Result<bool>,
) -> Result<()> {
    let mut tasks = vec![Task::Value(v.clone())];
    while let Some(task) = tasks.pop() {
        if buf.len() >= CHUNK {
            let go_on = sink(buf)?;
            buf.clear();
            if !go_on {
                return Ok(());
            }
        }
        match task {
            Task::Text(t) => buf.push_str(t),
            Task::Field(name) => {
                buf.push(' ');
                buf.push_str(&name);
                buf.push('=');
            }
            Task::Tail(rest) => match rest {
                Value::Nil => buf.push(')'),
                Value::Pair(p) => {
                    buf.push(' ');
                    tasks.push(Task::Tail(p.cdr()));
                    tasks.push(Task::Value(p.car()));
                }
                other => {
                    buf.push_str(" . ");
                    tasks.push(Task::Text(")"));
                    tasks.push(Task::Value(other));
                }
            },
            Task::Value(v) => match v {
                Value::Pair(p) => {
                    buf.push('(');
                    tasks.push(Task::Tail(p.cdr()));
                    tasks.push(Task::Value(p.car()));
                }
                Value::Vector(items) => {
                    buf.push_str("#(");
                    tasks.push(Task::Text(")"));
                    for (i, slot) in items.iter().enumerate().rev() {
                        tasks.push(Task::Value(slot.get()));
                        if i > 0 {
                            tasks.push(Task::Text(" "));
                        }
                    }
                }
                Value::Record(r) => {
                    let name = &r.rtype.name;
                    let _ = write!(
                        buf,
                        "#<{}",
                        name.trim_start_matches('<').trim_end_matches('>')
                    );
                    tasks.push(Task::Text(">"));
                    for (field, slot) in r.rtype.fields.iter().zip(&r.fields).rev() {
                        tasks.push(Task::Value(slot.get()));
                        tasks.push(Task::Field(field.clone()));
                    }
                }
                atom => print_atom(&atom, write, buf),
            },
        }
    }
    if !buf.is_empty() {
        sink(buf)?;
    }
    Ok(())
}

/// Formats a flonum the Scheme way: always with a point or an exponent.
pub fn format_float(f: f64, buf: &mut String) {
    if f.is_nan() {
        buf.push_str("+nan.0");
    } else if f.is_infinite() {
        buf.push_str(if f > 0.0 { "+inf.0" } else { "-inf.0" });
    } else {
        // `{:?}` prints the shortest representation that reads back exactly, with ".0" on
        // integral values and an exponent for very large or small ones.
        let _ = write!(buf, "{f:?}");
    }
}

fn print_atom(v: &Value, write: bool, buf: &mut String) {
    match v {
        Value::Nil => buf.push_str("()"),
        Value::Bool(true) => buf.push_str("#t"),
        Value::Bool(false) => buf.push_str("#f"),
        Value::Int(i) => {
            let _ = write!(buf, "{i}");
        }
        Value::Float(f) => format_float(*f, buf),
        Value::Char(c) if write => {
            buf.push_str("#\\");
            match c {
                ' ' => buf.push_str("space"),
                '\n' => buf.push_str("newline"),
                '\t' => buf.push_str("tab"),
                '\r' => buf.push_str("return"),
                '\0' => buf.push_str("null"),
                '\u{7}' => buf.push_str("alarm"),
                '\u{8}' => buf.push_str("backspace"),
                '\u{7f}' => buf.push_str("delete"),
                '\u{1b}' => buf.push_str("escape"),
                c if c.is_control() => {
                    let _ = write!(buf, "x{:x}", *c as u32);
                }
                c => buf.push(*c),
            }
        }
        Value::Char(c) => buf.push(*c),
        Value::MStr(m) => {
            let text = m.text();
            print_string(&text, write, buf);
        }
        Value::Str(s) | Value::AStr(s) => print_string(s, write, buf),
        Value::Symbol(s) => {
            let needs_bars = write
                && (s.is_empty()
                    || s.chars().any(|c| {
                        c.is_whitespace() || matches!(c, '(' | ')' | '"' | ';' | '\'' | '|')
                    }));
            if needs_bars {
                buf.push('|');
                buf.push_str(s);
                buf.push('|');
            } else {
                buf.push_str(s);
            }
        }
        Value::Unspecified => buf.push_str("#<unspecified>"),
        Value::Undefined => buf.push_str("#<undefined>"),
        Value::Closure(_) => buf.push_str("#<procedure>"),
        Value::Cell(_) => buf.push_str("#<cell>"),
        Value::Primitive(p) => {
            let _ = write!(buf, "#<procedure {}>", p.name);
        }
        Value::RecordProc(rp) => {
            let kind = match &**rp {
                RecordProc::Constructor { .. } => "constructor",
                RecordProc::Predicate(_) => "predicate",
                RecordProc::Accessor(..) => "accessor",
                RecordProc::Modifier(..) => "modifier",
            };
            let _ = write!(buf, "#<procedure record-{kind}>");
        }
        Value::RecordType(t) => {
            let _ = write!(buf, "#<record-type {}>", t.name);
        }
        Value::Object(o) => buf.push_str(o.describe()),
        Value::Pair(_) | Value::Vector(_) | Value::Record(_) => unreachable_compound(buf),
    }
}

/// Compound values are expanded by the task loop and never reach `print_atom`; printing a
/// marker instead of panicking keeps the printer total.
fn unreachable_compound(buf: &mut String) {
    buf.push_str("#<compound>");
}

/// A short `write` rendering for error messages (at most about 60 characters).
pub fn repr(v: &Value) -> String {
    let mut out = String::new();
    let mut truncated = false;
    let _ = print(v, true, &mut |s| {
        out.push_str(s);
        if out.len() > 60 {
            truncated = true;
            return Ok(false);
        }
        Ok(true)
    });
    if out.len() > 60 {
        let mut cut = 57;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        truncated = true;
    }
    if truncated {
        out.push_str("...");
    }
    out
}

/// A string as `display` (`write` false) or `write` shows it.
fn print_string(s: &str, write: bool, buf: &mut String) {
    if !write {
        buf.push_str(s);
        return;
    }
    buf.push('"');
    for c in s.chars() {
        match c {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\t' => buf.push_str("\\t"),
            '\r' => buf.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(buf, "\\x{:x};", c as u32);
            }
            c => buf.push(c),
        }
    }
    buf.push('"');
}
