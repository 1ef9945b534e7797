//! Numbers: exact 64-bit integers (overflow is an error, never a wrap) and flonums.

use super::{int, prim, wrong_type, Primitive, MANY};
use crate::scheme::atoms::parse_number;
use crate::scheme::ctx::{give_string, take_string, Ctx};
use crate::scheme::error::{bail, Result, SchemeError};
use crate::scheme::printer::format_float;
use crate::scheme::reader::Datum;
use crate::scheme::value::Value;

pub static PRIMITIVES: &[Primitive] = &[
    prim("+", 0, MANY, add),
    prim("-", 1, MANY, sub),
    prim("*", 0, MANY, mul),
    prim("/", 1, MANY, div),
    prim("=", 1, MANY, num_eq),
    prim("<", 1, MANY, lt),
    prim(">", 1, MANY, gt),
    prim("<=", 1, MANY, le),
    prim(">=", 1, MANY, ge),
    prim("quotient", 2, 2, quotient),
    prim("remainder", 2, 2, remainder),
    prim("modulo", 2, 2, modulo),
    prim("abs", 1, 1, abs),
    prim("min", 1, MANY, min),
    prim("max", 1, MANY, max),
    prim("zero?", 1, 1, is_zero),
    prim("positive?", 1, 1, is_positive),
    prim("negative?", 1, 1, is_negative),
    prim("even?", 1, 1, is_even),
    prim("odd?", 1, 1, is_odd),
    prim("number?", 1, 1, is_number),
    prim("real?", 1, 1, is_number),
    prim("integer?", 1, 1, is_integer),
    prim("exact?", 1, 1, is_exact),
    prim("inexact?", 1, 1, is_inexact),
    prim("exact-integer?", 1, 1, is_exact),
    prim("exact->inexact", 1, 1, inexact),
    prim("inexact", 1, 1, inexact),
    prim("inexact->exact", 1, 1, exact),
    prim("exact", 1, 1, exact),
    prim("floor", 1, 1, floor),
    prim("ceiling", 1, 1, ceiling),
    prim("round", 1, 1, round),
    prim("truncate", 1, 1, truncate),
    prim("sqrt", 1, 1, sqrt),
    prim("expt", 2, 2, expt),
    prim("exp", 1, 1, exp),
    prim("log", 1, 1, log),
    prim("sin", 1, 1, sin),
    prim("cos", 1, 1, cos),
    prim("tan", 1, 1, tan),
    prim("atan", 1, 2, atan),
    prim("square", 1, 1, square),
    prim("gcd", 0, MANY, gcd),
    prim("lcm", 0, MANY, lcm),
    prim("number->string", 1, 2, number_to_string),
    prim("string->number", 1, 2, string_to_number),
];

/// A number, classified.
#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

fn num(who: &str, v: &Value) -> Result<Num> {
    match v {
        Value::Int(i) => Ok(Num::I(*i)),
        Value::Float(f) => Ok(Num::F(*f)),
        _ => Err(wrong_type(who, "a number", v)),
    }
}

fn float(who: &str, v: &Value) -> Result<f64> {
    Ok(match num(who, v)? {
        Num::I(i) => i as f64,
        Num::F(f) => f,
    })
}

fn overflow(who: &str) -> SchemeError {
    SchemeError::new(format!("{who}: integer overflow"))
}

fn to_value(n: Num) -> Value {
    match n {
        Num::I(i) => Value::Int(i),
        Num::F(f) => Value::Float(f),
    }
}

/// Folds `args` with an exact operation (checked) and an inexact one.
fn fold(
    who: &str,
    init: Num,
    args: &[Value],
    exact: fn(i64, i64) -> Option<i64>,
    inexact: fn(f64, f64) -> f64,
) -> Result<Value> {
    let mut acc = init;
    for a in args {
        acc = match (acc, num(who, a)?) {
            (Num::I(x), Num::I(y)) => Num::I(exact(x, y).ok_or_else(|| overflow(who))?),
            (Num::I(x), Num::F(y)) => Num::F(inexact(x as f64, y)),
            (Num::F(x), Num::I(y)) => Num::F(inexact(x, y as f64)),
            (Num::F(x), Num::F(y)) => Num::F(inexact(x, y)),
        };
    }
    Ok(to_value(acc))
}

