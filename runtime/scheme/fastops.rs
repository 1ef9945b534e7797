//! Inline versions of the primitives programs call most, for the common argument types.
//!
//! A call of a global such as `car` or `+` compiles to [`Op::Fast`](super::bytecode::Op):
//! while the global still holds the primitive the interpreter installed (a program may
//! rebind it), the machine computes the result here without a call; for any other
//! arguments (a flonum, a non-pair, an overflow) it calls the primitive itself, so results
//! and error messages are exactly the primitive's.

use super::ctx::Ctx;
use super::error::Result;
use super::machine::Machine;
use super::value::Value;

/// A primitive with an inline case, with its number of arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastOp {
    /// `(car p)`
    Car,
    /// `(cdr p)`
    Cdr,
    /// `(null? v)`
    IsNull,
    /// `(pair? v)`
    IsPair,
    /// `(not v)`
    Not,
    /// `(eq? a b)` / `(eqv? a b)`
    Eqv,
    /// `(zero? n)`
    IsZero,
    /// `(+ a b)`
    Add,
    /// `(+ a b c)` (inline on three fixnums, summed left to right as the primitive does)
    Add3,
    /// `(- a b)`
    Sub,
    /// `(* a b)`
    Mul,
    /// `(= a b)`
    NumEq,
    /// `(< a b)`
    Lt,
    /// `(> a b)`
    Gt,
    /// `(<= a b)`
    Le,
    /// `(>= a b)`
    Ge,
    /// `(vector-ref v i)`
    VectorRef,
    /// `(cons a b)`
    Cons,
    /// `(vector-set! v i x)`
    VectorSet,
    /// `(string-ref s i)` (inline on an ASCII string, O(1); on another while the prefix up to
    /// `i` is ASCII)
    StringRef,
    /// `(string-length s)` (inline for a mutable or an ASCII string)
    StringLength,
    /// `(char->integer c)`
    CharToInteger,
}

impl FastOp {
    /// The inline operation for a call of global `name` with `argc` arguments.
    pub fn lookup(name: &str, argc: usize) -> Option<FastOp> {
        Some(match (name, argc) {
            ("car", 1) => FastOp::Car,
            ("cdr", 1) => FastOp::Cdr,
            ("null?", 1) => FastOp::IsNull,
            ("pair?", 1) => FastOp::IsPair,
            ("not", 1) => FastOp::Not,
            ("eq?" | "eqv?", 2) => FastOp::Eqv,
            ("zero?", 1) => FastOp::IsZero,
            ("+", 2) => FastOp::Add,
            ("+", 3) => FastOp::Add3,
            ("-", 2) => FastOp::Sub,
            ("*", 2) => FastOp::Mul,
            ("=", 2) => FastOp::NumEq,
            ("<", 2) => FastOp::Lt,
            (">", 2) => FastOp::Gt,
            ("<=", 2) => FastOp::Le,
            (">=", 2) => FastOp::Ge,
            ("vector-ref", 2) => FastOp::VectorRef,
            ("cons", 2) => FastOp::Cons,
            ("vector-set!", 3) => FastOp::VectorSet,
            ("string-ref", 2) => FastOp::StringRef,
            ("string-length", 1) => FastOp::StringLength,
            ("char->integer", 1) => FastOp::CharToInteger,
            _ => return None,
        })
    }

    /// Whether it is an operation on two fixnums that [`int2`](Self::int2) computes.
    pub fn is_int2(self) -> bool {
        matches!(
            self,
            FastOp::Add
                | FastOp::Sub
                | FastOp::Mul
                | FastOp::NumEq
                | FastOp::Lt
                | FastOp::Gt
                | FastOp::Le
                | FastOp::Ge
        )
    }

    /// The result on two fixnums (`None` on overflow or for another operation).
    #[inline(always)]
    pub fn int2(self, a: i64, b: i64) -> Option<Value> {
        Some(match self {
            FastOp::Add => Value::Int(a.checked_add(b)?),
            FastOp::Sub => Value::Int(a.checked_sub(b)?),
            FastOp::Mul => Value::Int(a.checked_mul(b)?),
            _ => Value::Bool(self.int_test(a, b)?),
        })
    }

    /// A comparison of two fixnums (`None` for another operation).
    #[inline(always)]
    pub fn int_test(self, a: i64, b: i64) -> Option<bool> {
        Some(match self {
            FastOp::NumEq => a == b,
            FastOp::Lt => a < b,
            FastOp::Gt => a > b,
            FastOp::Le => a <= b,
            FastOp::Ge => a >= b,
            _ => return None,
        })
    }

