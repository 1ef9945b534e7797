//! Equivalence predicates and the type predicates that fit nowhere else.

use super::{prim, Primitive, MANY};
use crate::scheme::ctx::{Budget, Ctx};
use crate::scheme::error::Result;
use crate::scheme::gc::Gc;
use crate::scheme::value::Value;

pub static PRIMITIVES: &[Primitive] = &[
    prim("eq?", 2, 2, eqv),
    prim("eqv?", 2, 2, eqv),
    prim("equal?", 2, 2, equal_p),
    prim("not", 1, 1, not),
    prim("boolean?", 1, 1, is_boolean),
    prim("boolean=?", 2, MANY, boolean_eq),
    prim("procedure?", 1, 1, is_procedure),
];

fn eqv(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(a[0].eqv(&a[1])))
}

fn equal_p(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(equal(&mut ctx.budget, &a[0], &a[1])?))
}

/// `equal?`: structural equality over pairs, vectors, strings and records' identity.
/// Iterative (an explicit stack), and each visited pair spends budget, so comparing two
/// circular structures ends with the step or time limit instead of hanging silently.
pub fn equal(budget: &mut Budget, a: &Value, b: &Value) -> Result<bool> {
    let mut work = vec![(a.clone(), b.clone())];
    while let Some((x, y)) = work.pop() {
        budget.tick()?;
        match (&x, &y) {
            (Value::Pair(p), Value::Pair(q)) => {
                if Gc::ptr_eq(p, q) {
                    continue;
                }
                work.push((p.cdr(), q.cdr()));
                work.push((p.car(), q.car()));
            }
            (Value::Vector(v), Value::Vector(w)) => {
                if v.len() != w.len() {
                    return Ok(false);
                }
                for (s, t) in v.iter().zip(w.iter()).rev() {
                    work.push((s.get(), t.get()));
                }
            }
            (
                Value::Str(_) | Value::AStr(_) | Value::MStr(_),
                Value::Str(_) | Value::AStr(_) | Value::MStr(_),
            ) => {
                if *super::string("equal?", &x)? != *super::string("equal?", &y)? {
                    return Ok(false);
                }
            }
            _ => {
                if !x.eqv(&y) {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
}

fn not(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(a[0], Value::Bool(false))))
}

fn is_boolean(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(a[0], Value::Bool(_))))
}

fn boolean_eq(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let mut all = true;
    for v in a {
        match v {
            Value::Bool(b) => {
                all &= Some(b)
                    == a.first().and_then(|f| match f {
                        Value::Bool(x) => Some(x),
                        _ => None,
                    })
            }
            other => return Err(super::wrong_type("boolean=?", "a boolean", other)),
        }
    }
    Ok(Value::Bool(all))
}

fn is_procedure(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(a[0].is_procedure()))
}
