//! Pairs and lists. Every walk over a list checks for cycles, so a circular list is an
//! error rather than a hang.

use super::{
    equal, index, list_count, list_items, pair, prim, wrong_type, PrimKind, Primitive, MANY,
};
use crate::scheme::ctx::Ctx;
use crate::scheme::error::{bail, Result};
use crate::scheme::value::Value;

pub static PRIMITIVES: &[Primitive] = &[
    prim("cons", 2, 2, cons),
    prim("car", 1, 1, car),
    prim("cdr", 1, 1, cdr),
    prim("set-car!", 2, 2, set_car),
    prim("set-cdr!", 2, 2, set_cdr),
    prim("caar", 1, 1, caar),
    prim("cadr", 1, 1, cadr),
    prim("cdar", 1, 1, cdar),
    prim("cddr", 1, 1, cddr),
    prim("caddr", 1, 1, caddr),
    prim("cdddr", 1, 1, cdddr),
    prim("caadr", 1, 1, caadr),
    prim("cddar", 1, 1, cddar),
    prim("cadar", 1, 1, cadar),
    prim("cdadr", 1, 1, cdadr),
    prim("caaar", 1, 1, caaar),
    prim("cdaar", 1, 1, cdaar),
    prim("cadddr", 1, 1, cadddr),
    prim("cddddr", 1, 1, cddddr),
    prim("list", 0, MANY, list),
    prim("make-list", 1, 2, make_list),
    prim("length", 1, 1, length),
    prim("append", 0, MANY, append),
    prim("reverse", 1, 1, reverse),
    prim("list-ref", 2, 2, list_ref),
    prim("list-tail", 2, 2, list_tail),
    prim("list-copy", 1, 1, list_copy),
    prim("last-pair", 1, 1, last_pair),
    prim("memq", 2, 2, memq),
    prim("memv", 2, 2, memv),
    Primitive {
        name: "member",
        min: 2,
        max: 3,
        kind: PrimKind::Search(false),
    },
    prim("assq", 2, 2, assq),
    prim("assv", 2, 2, assv),
    Primitive {
        name: "assoc",
        min: 2,
        max: 3,
        kind: PrimKind::Search(true),
    },
    prim("null?", 1, 1, is_null),
    prim("pair?", 1, 1, is_pair),
    prim("list?", 1, 1, is_list),
    Primitive {
        name: "apply",
        min: 2,
        max: MANY,
        kind: PrimKind::Apply,
    },
    Primitive {
        name: "map",
        min: 2,
        max: MANY,
        kind: PrimKind::Map(true),
    },
    Primitive {
        name: "for-each",
        min: 2,
        max: MANY,
        kind: PrimKind::Map(false),
    },
];

pub fn cons(ctx: &mut Ctx, args: &[Value]) -> Result<Value> {
    ctx.cons(args[0].clone(), args[1].clone())
}

fn car(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(pair("car", &args[0])?.car())
}

fn cdr(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(pair("cdr", &args[0])?.cdr())
}

fn set_car(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    pair("set-car!", &args[0])?.car.set(args[1].clone());
    Ok(Value::Unspecified)
}

fn set_cdr(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    pair("set-cdr!", &args[0])?.cdr.set(args[1].clone());
    Ok(Value::Unspecified)
}

/// Follows a `c[ad]+r` path, read right to left as the name says.
fn cxr(who: &str, v: &Value, path: &str) -> Result<Value> {
    let mut cur = v.clone();
    for step in path.bytes().rev() {
        let p = match &cur {
            Value::Pair(p) => p.clone(),
            _ => return Err(wrong_type(who, "a list deep enough", v)),
        };
        cur = if step == b'a' { p.car() } else { p.cdr() };
    }
    Ok(cur)
}

macro_rules! cxrs {
    ($($f:ident $name:literal $path:literal),* $(,)?) => {
        $(fn $f(_: &mut Ctx, args: &[Value]) -> Result<Value> {
            cxr($name, &args[0], $path)
        })*
    };
}

cxrs! {
    caar "caar" "aa", cadr "cadr" "ad", cdar "cdar" "da", cddr "cddr" "dd",
    caddr "caddr" "add", cdddr "cdddr" "ddd", caadr "caadr" "aad", cddar "cddar" "dda",
    cadar "cadar" "ada", cdadr "cdadr" "dad", caaar "caaar" "aaa", cdaar "cdaar" "daa",
    cadddr "cadddr" "addd", cddddr "cddddr" "dddd",
}

fn list(ctx: &mut Ctx, args: &[Value]) -> Result<Value> {
    ctx.list(args)
}

fn make_list(ctx: &mut Ctx, args: &[Value]) -> Result<Value> {
    let n = index("make-list", &args[0])?;
    let fill = args.get(1).cloned().unwrap_or(Value::Unspecified);
    let mut list = Value::Nil;
    for _ in 0..n {
        ctx.budget.tick()?;
        list = ctx.cons(fill.clone(), list)?;
    }
    Ok(list)
}