fn add(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    if let [Value::Int(a), Value::Int(b)] = args {
        return a
            .checked_add(*b)
            .map(Value::Int)
            .ok_or_else(|| overflow("+"));
    }
    fold("+", Num::I(0), args, i64::checked_add, |a, b| a + b)
}

fn mul(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    fold("*", Num::I(1), args, i64::checked_mul, |a, b| a * b)
}

fn sub(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    match args {
        [Value::Int(a), Value::Int(b)] => a
            .checked_sub(*b)
            .map(Value::Int)
            .ok_or_else(|| overflow("-")),
        [x] => match num("-", x)? {
            Num::I(i) => i.checked_neg().map(Value::Int).ok_or_else(|| overflow("-")),
            Num::F(f) => Ok(Value::Float(-f)),
        },
        [first, rest @ ..] => fold("-", num("-", first)?, rest, i64::checked_sub, |a, b| a - b),
        [] => bail!("-: expected at least 1 argument"),
    }
}

fn div(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    let (mut acc, rest) = match args {
        [x] => (Num::I(1), std::slice::from_ref(x)),
        [first, rest @ ..] => (num("/", first)?, rest),
        [] => bail!("/: expected at least 1 argument"),
    };
    for a in rest {
        acc = match (acc, num("/", a)?) {
            (Num::I(_), Num::I(0)) => bail!("/: division by zero"),
            (Num::I(x), Num::I(y)) => match (x.checked_rem(y), x.checked_div(y)) {
                (Some(0), Some(q)) => Num::I(q),
                (Some(_), _) => Num::F(x as f64 / y as f64),
                _ => return Err(overflow("/")),
            },
            (Num::I(x), Num::F(y)) => Num::F(x as f64 / y),
            (Num::F(x), Num::I(y)) => Num::F(x / y as f64),
            (Num::F(x), Num::F(y)) => Num::F(x / y),
        };
    }
    Ok(to_value(acc))
}

fn compare(who: &str, args: &[Value], ok: fn(std::cmp::Ordering) -> bool) -> Result<Value> {
    let mut result = true;
    for w in args.windows(2) {
        let ord = match (num(who, &w[0])?, num(who, &w[1])?) {
            (Num::I(a), Num::I(b)) => Some(a.cmp(&b)),
            (a, b) => {
                let (a, b) = (as_f64(a), as_f64(b));
                a.partial_cmp(&b)
            }
        };
        if !ord.is_some_and(ok) {
            result = false;
        }
    }
    if args.len() == 1 {
        num(who, &args[0])?;
    }
    Ok(Value::Bool(result))
}

fn as_f64(n: Num) -> f64 {
    match n {
        Num::I(i) => i as f64,
        Num::F(f) => f,
    }
}

fn num_eq(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    if let [Value::Int(a), Value::Int(b)] = args {
        return Ok(Value::Bool(a == b));
    }
    compare("=", args, |o| o.is_eq())
}
fn lt(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    if let [Value::Int(a), Value::Int(b)] = args {
        return Ok(Value::Bool(a < b));
    }
    compare("<", args, |o| o.is_lt())
}
fn gt(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    compare(">", args, |o| o.is_gt())
}
fn le(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    compare("<=", args, |o| o.is_le())
}
fn ge(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    compare(">=", args, |o| o.is_ge())
}

fn int_div(who: &str, args: &[Value], op: fn(i64, i64) -> Option<i64>) -> Result<Value> {
    let (a, b) = (int(who, &args[0])?, int(who, &args[1])?);
    if b == 0 {
        bail!("{who}: division by zero");
    }
    op(a, b).map(Value::Int).ok_or_else(|| overflow(who))
}

fn quotient(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    int_div("quotient", args, i64::checked_div)
}
fn remainder(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    int_div("remainder", args, i64::checked_rem)
}
fn modulo(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    int_div("modulo", args, |a, b| {
        let r = a.checked_rem(b)?;
        Some(if r != 0 && (r < 0) != (b < 0) {
            r + b
        } else {
            r
        })
    })
}

