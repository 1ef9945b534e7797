//! The built-in procedures, grouped by what they work on, and the helpers they share.

mod control;
mod equality;
mod io;
mod lists;
mod more;
mod numbers;
mod ports;
pub mod records;
mod text;
mod vectors;

pub use control::{error_object, uncaught};
pub use equality::equal;
pub use lists::{assoc, member};

use super::ctx::Ctx;
use super::error::{Result, SchemeError};
use super::gc::Gc;
use super::globals::Globals;
use super::printer::repr;
use super::value::{Pair, Value};

/// The Rust function behind a primitive.
pub type PrimFn = fn(&mut Ctx, &[Value]) -> Result<Value>;

/// How a primitive runs.
pub enum PrimKind {
    /// A plain function of its arguments.
    Fn(PrimFn),
    /// `apply`: the machine spreads the last argument and calls the first.
    Apply,
    /// `map` (`true`: collect results) or `for-each` (`false`): the machine calls the
    /// procedure itself, so that calls made from a map are proper machine calls.
    Map(bool),
    /// `vector-map` / `vector-for-each`.
    VectorMap(bool),
    /// `member` (`false`) and `assoc` (`true`), which call their predicate argument.
    Search(bool),
    /// `string-map` / `string-for-each`.
    StringMap(bool),
    /// `call-with-values`.
    CallWithValues,
    /// `dynamic-wind`.
    DynamicWind,
    /// `call/cc`.
    CallCc,
    /// `with-exception-handler`.
    WithHandler,
    /// `raise` (`false`) or `raise-continuable` (`true`).
    Raise(bool),
    /// `force`.
    Force,
    /// `make-parameter`.
    MakeParameter,
    /// A parameter's converter applied to a value (for `parameterize`).
    ParamConvert,
}

/// A built-in procedure.
pub struct Primitive {
    /// Its name.
    pub name: &'static str,
    /// Fewest arguments accepted.
    pub min: usize,
    /// Most arguments accepted (`usize::MAX`: any number).
    pub max: usize,
    /// What it does.
    pub kind: PrimKind,
}

/// Any number of arguments.
pub const MANY: usize = usize::MAX;

/// A plain primitive.
pub const fn prim(name: &'static str, min: usize, max: usize, f: PrimFn) -> Primitive {
    Primitive {
        name,
        min,
        max,
        kind: PrimKind::Fn(f),
    }
}

/// Primitives bound to global names.
static TABLES: &[&[Primitive]] = &[
    numbers::PRIMITIVES,
    lists::PRIMITIVES,
    text::PRIMITIVES,
    vectors::PRIMITIVES,
    equality::PRIMITIVES,
    io::PRIMITIVES,
    records::PRIMITIVES,
    control::PRIMITIVES,
    more::PRIMITIVES,
    ports::PRIMITIVES,
];

/// Primitives only the compiler's expansions call (a program cannot rebind them).
static INTERNAL: &[Primitive] = &[
    prim("cons", 2, 2, lists::cons),
    prim("append2", 2, 2, lists::append2),
    prim("list->vector", 1, 1, vectors::list_to_vector),
    prim("make-record-type", 2, 2, records::make_record_type),
    prim("record-constructor", 2, 2, records::record_constructor),
    prim("record-predicate", 1, 1, records::record_predicate),
    prim("record-accessor", 2, 2, records::record_accessor),
    prim("record-modifier", 2, 2, records::record_modifier),
];

/// The internal primitive called `name`.
pub fn internal(name: &str) -> Option<&'static Primitive> {
    INTERNAL
        .iter()
        .chain(control::INTERNAL)
        .find(|p| p.name == name)
}

/// The names of every primitive bound to a global.
#[cfg(test)]
pub fn names() -> Vec<&'static str> {
    TABLES
        .iter()
        .flat_map(|t| t.iter().map(|p| p.name))
        .collect()
}

