//! The value model: what a Scheme value is, and the heap objects behind the boxed ones.
//!
//! Immediate values (booleans, fixnums, flonums, characters, the empty list) are plain Rust
//! data. Everything with identity or mutable state lives on the interpreter's prologue heap
//! and is reached through a `Gc` handle: pairs, strings, symbols, vectors, closures, the
//! cells of assigned variables, records and record types. A `Value` held anywhere
//! on the Rust side (a local, the machine's value stack, a compiled constant) keeps its
//! object alive with no rooting discipline: the collector counts such handles as roots.

use super::error::SchemeError;
use super::gc::{Gc, GcCell, GcRef, GcSlice, GcSlot, GcStr, SlotValue, Trace, Tracer};
use super::objects::Object;
use super::primitives::Primitive;

/// A Scheme value.
///
/// Two words: a tag and one word of payload. `repr(u64)` gives the tag a whole word, so the
/// payload starts 8-byte aligned (with a one-byte tag, the machine's moves of values through
/// results and the stack ran into store-forwarding stalls on the unaligned payload bytes).
/// Strings, symbols and vectors are held by one-word handles ([`GcStr`], [`GcSlice`]) that
/// read their length from the object, so a value fits in two registers: results and
/// `Result<Value>` come back in registers, and a vector slot or a pair field ([`GcSlot`]) is
/// two words.
#[repr(u64)]
pub enum Value {
    /// The empty list `()`.
    Nil,
    /// `#t` / `#f`.
    Bool(bool),
    /// An exact integer; arithmetic that leaves 64 bits is an error.
    Int(i64),
    /// An inexact real.
    Float(f64),
    /// A character.
    Char(char),
    /// What `set!`, `display` and friends return.
    Unspecified,
    /// The value of a variable that has no value yet (a `letrec` or internal `define` read
    /// before it runs); reading it is an error.
    Undefined,
    /// An interned symbol: two symbols with one name share one heap string.
    Symbol(GcStr),
    /// An immutable string (a literal, or what `symbol->string` and `number->string` give)
    /// holding a character outside ASCII.
    Str(GcStr),
    /// An immutable string of ASCII text, so its character `k` is byte `k`
    /// (what [`Ctx::string`](super::ctx::Ctx::string) makes of ASCII text).
    AStr(GcStr),
    /// A mutable string (what `make-string`, `string-copy`, `string-append` and the other
    /// string builders give).
    MStr(Gc<MString>),
    /// A mutable pair.
    Pair(Gc<Pair>),
    /// A fixed-length mutable vector, one heap object holding its slots.
    Vector(GcSlice<Slot>),
    /// A procedure written in Scheme.
    Closure(Gc<Closure>),
    /// A procedure built into the interpreter.
    Primitive(&'static Primitive),
    /// A constructor, predicate, accessor or modifier made by `define-record-type`.
    RecordProc(Gc<RecordProc>),
    /// An instance of a record type.
    Record(Gc<Record>),
    /// The cell of a variable a program `set!`s, or a captured one that gets its value by a
    /// store; it sits in the variable's frame slot and in the closures' captured values,
    /// never visible to programs.
    Cell(Gc<Slot>),
    /// A record type descriptor (the value bound to the type's name).
    RecordType(Gc<RecordType>),
    /// Multiple values, a continuation, a promise, a parameter or a `case-lambda`.
    Object(Gc<Object>),
}

impl Clone for Value {
    /// Inlined for the values the machine copies most (immediates, pairs); the rest go
    /// through one out-of-line match.
    #[inline(always)]
    fn clone(&self) -> Value {
        if self.is_immediate() {
            // SAFETY: an immediate variant holds plain data (no handle, nothing with a
            // `Drop`), so a bitwise copy of the value is its clone; both copies stay valid.
            // `immediates_clone_by_copy_and_handles_count` pins the variants on each side.
            return unsafe { std::ptr::read(self) };
        }
        match self {
            Value::Pair(p) => Value::Pair(p.clone()),
            _ => self.clone_other(),
        }
    }
}

// SAFETY: a value's clone copies plain data or clones one handle (`Value::clone` above and
// `clone_other`): it writes no slot and allocates nothing.
unsafe impl SlotValue for Value {}

impl Value {
    /// Whether it is one of the variants without a handle that precede `Symbol` (one
    /// comparison of the tag).
    #[inline(always)]
    fn is_immediate(&self) -> bool {
        matches!(
            self,
            Value::Nil
                | Value::Bool(_)
                | Value::Int(_)
                | Value::Float(_)
                | Value::Char(_)
                | Value::Unspecified
                | Value::Undefined
        )
    }

