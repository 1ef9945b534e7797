//! Vectors: one heap object each (`GcSlice<Slot>`), so their size counts against the heap
//! limit, and a huge `make-vector` is checked before anything is allocated.

use super::{index, list_items, prim, wrong_type, PrimKind, Primitive, MANY};
use crate::scheme::ctx::Ctx;
use crate::scheme::error::{bail, Result};
use crate::scheme::gc::GcSlice;
use crate::scheme::value::{Slot, Value};

pub static PRIMITIVES: &[Primitive] = &[
    prim("vector?", 1, 1, is_vector),
    prim("make-vector", 1, 2, make_vector),
    prim("vector", 0, MANY, vector),
    prim("vector-length", 1, 1, vector_length),
    prim("vector-ref", 2, 2, vector_ref),
    prim("vector-set!", 3, 3, vector_set),
    prim("vector->list", 1, 3, vector_to_list),
    prim("list->vector", 1, 1, list_to_vector),
    prim("vector-fill!", 2, 2, vector_fill),
    prim("vector-copy", 1, 3, vector_copy),
    Primitive {
        name: "vector-map",
        min: 2,
        max: MANY,
        kind: PrimKind::VectorMap(true),
    },
    Primitive {
        name: "vector-for-each",
        min: 2,
        max: MANY,
        kind: PrimKind::VectorMap(false),
    },
];

fn vec<'v>(who: &str, v: &'v Value) -> Result<&'v GcSlice<Slot>> {
    match v {
        Value::Vector(items) => Ok(items),
        _ => Err(wrong_type(who, "a vector", v)),
    }
}

fn slot<'v>(who: &str, v: &'v GcSlice<Slot>, k: &Value) -> Result<&'v Slot> {
    let i = index(who, k)?;
    match v.get(i) {
        Some(s) => Ok(s),
        None => bail!(
            "{who}: index {i} out of range for a vector of length {}",
            v.len()
        ),
    }
}

fn is_vector(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(a[0], Value::Vector(_))))
}

fn make_vector(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let n = index("make-vector", &a[0])?;
    ctx.reserve(n.saturating_mul(std::mem::size_of::<Slot>()))?;
    let fill = a.get(1).cloned().unwrap_or(Value::Int(0));
    ctx.vector_filled(n, &fill)
}

fn vector(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    ctx.vector(a)
}

fn vector_length(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Int(vec("vector-length", &a[0])?.len() as i64))
}

fn vector_ref(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(slot("vector-ref", vec("vector-ref", &a[0])?, &a[1])?.get())
}

fn vector_set(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    slot("vector-set!", vec("vector-set!", &a[0])?, &a[1])?.set(a[2].clone());
    Ok(Value::Unspecified)
}

/// The `[start [end]]` range of a vector operation.
fn range(who: &str, len: usize, a: &[Value]) -> Result<(usize, usize)> {
    let start = a.get(1).map(|v| index(who, v)).transpose()?.unwrap_or(0);
    let end = a.get(2).map(|v| index(who, v)).transpose()?.unwrap_or(len);
    if start > end || end > len {
        bail!("{who}: range {start}..{end} out of range for a vector of length {len}");
    }
    Ok((start, end))
}

fn vector_to_list(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let v = vec("vector->list", &a[0])?;
    let (start, end) = range("vector->list", v.len(), a)?;
    let items: Vec<Value> = v[start..end].iter().map(Slot::get).collect();
    ctx.list(&items)
}

pub fn list_to_vector(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let items = list_items("list->vector", &a[0])?;
    ctx.vector(&items)
}

fn vector_fill(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    for s in vec("vector-fill!", &a[0])?.iter() {
        s.set(a[1].clone());
    }
    Ok(Value::Unspecified)
}

fn vector_copy(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let v = vec("vector-copy", &a[0])?;
    let (start, end) = range("vector-copy", v.len(), a)?;
    let items: Vec<Value> = v[start..end].iter().map(Slot::get).collect();
    ctx.vector(&items)
}
