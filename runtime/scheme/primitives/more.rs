//! More R7RS-small procedures: integer division pairs, `exact-integer-sqrt`, conversions
//! between strings, vectors and lists with ranges, `vector-append`, `list-set!` and case
//! folding.

use super::{index, int, list_items, pair, prim, string, wrong_type, PrimKind, Primitive, MANY};
use crate::scheme::ctx::Ctx;
use crate::scheme::error::{bail, Result};
use crate::scheme::gc::GcSlice;
use crate::scheme::objects::Object;
use crate::scheme::value::{MString, Slot, Value};

/// Bound to global names.
pub static PRIMITIVES: &[Primitive] = &[
    prim("exact-integer-sqrt", 1, 1, exact_integer_sqrt),
    prim("floor/", 2, 2, floor_div),
    prim("truncate/", 2, 2, truncate_div),
    prim("floor-quotient", 2, 2, floor_quotient),
    prim("floor-remainder", 2, 2, floor_remainder),
    prim("truncate-quotient", 2, 2, truncate_quotient),
    prim("truncate-remainder", 2, 2, truncate_remainder),
    prim("string->vector", 1, 3, string_to_vector),
    prim("vector->string", 1, 3, vector_to_string),
    prim("string->list", 1, 3, string_to_list),
    prim("vector-append", 0, MANY, vector_append),
    prim("list-set!", 3, 3, list_set),
    prim("char-foldcase", 1, 1, char_foldcase),
    prim("string-set!", 3, 3, string_set),
    prim("string-fill!", 2, 4, string_fill),
    prim("string-copy!", 3, 5, string_copy_to),
    prim("string-foldcase", 1, 1, string_foldcase),
    Primitive {
        name: "string-map",
        min: 2,
        max: MANY,
        kind: PrimKind::StringMap(true),
    },
    Primitive {
        name: "string-for-each",
        min: 2,
        max: MANY,
        kind: PrimKind::StringMap(false),
    },
];

fn two_values(ctx: &mut Ctx, a: i64, b: i64) -> Result<Value> {
    Ok(Value::Object(ctx.alloc(Object::Values(vec![
        Value::Int(a),
        Value::Int(b),
    ]))?))
}

fn divisor(who: &str, a: &[Value]) -> Result<(i64, i64)> {
    let (n, d) = (int(who, &a[0])?, int(who, &a[1])?);
    if d == 0 {
        bail!("{who}: division by zero");
    }
    Ok((n, d))
}

fn floor_qr(who: &str, a: &[Value]) -> Result<(i64, i64)> {
    let (q, r) = truncate_qr(who, a)?;
    let d = int(who, &a[1])?;
    // Truncation rounds toward zero; floor differs when the remainder's sign is not the
    // divisor's.
    Ok(if r != 0 && (r < 0) != (d < 0) {
        (q - 1, r + d)
    } else {
        (q, r)
    })
}

fn truncate_qr(who: &str, a: &[Value]) -> Result<(i64, i64)> {
    let (n, d) = divisor(who, a)?;
    let q = n.checked_div(d).ok_or_else(|| overflow(who))?;
    Ok((q, n - q * d))
}

fn overflow(who: &str) -> crate::scheme::error::SchemeError {
    crate::scheme::error::SchemeError::new(format!("{who}: integer overflow"))
}

fn floor_div(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let (q, r) = floor_qr("floor/", a)?;
    two_values(ctx, q, r)
}

fn truncate_div(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let (q, r) = truncate_qr("truncate/", a)?;
    two_values(ctx, q, r)
}

fn floor_quotient(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Int(floor_qr("floor-quotient", a)?.0))
}

fn floor_remainder(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Int(floor_qr("floor-remainder", a)?.1))
}

fn truncate_quotient(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Int(truncate_qr("truncate-quotient", a)?.0))
}

fn truncate_remainder(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Int(truncate_qr("truncate-remainder", a)?.1))
}

fn exact_integer_sqrt(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let n = int("exact-integer-sqrt", &a[0])?;
    if n < 0 {
        return Err(wrong_type(
            "exact-integer-sqrt",
            "a non-negative exact integer",
            &a[0],
        ));
    }
    let mut s = (n as f64).sqrt() as i64;
    while s > 0 && !s.checked_mul(s).is_some_and(|sq| sq <= n) {
        s -= 1;
    }
    while (s + 1).checked_mul(s + 1).is_some_and(|sq| sq <= n) {
        s += 1;
    }
    two_values(ctx, s, n - s * s)
}

/// `start` and `end` arguments (at `a[1]`, `a[2]`) over a sequence of `len` items.
fn range(who: &str, len: usize, a: &[Value]) -> Result<(usize, usize)> {
    let start = a.get(1).map(|v| index(who, v)).transpose()?.unwrap_or(0);
    let end = a.get(2).map(|v| index(who, v)).transpose()?.unwrap_or(len);
    if start > end || end > len {
        bail!("{who}: range {start}..{end} out of range for length {len}");
    }
    Ok((start, end))
}