fn length(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(Value::Int(list_count("length", &args[0])? as i64))
}

/// `(append2 list tail)`: what `,@` expands into.
pub fn append2(ctx: &mut Ctx, args: &[Value]) -> Result<Value> {
    let items = list_items("unquote-splicing", &args[0])?;
    ctx.list_with_tail(&items, args[1].clone())
}

fn append(ctx: &mut Ctx, args: &[Value]) -> Result<Value> {
    let Some((last, init)) = args.split_last() else {
        return Ok(Value::Nil);
    };
    let mut result = last.clone();
    for l in init.iter().rev() {
        let items = list_items("append", l)?;
        result = ctx.list_with_tail(&items, result)?;
    }
    Ok(result)
}

fn reverse(ctx: &mut Ctx, args: &[Value]) -> Result<Value> {
    let mut result = Value::Nil;
    for v in list_items("reverse", &args[0])? {
        result = ctx.cons(v, result)?;
    }
    Ok(result)
}

/// The list after `k` cdrs; each step spends budget, since `k` may be huge and the list
/// circular.
fn tail(ctx: &mut Ctx, who: &str, list: &Value, k: usize) -> Result<Value> {
    let mut cur = list.clone();
    for _ in 0..k {
        ctx.budget.tick()?;
        cur = match &cur {
            Value::Pair(p) => p.cdr(),
            _ => bail!("{who}: index {k} is past the end of the list"),
        };
    }
    Ok(cur)
}

fn list_tail(ctx: &mut Ctx, args: &[Value]) -> Result<Value> {
    tail(ctx, "list-tail", &args[0], index("list-tail", &args[1])?)
}

fn list_ref(ctx: &mut Ctx, args: &[Value]) -> Result<Value> {
    let k = index("list-ref", &args[1])?;
    match tail(ctx, "list-ref", &args[0], k)? {
        Value::Pair(p) => Ok(p.car()),
        _ => bail!("list-ref: index {k} is past the end of the list"),
    }
}

fn list_copy(ctx: &mut Ctx, args: &[Value]) -> Result<Value> {
    if !matches!(args[0], Value::Pair(_)) {
        return Ok(args[0].clone());
    }
    let items = list_items("list-copy", &args[0])?;
    ctx.list(&items)
}

fn last_pair(ctx: &mut Ctx, args: &[Value]) -> Result<Value> {
    let items = list_items("last-pair", &args[0])?;
    if items.is_empty() {
        return Err(wrong_type("last-pair", "a non-empty list", &args[0]));
    }
    tail(ctx, "last-pair", &args[0], items.len() - 1)
}

/// Walks `list` (cycle-checked) and returns the first tail whose car satisfies `hit`.
fn find_tail(who: &str, list: &Value, hit: impl Fn(&Value) -> bool) -> Result<Value> {
    let items = list_items(who, list)?;
    let mut cur = list.clone();
    for item in &items {
        if hit(item) {
            return Ok(cur);
        }
        cur = match &cur {
            Value::Pair(p) => p.cdr(),
            _ => break,
        };
    }
    Ok(Value::Bool(false))
}

fn memq(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    find_tail("memq", &a[1], |v| v.eqv(&a[0]))
}
fn memv(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    find_tail("memv", &a[1], |v| v.eqv(&a[0]))
}
/// `member` with `equal?`.
pub fn member(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let items = list_items("member", &a[1])?;
    let mut cur = a[1].clone();
    for item in &items {
        if equal(&mut ctx.budget, &a[0], item)? {
            return Ok(cur);
        }
        if let Value::Pair(p) = &cur {
            let next = p.cdr();
            cur = next;
        }
    }
    Ok(Value::Bool(false))
}

fn assoc_by(
    who: &str,
    key: &Value,
    alist: &Value,
    mut same: impl FnMut(&Value, &Value) -> Result<bool>,
) -> Result<Value> {
    for entry in list_items(who, alist)? {
        let p = pair(who, &entry)?;
        if same(key, &p.car())? {
            return Ok(entry);
        }
    }
    Ok(Value::Bool(false))
}
fn assq(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    assoc_by("assq", &a[0], &a[1], |x, y| Ok(x.eqv(y)))
}
fn assv(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    assoc_by("assv", &a[0], &a[1], |x, y| Ok(x.eqv(y)))
}
/// `assoc` with `equal?`.
pub fn assoc(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    assoc_by("assoc", &a[0], &a[1], |x, y| equal(&mut ctx.budget, x, y))
}

fn is_null(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(a[0], Value::Nil)))
}
fn is_pair(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(a[0], Value::Pair(_))))
}
fn is_list(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Bool(list_items("list?", &a[0]).is_ok()))
}
