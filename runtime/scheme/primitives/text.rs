//! Strings, characters and symbols. Strings are immutable `Gc<str>` on the heap; new ones
//! are built in pooled buffers (`STRING_BUFFERS`) and copied into the heap once.

use super::{index, int, list_items, prim, string, wrong_type, Primitive, MANY};
use crate::scheme::ctx::{give_string, take_string, Ctx};
use crate::scheme::error::{bail, Result};
use crate::scheme::value::Value;

pub static PRIMITIVES: &[Primitive] = &[
    prim("string?", 1, 1, is_string),
    prim("symbol?", 1, 1, is_symbol),
    prim("char?", 1, 1, is_char),
    prim("string-length", 1, 1, string_length),
    prim("string-ref", 2, 2, string_ref),
    prim("substring", 2, 3, substring),
    prim("string-copy", 1, 3, substring),
    prim("string-append", 0, MANY, string_append),
    prim("string", 0, MANY, string_of_chars),
    prim("make-string", 1, 2, make_string),
    prim("list->string", 1, 1, list_to_string),
    prim("string->symbol", 1, 1, string_to_symbol),
    prim("symbol->string", 1, 1, symbol_to_string),
    prim("string-upcase", 1, 1, string_upcase),
    prim("string-downcase", 1, 1, string_downcase),
    prim("string=?", 1, MANY, string_eq),
    prim("string<?", 1, MANY, string_lt),
    prim("string>?", 1, MANY, string_gt),
    prim("string<=?", 1, MANY, string_le),
    prim("string>=?", 1, MANY, string_ge),
    prim("string-ci=?", 1, MANY, string_ci_eq),
    prim("symbol=?", 1, MANY, symbol_eq),
    prim("char->integer", 1, 1, char_to_integer),
    prim("integer->char", 1, 1, integer_to_char),
    prim("char=?", 1, MANY, char_eq),
    prim("char<?", 1, MANY, char_lt),
    prim("char>?", 1, MANY, char_gt),
    prim("char<=?", 1, MANY, char_le),
    prim("char>=?", 1, MANY, char_ge),
    prim("char-alphabetic?", 1, 1, char_alphabetic),
    prim("char-numeric?", 1, 1, char_numeric),
    prim("char-whitespace?", 1, 1, char_whitespace),
    prim("char-upper-case?", 1, 1, char_upper),
    prim("char-lower-case?", 1, 1, char_lower),
    prim("char-upcase", 1, 1, char_upcase),
    prim("char-downcase", 1, 1, char_downcase),
    prim("digit-value", 1, 1, digit_value),
];

fn chr(who: &str, v: &Value) -> Result<char> {
    match v {
        Value::Char(c) => Ok(*c),
        _ => Err(wrong_type(who, "a character", v)),
    }
}

fn is_string(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(
        a[0],
        Value::Str(_) | Value::AStr(_) | Value::MStr(_)
    )))
}
fn is_symbol(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(a[0], Value::Symbol(_))))
}
fn is_char(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(a[0], Value::Char(_))))
}