    /// How many arguments it takes.
    pub fn argc(self) -> usize {
        match self {
            FastOp::Car
            | FastOp::Cdr
            | FastOp::IsNull
            | FastOp::IsPair
            | FastOp::Not
            | FastOp::IsZero
            | FastOp::StringLength
            | FastOp::CharToInteger => 1,
            FastOp::VectorSet | FastOp::Add3 => 3,
            _ => 2,
        }
    }

    /// For a predicate, its answer on `args` when the inline case applies (the machine
    /// branches on it without making a boolean value); `None` otherwise.
    #[inline(always)]
    pub fn test(self, args: &[Value]) -> Option<bool> {
        let int2 = || match args {
            [Value::Int(a), Value::Int(b)] => Some((*a, *b)),
            _ => None,
        };
        Some(match self {
            FastOp::IsNull => matches!(args, [Value::Nil]),
            FastOp::IsPair => matches!(args, [Value::Pair(_)]),
            FastOp::Not => matches!(args, [Value::Bool(false)]),
            FastOp::Eqv => match args {
                [a, b] => a.eqv(b),
                _ => return None,
            },
            FastOp::IsZero => match args {
                [Value::Int(i)] => *i == 0,
                _ => return None,
            },
            FastOp::NumEq => int2().map(|(a, b)| a == b)?,
            FastOp::Lt => int2().map(|(a, b)| a < b)?,
            FastOp::Gt => int2().map(|(a, b)| a > b)?,
            FastOp::Le => int2().map(|(a, b)| a <= b)?,
            FastOp::Ge => int2().map(|(a, b)| a >= b)?,
            _ => return None,
        })
    }

    /// Whether the machine's `fast_test` has an inline case for this operation on the
    /// stack.
    pub fn tests_on_stack(self) -> bool {
        matches!(
            self,
            FastOp::IsNull
                | FastOp::IsPair
                | FastOp::Not
                | FastOp::IsZero
                | FastOp::Eqv
                | FastOp::NumEq
                | FastOp::Lt
                | FastOp::Gt
                | FastOp::Le
                | FastOp::Ge
        )
    }

    /// Whether [`test`](Self::test) can answer for this operation.
    pub fn is_predicate(self) -> bool {
        !matches!(
            self,
            FastOp::Car
                | FastOp::Cdr
                | FastOp::Add
                | FastOp::Add3
                | FastOp::Sub
                | FastOp::Mul
                | FastOp::VectorRef
                | FastOp::Cons
                | FastOp::VectorSet
                | FastOp::StringRef
                | FastOp::StringLength
                | FastOp::CharToInteger
        )
    }

    /// Replaces the `argc` topmost values of `stack` (from `at`) by the result, when the
    /// inline case applies; `false` means "call the primitive". The result is written in
    /// place: moving a freshly made value through a temporary costs store-forwarding stalls.
    #[inline(always)]
    pub fn run_into(self, ctx: &Ctx, stack: &mut Vec<Value>, at: usize) -> bool {
        if let Some(b) = self.test(&stack[at..]) {
            put_result(stack, at, Value::Bool(b));
            return true;
        }
        match self.run(ctx, &stack[at..]) {
            Some(v) => {
                put_result(stack, at, v);
                true
            }
            None => false,
        }
    }