fn abs(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    match num("abs", &args[0])? {
        Num::I(i) => i
            .checked_abs()
            .map(Value::Int)
            .ok_or_else(|| overflow("abs")),
        Num::F(f) => Ok(Value::Float(f.abs())),
    }
}

fn extremum(who: &str, args: &[Value], pick_second: fn(f64, f64) -> bool) -> Result<Value> {
    let mut best = num(who, &args[0])?;
    let mut inexact = matches!(best, Num::F(_));
    for a in &args[1..] {
        let n = num(who, a)?;
        inexact |= matches!(n, Num::F(_));
        if pick_second(as_f64(best), as_f64(n)) {
            best = n;
        }
    }
    Ok(if inexact {
        Value::Float(as_f64(best))
    } else {
        to_value(best)
    })
}

fn min(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    extremum("min", args, |a, b| b < a)
}
fn max(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    extremum("max", args, |a, b| b > a)
}

fn sign(who: &str, v: &Value) -> Result<f64> {
    float(who, v)
}
fn is_zero(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(Value::Bool(sign("zero?", &args[0])? == 0.0))
}
fn is_positive(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(Value::Bool(sign("positive?", &args[0])? > 0.0))
}
fn is_negative(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(Value::Bool(sign("negative?", &args[0])? < 0.0))
}

fn integral(who: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Ok(*f as i64),
        _ => Err(wrong_type(who, "an integer", v)),
    }
}
fn is_even(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(Value::Bool(integral("even?", &args[0])? % 2 == 0))
}
fn is_odd(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(Value::Bool(integral("odd?", &args[0])? % 2 != 0))
}

fn is_number(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(
        args[0],
        Value::Int(_) | Value::Float(_)
    )))
}
fn is_integer(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(Value::Bool(match args[0] {
        Value::Int(_) => true,
        Value::Float(f) => f.is_finite() && f.fract() == 0.0,
        _ => false,
    }))
}
fn is_exact(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(args[0], Value::Int(_))))
}
fn is_inexact(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(Value::Bool(matches!(args[0], Value::Float(_))))
}

fn inexact(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    Ok(Value::Float(float("inexact", &args[0])?))
}