    #[inline(never)]
    fn clone_other(&self) -> Value {
        match self {
            Value::Nil => Value::Nil,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            Value::Char(c) => Value::Char(*c),
            Value::Unspecified => Value::Unspecified,
            Value::Undefined => Value::Undefined,
            Value::Symbol(s) => Value::Symbol(s.clone()),
            Value::Str(s) => Value::Str(s.clone()),
            Value::AStr(s) => Value::AStr(s.clone()),
            Value::MStr(s) => Value::MStr(s.clone()),
            Value::Pair(p) => Value::Pair(p.clone()),
            Value::Vector(v) => Value::Vector(v.clone()),
            Value::Closure(c) => Value::Closure(c.clone()),
            Value::Primitive(p) => Value::Primitive(p),
            Value::RecordProc(r) => Value::RecordProc(r.clone()),
            Value::Record(r) => Value::Record(r.clone()),
            Value::Cell(c) => Value::Cell(c.clone()),
            Value::RecordType(r) => Value::RecordType(r.clone()),
            Value::Object(o) => Value::Object(o.clone()),
        }
    }
}

/// A mutable cell of a vector or record; `Clone` copies the current value so slices of
/// slots can be built with `Heap::alloc_slice`.
/// A [`GcSlot`]: no borrow flag, so a slot is the size of a value.
pub struct Slot(pub GcSlot<Value>);

impl Slot {
    /// A slot holding `v`.
    pub fn new(v: Value) -> Slot {
        Slot(GcSlot::new(v))
    }

    /// The current value.
    #[inline(always)]
    pub fn get(&self) -> Value {
        self.0.get()
    }

    /// Replaces the value.
    #[inline]
    pub fn set(&self, v: Value) {
        self.0.set(v);
    }
}

impl Clone for Slot {
    fn clone(&self) -> Slot {
        Slot::new(self.get())
    }
}

/// The text of a mutable string, with its length in characters.
///
/// Every mutation replaces characters by as many characters, so the length in characters is
/// fixed when the string is made; the text is ASCII exactly when that length equals its
/// length in bytes, and then character `k` is byte `k`: `string-ref` and the index lookups of
/// `string-set!` are O(1) on ASCII strings, `string-length` on every one.
pub struct MString {
    text: GcCell<String>,
    chars: usize,
}

impl MString {
    /// A mutable string holding `text`.
    pub fn new(text: String) -> MString {
        // ASCII (what `number->string` and most `string-append`s make) is checked a word at
        // a time; only other text is counted character by character.
        let chars = if text.is_ascii() {
            text.len()
        } else {
            text.chars().count()
        };
        MString {
            text: GcCell::new(text),
            chars,
        }
    }

    /// The text, borrowed.
    pub fn text(&self) -> GcRef<'_, String> {
        self.text.borrow()
    }

    /// Its length in characters.
    pub fn char_count(&self) -> usize {
        self.chars
    }

    /// Character `k` if the text is ASCII (`None` if it is not, or `k` is out of range).
    #[inline(always)]
    pub fn ascii_at(&self, k: usize) -> Option<char> {
        let text = self.text.borrow();
        if text.len() != self.chars {
            return None;
        }
        text.as_bytes().get(k).map(|&b| char::from(b))
    }