/// Binds every primitive to its global name.
pub fn install(globals: &mut Globals) {
    for table in TABLES {
        for p in table.iter() {
            globals.define(p.name, Value::Primitive(p));
        }
    }
}

impl Primitive {
    /// Whether `argc` arguments are acceptable.
    pub fn accepts(&self, argc: usize) -> bool {
        argc >= self.min && argc <= self.max
    }

    /// The "expected" part of an arity message.
    pub fn arity(&self) -> String {
        match (self.min, self.max) {
            (a, b) if a == b => format!("{a}"),
            (a, MANY) => format!("at least {a}"),
            (a, b) => format!("{a} to {b}"),
        }
    }
}

/// A type error: "`who`: expected `what`, got `v`".
pub fn wrong_type(who: &str, what: &str, v: &Value) -> SchemeError {
    SchemeError::new(format!("{who}: expected {what}, got {}", repr(v)))
}

/// The argument as a pair.
pub fn pair<'v>(who: &str, v: &'v Value) -> Result<&'v Gc<Pair>> {
    match v {
        Value::Pair(p) => Ok(p),
        _ => Err(wrong_type(who, "a pair", v)),
    }
}

/// The argument as an exact integer.
pub fn int(who: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        _ => Err(wrong_type(who, "an exact integer", v)),
    }
}

/// The argument as an index (a non-negative exact integer).
pub fn index(who: &str, v: &Value) -> Result<usize> {
    match v {
        Value::Int(i) if *i >= 0 => Ok(*i as usize),
        _ => Err(wrong_type(who, "a non-negative exact integer", v)),
    }
}

/// The argument as a string.
pub fn string<'v>(who: &str, v: &'v Value) -> Result<StrRef<'v>> {
    match v {
        Value::Str(s) | Value::AStr(s) => Ok(StrRef::Fixed(s)),
        Value::MStr(m) => Ok(StrRef::Mutable(m.text())),
        _ => Err(wrong_type(who, "a string", v)),
    }
}

/// The text of a string argument, immutable or mutable (borrowed for as long as it lives).
pub enum StrRef<'v> {
    /// An immutable string.
    Fixed(&'v crate::scheme::gc::GcStr),
    /// A mutable string, borrowed.
    Mutable(crate::scheme::gc::GcRef<'v, String>),
}

impl std::ops::Deref for StrRef<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            StrRef::Fixed(s) => s,
            StrRef::Mutable(s) => s.as_str(),
        }
    }
}

/// The length of a proper list, with `list_items`'s errors for circular and improper ones,
/// counted without collecting the items.
pub fn list_count(who: &str, list: &Value) -> Result<usize> {
    let mut n = 0usize;
    walk_list(who, list, |_| n += 1)?;
    Ok(n)
}

/// The items of a proper list (an error for improper or circular lists).
pub fn list_items(who: &str, list: &Value) -> Result<Vec<Value>> {
    let mut items = Vec::new();
    walk_list(who, list, |pair| items.push(pair.car()))?;
    Ok(items)
}

/// Calls `visit` on each pair of a proper list, in order; an error for an improper list, and
/// for a circular one (Floyd's check: a second cursor advances every other step).
fn walk_list(who: &str, list: &Value, mut visit: impl FnMut(&Gc<Pair>)) -> Result<()> {
    let mut n = 0usize;
    let mut slow = list.clone();
    let mut cur = list.clone();
    loop {
        match cur {
            Value::Nil => return Ok(()),
            Value::Pair(p) => {
                visit(&p);
                n += 1;
                cur = p.cdr();
                if n % 2 == 0 {
                    if let Value::Pair(s) = &slow {
                        let next = s.cdr();
                        slow = next;
                    }
                    if let (Value::Pair(a), Value::Pair(b)) = (&slow, &cur) {
                        if Gc::ptr_eq(a, b) {
                            return Err(SchemeError::new(format!("{who}: circular list")));
                        }
                    }
                }
            }
            _ => return Err(wrong_type(who, "a proper list", list)),
        }
    }
}