fn exact(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    match num("exact", &args[0])? {
        Num::I(i) => Ok(Value::Int(i)),
        Num::F(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(Value::Int(f as i64)),
        Num::F(f) => bail!("exact: {f} has no exact integer value"),
    }
}

fn rounding(who: &str, v: &Value, op: fn(f64) -> f64) -> Result<Value> {
    Ok(match num(who, v)? {
        Num::I(i) => Value::Int(i),
        Num::F(f) => Value::Float(op(f)),
    })
}
fn floor(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    rounding("floor", &args[0], f64::floor)
}
fn ceiling(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    rounding("ceiling", &args[0], f64::ceil)
}
fn round(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    rounding("round", &args[0], f64::round_ties_even)
}
fn truncate(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    rounding("truncate", &args[0], f64::trunc)
}

fn sqrt(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    match num("sqrt", &args[0])? {
        Num::I(i) if i < 0 => {
            bail!("sqrt: negative argument {i} (complex numbers are not supported)")
        }
        Num::I(i) => {
            let r = (i as f64).sqrt() as i64;
            // Correct the float estimate so perfect squares stay exact.
            for c in [r - 1, r, r + 1] {
                if c >= 0 && c.checked_mul(c) == Some(i) {
                    return Ok(Value::Int(c));
                }
            }
            Ok(Value::Float((i as f64).sqrt()))
        }
        Num::F(f) => Ok(Value::Float(f.sqrt())),
    }
}

fn expt(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    match (num("expt", &args[0])?, num("expt", &args[1])?) {
        (Num::I(b), Num::I(e)) if e >= 0 => {
            let e = u32::try_from(e).map_err(|_| overflow("expt"))?;
            b.checked_pow(e)
                .map(Value::Int)
                .ok_or_else(|| overflow("expt"))
        }
        (b, e) => Ok(Value::Float(as_f64(b).powf(as_f64(e)))),
    }
}

fn unary(who: &str, v: &Value, op: fn(f64) -> f64) -> Result<Value> {
    Ok(Value::Float(op(float(who, v)?)))
}
fn exp(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    unary("exp", &a[0], f64::exp)
}
fn log(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    unary("log", &a[0], f64::ln)
}
fn sin(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    unary("sin", &a[0], f64::sin)
}
fn cos(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    unary("cos", &a[0], f64::cos)
}
fn tan(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    unary("tan", &a[0], f64::tan)
}
fn atan(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    match a {
        [y, x] => Ok(Value::Float(float("atan", y)?.atan2(float("atan", x)?))),
        _ => unary("atan", &a[0], f64::atan),
    }
}
fn square(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    mul(ctx, &[a[0].clone(), a[0].clone()])
}

fn gcd_of(mut a: i64, mut b: i64) -> Option<i64> {
    while b != 0 {
        (a, b) = (b, a.checked_rem(b)?);
    }
    a.checked_abs()
}
fn gcd(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    let mut acc = 0;
    for a in args {
        acc = gcd_of(acc, int("gcd", a)?).ok_or_else(|| overflow("gcd"))?;
    }
    Ok(Value::Int(acc))
}
fn lcm(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    let mut acc: i64 = 1;
    for a in args {
        let n = int("lcm", a)?;
        if n == 0 {
            return Ok(Value::Int(0));
        }
        let g = gcd_of(acc, n).ok_or_else(|| overflow("lcm"))?;
        acc = (acc / g)
            .checked_mul(n)
            .and_then(i64::checked_abs)
            .ok_or_else(|| overflow("lcm"))?;
    }
    Ok(Value::Int(acc))
}

fn radix(who: &str, args: &[Value]) -> Result<u32> {
    match args.get(1) {
        None => Ok(10),
        Some(Value::Int(r @ (2 | 8 | 10 | 16))) => Ok(*r as u32),
        Some(v) => Err(wrong_type(who, "a radix of 2, 8, 10 or 16", v)),
    }
}

fn number_to_string(ctx: &mut Ctx, args: &[Value]) -> Result<Value> {
    let radix = radix("number->string", args)?;
    if let (Value::Int(i), 10) = (&args[0], radix) {
        let mut digits = [0u8; 20];
        return ctx.mstring(decimal(*i, &mut digits));
    }
    let mut buf = take_string();
    match num("number->string", &args[0])? {
        Num::I(i) => {
            use std::fmt::Write;
            let mag = i.unsigned_abs();
            if i < 0 {
                buf.push('-');
            }
            let _ = match radix {
                2 => write!(buf, "{mag:b}"),
                8 => write!(buf, "{mag:o}"),
                16 => write!(buf, "{mag:x}"),
                _ => write!(buf, "{mag}"),
            };
        }
        Num::F(f) => format_float(f, &mut buf),
    }
    // A newly allocated string, mutable as R7RS says (unlike a literal).
    let result = ctx.mstring(&buf);
    give_string(buf);
    result
}

/// The decimal text of `i`, written at the end of `buf` (20 bytes hold `i64::MIN`): the
/// common `number->string` without the formatting machinery of `write!`.
fn decimal(i: i64, buf: &mut [u8; 20]) -> &str {
    let mut mag = i.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (mag % 10) as u8;
        mag /= 10;
        if mag == 0 {
            break;
        }
    }
    if i < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    // Every byte written is an ASCII digit or `-`.
    std::str::from_utf8(&buf[at..]).unwrap_or("")
}

fn string_to_number(_: &mut Ctx, args: &[Value]) -> Result<Value> {
    let s = super::string("string->number", &args[0])?;
    let prefix = match radix("string->number", args)? {
        2 => "#b",
        8 => "#o",
        16 => "#x",
        _ => "",
    };
    let text = format!("{prefix}{}", &*s);
    Ok(match parse_number(&text) {
        Some(Ok(Datum::Int(i))) => Value::Int(i),
        Some(Ok(Datum::Float(f))) => Value::Float(f),
        _ => Value::Bool(false),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimal_writes_what_format_writes() {
        let mut buf = [0u8; 20];
        for i in [
            0,
            7,
            -7,
            9,
            10,
            -10,
            99,
            100,
            12345,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            assert_eq!(super::decimal(i, &mut buf), i.to_string());
        }
        for i in (-100_000..100_000).step_by(7) {
            assert_eq!(super::decimal(i, &mut buf), i.to_string());
        }
    }
}