    /// Replaces characters `start..end` (`end <= char_count()`) by `with`, which must hold
    /// `end - start` characters (so the length in characters stays). `reserve` is asked for
    /// the new length in bytes first (the heap limit).
    pub fn splice(
        &self,
        start: usize,
        end: usize,
        with: &str,
        reserve: impl FnOnce(usize) -> Result<(), SchemeError>,
    ) -> Result<(), SchemeError> {
        if start > end || end > self.chars || with.chars().count() != end - start {
            return Err(SchemeError::new(
                "internal error: a splice changing a string's length",
            ));
        }
        let mut text = self.text.borrow_mut();
        let (from, to) = if text.len() == self.chars {
            (start, end)
        } else {
            let at = |k: usize| text.char_indices().nth(k).map_or(text.len(), |(i, _)| i);
            (at(start), at(end))
        };
        reserve(text.len() - (to - from) + with.len())?;
        text.replace_range(from..to, with);
        Ok(())
    }
}

// SAFETY: a `String` holds no handle; tracing visits nothing, mutates nothing (rules 1-2).
unsafe impl Trace for MString {
    fn trace(&self, _: &mut Tracer) {}
}

/// A pair: `car` and `cdr`, each mutable.
pub struct Pair {
    /// The first field.
    pub car: GcSlot<Value>,
    /// The second field.
    pub cdr: GcSlot<Value>,
}

impl Pair {
    /// The car.
    #[inline(always)]
    pub fn car(&self) -> Value {
        self.car.get()
    }

    /// The cdr.
    #[inline(always)]
    pub fn cdr(&self) -> Value {
        self.cdr.get()
    }
}

/// A procedure written in Scheme: its code (a prototype of the interpreter's program, which
/// outlives every closure) and the values of the variables it captured (flat closure: a
/// variable that is assigned somewhere is captured as its cell).
pub struct Closure {
    /// Which prototype of the program.
    pub proto: u32,
    /// What a call needs of the prototype, copied into the closure when it is made so that
    /// a call reads it next to the handle it already holds.
    pub shape: Shape,
    /// The captured values, in the order the code generator numbered them.
    pub free: Box<[Value]>,
}

/// What a call of a procedure needs of its prototype (see
/// [`Proto`](super::bytecode::Proto)).
#[derive(Clone, Copy)]
pub struct Shape {
    /// First instruction.
    pub entry: u32,
    /// Required parameters.
    pub required: u16,
    /// Slots of an activation.
    pub frame_size: u16,
    /// Whether extra arguments are collected into a list.
    pub rest: bool,
}

/// A record type made by `define-record-type`.
pub struct RecordType {
    /// The type's name, for printing.
    pub name: GcStr,
    /// Field names, in order.
    pub fields: Vec<GcStr>,
}

/// A record: its type and its field values.
pub struct Record {
    /// The type it is an instance of.
    pub rtype: Gc<RecordType>,
    /// Field values, in the type's field order.
    pub fields: Vec<Slot>,
}

/// The procedures `define-record-type` makes.
pub enum RecordProc {
    /// Makes a record from arguments stored into the listed field indices.
    Constructor {
        /// The type built.
        rtype: Gc<RecordType>,
        /// For each argument, the field it initialises.
        fields: Vec<usize>,
    },
    /// Tests whether a value is a record of this type.
    Predicate(Gc<RecordType>),
    /// Reads one field.
    Accessor(Gc<RecordType>, usize),
    /// Writes one field.
    Modifier(Gc<RecordType>, usize),
}

// SAFETY (for every impl below): each `trace` visits every `Gc` and `GcCell` the value owns,
// exactly once, mutates nothing and depends on nothing but `self` (rules 1-2 of `Trace`);
// no type here holds a handle behind `Rc`/`Arc` (rule 3), and none implements `Drop`.
unsafe impl Trace for Value {
    /// Inlined for the immediates (one comparison of the tag), so tracing a vector of
    /// booleans or fixnums makes no call per element, and for pairs, the handle a pair's or a
    /// list's fields hold most; the rest go through one out-of-line match.
    #[inline(always)]
    fn trace(&self, t: &mut Tracer) {
        if let Value::Pair(p) = self {
            p.trace(t);
        } else if !self.is_immediate() {
            self.trace_other(t);
        }
    }
}