fn chars_in_range(who: &str, a: &[Value]) -> Result<Vec<Value>> {
    let s = string(who, &a[0])?;
    let chars: Vec<char> = s.chars().collect();
    let (start, end) = range(who, chars.len(), a)?;
    Ok(chars[start..end].iter().copied().map(Value::Char).collect())
}

fn string_to_list(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let chars = chars_in_range("string->list", a)?;
    ctx.list(&chars)
}

fn string_to_vector(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let chars = chars_in_range("string->vector", a)?;
    ctx.vector(&chars)
}

fn vector_items<'v>(who: &str, v: &'v Value) -> Result<&'v GcSlice<Slot>> {
    match v {
        Value::Vector(items) => Ok(items),
        _ => Err(wrong_type(who, "a vector", v)),
    }
}

fn vector_to_string(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let items = vector_items("vector->string", &a[0])?;
    let (start, end) = range("vector->string", items.len(), a)?;
    let mut s = String::new();
    for slot in &items[start..end] {
        match slot.get() {
            Value::Char(c) => s.push(c),
            v => return Err(wrong_type("vector->string", "a vector of characters", &v)),
        }
    }
    ctx.reserve(s.len())?;
    ctx.string(&s)
}

fn vector_append(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let mut all = Vec::new();
    for v in a {
        all.extend(vector_items("vector-append", v)?.iter().map(Slot::get));
    }
    ctx.reserve(all.len().saturating_mul(std::mem::size_of::<Slot>()))?;
    ctx.vector(&all)
}

fn list_set(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let k = index("list-set!", &a[1])?;
    let items = list_items("list-set!", &a[0])?;
    if k >= items.len() {
        bail!(
            "list-set!: index {k} out of range for a list of length {}",
            items.len()
        );
    }
    let mut cur = a[0].clone();
    for _ in 0..k {
        let next = pair("list-set!", &cur)?.cdr();
        cur = next;
    }
    pair("list-set!", &cur)?.car.set(a[2].clone());
    Ok(Value::Unspecified)
}

fn char_foldcase(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    match &a[0] {
        Value::Char(c) => Ok(Value::Char(c.to_lowercase().next().unwrap_or(*c))),
        v => Err(wrong_type("char-foldcase", "a character", v)),
    }
}

fn string_foldcase(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = string("string-foldcase", &a[0])?.to_lowercase();
    ctx.string(&s)
}

/// The text of a mutable string argument.
fn mutable<'v>(who: &str, v: &'v Value) -> Result<&'v MString> {
    match v {
        Value::MStr(m) => Ok(m),
        Value::Str(_) | Value::AStr(_) => Err(wrong_type(
            who,
            "a mutable string (literals are immutable)",
            v,
        )),
        _ => Err(wrong_type(who, "a string", v)),
    }
}

fn character(who: &str, v: &Value) -> Result<char> {
    match v {
        Value::Char(c) => Ok(*c),
        _ => Err(wrong_type(who, "a character", v)),
    }
}

/// Replaces the characters `start..end` of `m` by `with` (the same number of characters).
fn splice(ctx: &mut Ctx, m: &MString, start: usize, end: usize, with: &str) -> Result<()> {
    m.splice(start, end, with, |bytes| ctx.reserve(bytes))
}

fn string_set(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let m = mutable("string-set!", &a[0])?;
    let k = index("string-set!", &a[1])?;
    let c = character("string-set!", &a[2])?;
    let len = m.char_count();
    if k >= len {
        bail!("string-set!: index {k} out of range for a string of length {len}");
    }
    splice(ctx, m, k, k + 1, c.encode_utf8(&mut [0; 4]))?;
    Ok(Value::Unspecified)
}

fn string_fill(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let m = mutable("string-fill!", &a[0])?;
    let c = character("string-fill!", &a[1])?;
    let len = m.char_count();
    let rest: Vec<Value> = std::iter::once(a[0].clone())
        .chain(a[2..].iter().cloned())
        .collect();
    let (start, end) = range("string-fill!", len, &rest)?;
    let with: String = std::iter::repeat(c).take(end - start).collect();
    splice(ctx, m, start, end, &with)?;
    Ok(Value::Unspecified)
}

/// `(string-copy! to at from [start [end]])`.
fn string_copy_to(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let to = mutable("string-copy!", &a[0])?;
    let at = index("string-copy!", &a[1])?;
    // Copied out first: `from` may be `to` itself.
    let source: Vec<char> = string("string-copy!", &a[2])?.chars().collect();
    let (start, end) = range("string-copy!", source.len(), &a[2..])?;
    let with: String = source[start..end].iter().collect();
    let len = to.char_count();
    let count = end - start;
    if at > len || len - at < count {
        bail!("string-copy!: {count} characters do not fit at {at} in a string of length {len}");
    }
    splice(ctx, to, at, at + count, &with)?;
    Ok(Value::Unspecified)
}