fn char_count(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// The byte offset of character `k` of `s` (`k` may equal the length).
fn byte_offset(s: &str, k: usize) -> Option<usize> {
    if s.is_ascii() {
        return (k <= s.len()).then_some(k);
    }
    s.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .nth(k)
}

fn string_length(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    match &a[0] {
        Value::MStr(m) => return Ok(Value::Int(m.char_count() as i64)),
        Value::AStr(s) => return Ok(Value::Int(s.len() as i64)),
        _ => {}
    }
    Ok(Value::Int(
        char_count(&string("string-length", &a[0])?) as i64
    ))
}

fn string_ref(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = string("string-ref", &a[0])?;
    let k = index("string-ref", &a[1])?;
    let ascii = match &a[0] {
        Value::MStr(m) => m.ascii_at(k),
        Value::AStr(s) => s.as_bytes().get(k).map(|&b| char::from(b)),
        _ => None,
    };
    if let Some(c) = ascii {
        return Ok(Value::Char(c));
    }
    match s.chars().nth(k) {
        Some(c) => Ok(Value::Char(c)),
        None => bail!(
            "string-ref: index {k} out of range for a string of length {}",
            char_count(&s)
        ),
    }
}

/// `(substring s start [end])`, also `(string-copy s [start [end]])`.
fn substring(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = string("substring", &a[0])?;
    let len = char_count(&s);
    let start = match a.get(1) {
        Some(v) => index("substring", v)?,
        None => 0,
    };
    let end = match a.get(2) {
        Some(v) => index("substring", v)?,
        None => len,
    };
    if start > end || end > len {
        bail!("substring: range {start}..{end} out of range for a string of length {len}");
    }
    let (Some(from), Some(to)) = (byte_offset(&s, start), byte_offset(&s, end)) else {
        bail!("substring: range {start}..{end} out of range for a string of length {len}");
    };
    ctx.mstring(&s[from..to])
}

/// Builds a string in a pooled buffer, then copies it into the heap.
fn build(ctx: &mut Ctx, fill: impl FnOnce(&mut String) -> Result<()>) -> Result<Value> {
    let mut buf = take_string();
    let result = fill(&mut buf).and_then(|()| ctx.mstring(&buf));
    give_string(buf);
    result
}

fn string_append(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let mut total = 0usize;
    for v in a {
        total = total.saturating_add(string("string-append", v)?.len());
    }
    ctx.reserve(total)?;
    // Built at its final size and moved into the string object (no pooled buffer copied).
    let mut text = String::with_capacity(total);
    for v in a {
        text.push_str(&string("string-append", v)?);
    }
    ctx.mstring_of(text)
}

fn string_of_chars(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    build(ctx, |buf| {
        for v in a {
            buf.push(chr("string", v)?);
        }
        Ok(())
    })
}

fn make_string(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let n = index("make-string", &a[0])?;
    let c = match a.get(1) {
        Some(v) => chr("make-string", v)?,
        None => ' ',
    };
    ctx.reserve(n.saturating_mul(c.len_utf8()))?;
    build(ctx, |buf| {
        buf.extend(std::iter::repeat(c).take(n));
        Ok(())
    })
}

fn list_to_string(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let items = list_items("list->string", &a[0])?;
    build(ctx, |buf| {
        for v in &items {
            buf.push(chr("list->string", v)?);
        }
        Ok(())
    })
}

fn string_to_symbol(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = string("string->symbol", &a[0])?.to_string();
    ctx.intern(&s)
}

fn symbol_to_string(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    match &a[0] {
        Value::Symbol(s) => ctx.string(s),
        v => Err(wrong_type("symbol->string", "a symbol", v)),
    }
}

fn string_upcase(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = string("string-upcase", &a[0])?.to_uppercase();
    ctx.string(&s)
}
fn string_downcase(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = string("string-downcase", &a[0])?.to_lowercase();
    ctx.string(&s)
}

fn string_cmp(
    who: &str,
    a: &[Value],
    ok: fn(std::cmp::Ordering) -> bool,
    fold: bool,
) -> Result<Value> {
    let mut result = true;
    for v in a {
        string(who, v)?;
    }
    for w in a.windows(2) {
        let (x, y) = (string(who, &w[0])?, string(who, &w[1])?);
        let ord = if fold {
            x.to_lowercase().cmp(&y.to_lowercase())
        } else {
            (*x).cmp(&*y)
        };
        result &= ok(ord);
    }
    Ok(Value::Bool(result))
}
fn string_eq(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    string_cmp("string=?", a, |o| o.is_eq(), false)
}
fn string_lt(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    string_cmp("string<?", a, |o| o.is_lt(), false)
}
fn string_gt(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    string_cmp("string>?", a, |o| o.is_gt(), false)
}
fn string_le(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    string_cmp("string<=?", a, |o| o.is_le(), false)
}
fn string_ge(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    string_cmp("string>=?", a, |o| o.is_ge(), false)
}
fn string_ci_eq(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    string_cmp("string-ci=?", a, |o| o.is_eq(), true)
}

fn symbol_eq(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    for v in a {
        if !matches!(v, Value::Symbol(_)) {
            return Err(wrong_type("symbol=?", "a symbol", v));
        }
    }
    Ok(Value::Bool(a.windows(2).all(|w| w[0].eqv(&w[1]))))
}

fn char_to_integer(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Int(chr("char->integer", &a[0])? as i64))
}

fn integer_to_char(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let i = int("integer->char", &a[0])?;
    u32::try_from(i)
        .ok()
        .and_then(char::from_u32)
        .map(Value::Char)
        .ok_or_else(|| wrong_type("integer->char", "a Unicode scalar value", &a[0]))
}

fn char_cmp(who: &str, a: &[Value], ok: fn(std::cmp::Ordering) -> bool) -> Result<Value> {
    let mut result = true;
    for v in a {
        chr(who, v)?;
    }
    for w in a.windows(2) {
        result &= ok(chr(who, &w[0])?.cmp(&chr(who, &w[1])?));
    }
    Ok(Value::Bool(result))
}
fn char_eq(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_cmp("char=?", a, |o| o.is_eq())
}
fn char_lt(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_cmp("char<?", a, |o| o.is_lt())
}
fn char_gt(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_cmp("char>?", a, |o| o.is_gt())
}
fn char_le(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_cmp("char<=?", a, |o| o.is_le())
}
fn char_ge(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_cmp("char>=?", a, |o| o.is_ge())
}

fn char_test(who: &str, a: &[Value], test: fn(char) -> bool) -> Result<Value> {
    Ok(Value::Bool(test(chr(who, &a[0])?)))
}
fn char_alphabetic(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_test("char-alphabetic?", a, char::is_alphabetic)
}
fn char_numeric(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_test("char-numeric?", a, char::is_numeric)
}
fn char_whitespace(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_test("char-whitespace?", a, char::is_whitespace)
}
fn char_upper(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_test("char-upper-case?", a, char::is_uppercase)
}
fn char_lower(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_test("char-lower-case?", a, char::is_lowercase)
}

fn char_map(who: &str, a: &[Value], f: fn(char) -> Option<char>) -> Result<Value> {
    let c = chr(who, &a[0])?;
    Ok(Value::Char(f(c).unwrap_or(c)))
}
fn char_upcase(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_map("char-upcase", a, |c| c.to_uppercase().next())
}
fn char_downcase(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    char_map("char-downcase", a, |c| c.to_lowercase().next())
}

fn digit_value(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(match chr("digit-value", &a[0])?.to_digit(10) {
        Some(d) => Value::Int(d as i64),
        None => Value::Bool(false),
    })
}