impl Value {
    #[inline(never)]
    fn trace_other(&self, t: &mut Tracer) {
        match self {
            Value::Nil
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::Char(_)
            | Value::Unspecified
            | Value::Undefined
            | Value::Primitive(_) => {}
            Value::Symbol(s) | Value::Str(s) | Value::AStr(s) => s.trace(t),
            Value::MStr(s) => s.trace(t),
            Value::Pair(p) => p.trace(t),
            Value::Vector(v) => v.trace(t),
            Value::Cell(c) => c.trace(t),
            Value::Closure(c) => c.trace(t),
            Value::RecordProc(r) => r.trace(t),
            Value::Record(r) => r.trace(t),
            Value::RecordType(r) => r.trace(t),
            Value::Object(o) => o.trace(t),
        }
    }
}

// SAFETY: see above; the one field is traced.
unsafe impl Trace for Slot {
    #[inline(always)]
    fn trace(&self, t: &mut Tracer) {
        self.0.trace(t);
    }
}

// SAFETY: see above; both fields are traced.
unsafe impl Trace for Pair {
    fn trace(&self, t: &mut Tracer) {
        self.car.trace(t);
        self.cdr.trace(t);
    }
}

// SAFETY: see above; `proto` is an index and holds no handle, every captured value is traced.
unsafe impl Trace for Closure {
    fn trace(&self, t: &mut Tracer) {
        for v in self.free.iter() {
            v.trace(t);
        }
    }
}

// SAFETY: see above; both fields are traced.
unsafe impl Trace for RecordType {
    fn trace(&self, t: &mut Tracer) {
        self.name.trace(t);
        self.fields.trace(t);
    }
}

// SAFETY: see above; both fields are traced.
unsafe impl Trace for Record {
    fn trace(&self, t: &mut Tracer) {
        self.rtype.trace(t);
        self.fields.trace(t);
    }
}

// SAFETY: see above; the type handle of every variant is traced, indices hold no handle.
unsafe impl Trace for RecordProc {
    fn trace(&self, t: &mut Tracer) {
        match self {
            RecordProc::Constructor { rtype, .. } => rtype.trace(t),
            RecordProc::Predicate(r) | RecordProc::Accessor(r, _) | RecordProc::Modifier(r, _) => {
                r.trace(t)
            }
        }
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&super::printer::repr(self))
    }
}

impl Value {
    /// Everything but `#f` is true.
    pub fn is_true(&self) -> bool {
        !matches!(self, Value::Bool(false))
    }

    /// Whether this is a procedure of any kind.
    pub fn is_procedure(&self) -> bool {
        match self {
            Value::Closure(_) | Value::Primitive(_) | Value::RecordProc(_) => true,
            Value::Object(o) => o.is_procedure(),
            _ => false,
        }
    }

    /// `eqv?`: identity for heap objects, value equality for immediates (flonums by bits).
    pub fn eqv(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil)
            | (Value::Unspecified, Value::Unspecified)
            | (Value::Undefined, Value::Undefined) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Char(a), Value::Char(b)) => a == b,
            (Value::Symbol(a), Value::Symbol(b))
            | (Value::Str(a), Value::Str(b))
            | (Value::AStr(a), Value::AStr(b)) => GcStr::ptr_eq(a, b),
            (Value::Pair(a), Value::Pair(b)) => Gc::ptr_eq(a, b),
            (Value::MStr(a), Value::MStr(b)) => Gc::ptr_eq(a, b),
            (Value::Vector(a), Value::Vector(b)) => GcSlice::ptr_eq(a, b),
            (Value::Cell(a), Value::Cell(b)) => Gc::ptr_eq(a, b),
            (Value::Closure(a), Value::Closure(b)) => Gc::ptr_eq(a, b),
            (Value::Primitive(a), Value::Primitive(b)) => std::ptr::eq(*a, *b),
            (Value::RecordProc(a), Value::RecordProc(b)) => Gc::ptr_eq(a, b),
            (Value::Record(a), Value::Record(b)) => Gc::ptr_eq(a, b),
            (Value::RecordType(a), Value::RecordType(b)) => Gc::ptr_eq(a, b),
            (Value::Object(a), Value::Object(b)) => Gc::ptr_eq(a, b),
            _ => false,
        }
    }
}