    /// The result for `args` when the inline case applies; `None` means "call the primitive".
    #[inline(always)]
    pub fn run(self, ctx: &Ctx, args: &[Value]) -> Option<Value> {
        let int2 = || match args {
            [Value::Int(a), Value::Int(b)] => Some((*a, *b)),
            _ => None,
        };
        Some(match self {
            FastOp::Car => match args {
                [Value::Pair(p)] => p.car(),
                _ => return None,
            },
            FastOp::Cdr => match args {
                [Value::Pair(p)] => p.cdr(),
                _ => return None,
            },
            FastOp::IsNull => Value::Bool(matches!(args, [Value::Nil])),
            FastOp::IsPair => Value::Bool(matches!(args, [Value::Pair(_)])),
            FastOp::Not => Value::Bool(matches!(args, [Value::Bool(false)])),
            FastOp::Eqv => match args {
                [a, b] => Value::Bool(a.eqv(b)),
                _ => return None,
            },
            FastOp::IsZero => match args {
                [Value::Int(i)] => Value::Bool(*i == 0),
                _ => return None,
            },
            FastOp::Add => int2().and_then(|(a, b)| a.checked_add(b)).map(Value::Int)?,
            FastOp::Add3 => match args {
                [Value::Int(a), Value::Int(b), Value::Int(c)] => {
                    Value::Int(a.checked_add(*b)?.checked_add(*c)?)
                }
                _ => return None,
            },
            FastOp::Sub => int2().and_then(|(a, b)| a.checked_sub(b)).map(Value::Int)?,
            FastOp::Mul => int2().and_then(|(a, b)| a.checked_mul(b)).map(Value::Int)?,
            FastOp::NumEq => int2().map(|(a, b)| Value::Bool(a == b))?,
            FastOp::Lt => int2().map(|(a, b)| Value::Bool(a < b))?,
            FastOp::Gt => int2().map(|(a, b)| Value::Bool(a > b))?,
            FastOp::Le => int2().map(|(a, b)| Value::Bool(a <= b))?,
            FastOp::Ge => int2().map(|(a, b)| Value::Bool(a >= b))?,
            FastOp::VectorRef => match args {
                [Value::Vector(v), Value::Int(i)] => {
                    usize::try_from(*i).ok().and_then(|i| v.get(i))?.get()
                }
                _ => return None,
            },
            FastOp::VectorSet => match args {
                [Value::Vector(v), Value::Int(i), x] => {
                    usize::try_from(*i)
                        .ok()
                        .and_then(|i| v.get(i))?
                        .set(x.clone());
                    Value::Unspecified
                }
                _ => return None,
            },
            FastOp::StringRef => match args {
                [Value::AStr(s), Value::Int(i)] => {
                    let i = usize::try_from(*i).ok()?;
                    Value::Char(char::from(*s.as_bytes().get(i)?))
                }
                [Value::Str(s), Value::Int(i)] => Value::Char(ascii_at(s, *i)?),
                [Value::MStr(s), Value::Int(i)] => {
                    Value::Char(s.ascii_at(usize::try_from(*i).ok()?)?)
                }
                _ => return None,
            },
            FastOp::StringLength => match args {
                [Value::AStr(s)] => Value::Int(s.len() as i64),
                [Value::MStr(s)] => Value::Int(s.char_count() as i64),
                _ => return None,
            },
            FastOp::CharToInteger => match args {
                [Value::Char(c)] => Value::Int(i64::from(u32::from(*c))),
                _ => return None,
            },
            FastOp::Cons => match args {
                // A failed allocation calls the primitive, which reports it.
                [a, b] => ctx.cons(a.clone(), b.clone()).ok()?,
                _ => return None,
            },
        })
    }
}

/// Character `i` of `s` when every byte up to it is ASCII (then bytes are characters);
/// `None` sends the call to the primitive, which counts characters and reports errors.
#[inline(always)]
pub(super) fn ascii_at(s: &str, i: i64) -> Option<char> {
    let i = usize::try_from(i).ok()?;
    let prefix = s.as_bytes().get(..=i)?;
    prefix.is_ascii().then(|| char::from(prefix[i]))
}

/// The machine's side: running `Fast`, `Fast2`, `FastBranch` and `FastBranch2`.
impl Machine<'_> {
    /// A `Fast` call's inline case: `true` when the global holds its built-in and the case
    /// applied (the result replaced the arguments); `false` to make the call
    /// ([`fast_call`](Self::fast_call)). One `match` on the operation, each arm working on
    /// the top of the stack in place.
    #[inline(always)]
    pub(super) fn fast(&mut self, f: FastOp, id: u32) -> bool {
        if !self.globals.is_builtin(id) {
            return false;
        }
        let stack = &mut self.stack;
        match f {
            FastOp::Car | FastOp::Cdr => {
                let Some(top) = stack.last_mut() else {
                    return false;
                };
                let Value::Pair(p) = top else {
                    return false;
                };
                *top = if f == FastOp::Car { p.car() } else { p.cdr() };
                true
            }
            FastOp::IsNull | FastOp::IsPair | FastOp::Not => {
                let Some(top) = stack.last_mut() else {
                    return false;
                };
                let b = match f {
                    FastOp::IsNull => matches!(top, Value::Nil),
                    FastOp::IsPair => matches!(top, Value::Pair(_)),
                    _ => matches!(top, Value::Bool(false)),
                };
                *top = Value::Bool(b);
                true
            }
            FastOp::Add => int2_in_place(stack, |a, b| a.checked_add(b).map(Value::Int)),
            FastOp::Add3 => {
                let n = stack.len();
                let [.., Value::Int(a), Value::Int(b), Value::Int(c)] = stack[..] else {
                    return false;
                };
                let Some(sum) = a.checked_add(b).and_then(|s| s.checked_add(c)) else {
                    return false;
                };
                stack[n - 3] = Value::Int(sum);
                stack.truncate(n - 2);
                true
            }
            FastOp::Sub => int2_in_place(stack, |a, b| a.checked_sub(b).map(Value::Int)),
            FastOp::Mul => int2_in_place(stack, |a, b| a.checked_mul(b).map(Value::Int)),
            FastOp::NumEq => int2_in_place(stack, |a, b| Some(Value::Bool(a == b))),
            FastOp::Lt => int2_in_place(stack, |a, b| Some(Value::Bool(a < b))),
            FastOp::Gt => int2_in_place(stack, |a, b| Some(Value::Bool(a > b))),
            FastOp::Le => int2_in_place(stack, |a, b| Some(Value::Bool(a <= b))),
            FastOp::Ge => int2_in_place(stack, |a, b| Some(Value::Bool(a >= b))),
            FastOp::Cons => {
                let n = stack.len();
                let [.., a, b] = &stack[..] else {
                    return false;
                };
                // A failed allocation calls the primitive, which reports it.
                let Ok(pair) = self.ctx.cons(a.clone(), b.clone()) else {
                    return false;
                };
                stack.truncate(n - 1);
                stack[n - 2] = pair;
                true
            }
            FastOp::VectorRef => {
                let n = stack.len();
                let [.., Value::Vector(v), Value::Int(i)] = &stack[..] else {
                    return false;
                };
                let Some(slot) = usize::try_from(*i).ok().and_then(|i| v.get(i)) else {
                    return false;
                };
                let x = slot.get();
                stack.truncate(n - 1);
                stack[n - 2] = x;
                true
            }
            FastOp::VectorSet => {
                let n = stack.len();
                let [.., Value::Vector(v), Value::Int(i), x] = &stack[..] else {
                    return false;
                };
                let Some(slot) = usize::try_from(*i).ok().and_then(|i| v.get(i)) else {
                    return false;
                };
                slot.set(x.clone());
                stack.truncate(n - 2);
                stack[n - 3] = Value::Unspecified;
                true
            }
            _ => {
                let at = stack.len() - f.argc();
                f.run_into(self.ctx, stack, at)
            }
        }
    }

    /// A `FastBranch`'s inline case: the answer of the test on the arguments on the stack
    /// (popped), or `None` to make the call ([`fast_call`](Self::fast_call)).
    #[inline(always)]
    pub(super) fn fast_test(&mut self, f: FastOp, id: u32) -> Option<bool> {
        if !self.globals.is_builtin(id) {
            return None;
        }
        let stack = &mut self.stack;
        let (b, argc) = match (f, &stack[..]) {
            (FastOp::IsNull, [.., v]) => (matches!(v, Value::Nil), 1),
            (FastOp::IsPair, [.., v]) => (matches!(v, Value::Pair(_)), 1),
            (FastOp::Not, [.., v]) => (matches!(v, Value::Bool(false)), 1),
            (FastOp::IsZero, [.., Value::Int(i)]) => (*i == 0, 1),
            (FastOp::Eqv, [.., a, b]) => (a.eqv(b), 2),
            (FastOp::NumEq, [.., Value::Int(a), Value::Int(b)]) => (a == b, 2),
            (FastOp::Lt, [.., Value::Int(a), Value::Int(b)]) => (a < b, 2),
            (FastOp::Gt, [.., Value::Int(a), Value::Int(b)]) => (a > b, 2),
            (FastOp::Le, [.., Value::Int(a), Value::Int(b)]) => (a <= b, 2),
            (FastOp::Ge, [.., Value::Int(a), Value::Int(b)]) => (a >= b, 2),
            _ => return None,
        };
        stack.truncate(stack.len() - argc);
        Some(b)
    }

    /// Calls global `id` on the arguments of a fast instruction whose inline case did not
    /// apply (`self.pc` must be the instruction after it).
    #[inline(never)]
    pub(super) fn fast_call(&mut self, f: FastOp, id: u32) -> Result<()> {
        self.ctx.budget.tick()?;
        let argc = f.argc();
        let at = self.stack.len() - argc;
        let g = self.global(id)?;
        self.call(g, argc, at, false)
    }
}

/// Replaces the two topmost values, when both are fixnums, by `f` of them, when `f` gives a
/// value (they are plain data: nothing to drop).
#[inline(always)]
fn int2_in_place(stack: &mut Vec<Value>, f: impl FnOnce(i64, i64) -> Option<Value>) -> bool {
    let n = stack.len();
    let [.., Value::Int(a), Value::Int(b)] = stack[..] else {
        return false;
    };
    let Some(v) = f(a, b) else {
        return false;
    };
    stack[n - 2] = v;
    stack.truncate(n - 1);
    true
}

/// Puts `v` at `at` and drops everything above it: over the first argument when there is one,
/// so no capacity check (a `truncate` then `push` kept an out-of-line `push` on the path).
#[inline(always)]
pub(super) fn put_result(stack: &mut Vec<Value>, at: usize, v: Value) {
    match stack.get_mut(at) {
        Some(first) => {
            *first = v;
            stack.truncate(at + 1);
        }
        None => stack.push(v),
    }
}
