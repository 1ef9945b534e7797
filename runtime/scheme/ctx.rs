//! The interpreter's run-time context: the heap, the symbol table, output, pools and the
//! step budget (see [`budget`](super::budget)). Primitives receive `&mut Ctx`.

use std::collections::HashMap;
use std::io::Write;

pub use super::budget::Budget;
use super::error::{Result, SchemeError};
use super::gc::{AllocError, Gc, GcSlot, GcStr, Heap, LocalPool, Pool, Trace};
use super::reader::{Datum, Syntax};
use super::value::{MString, Pair, RecordType, Slot, Value};

/// Reusable string buffers for printing and string building. A global [`Pool`]: every
/// collection drains it (see `--gc-stats`), so idle buffers never pin memory for long.
pub static STRING_BUFFERS: Pool<String> =
    Pool::new(String::new).with_max_size(MAX_POOLED_STRING, String::capacity);

/// Buffers larger than this are dropped instead of pooled.
const MAX_POOLED_STRING: usize = 64 * 1024;

/// Takes an empty string buffer from [`STRING_BUFFERS`].
pub fn take_string() -> String {
    let mut s = STRING_BUFFERS.get();
    s.clear();
    s
}

/// Returns a buffer to [`STRING_BUFFERS`].
pub fn give_string(mut s: String) {
    s.clear();
    STRING_BUFFERS.put(s);
}

/// Value stacks that grew beyond this many slots are not pooled.
const MAX_POOLED_STACK: usize = 1 << 16;

/// Everything primitives may touch.
pub struct Ctx {
    /// The heap every value lives on.
    pub heap: Heap,
    symbols: HashMap<Box<str>, GcStr>,
    /// Where `display` and `write` go.
    pub out: Box<dyn Write>,
    /// The machine's value stacks: each top-level form runs on one taken from here and
    /// gives it back (emptied) when it ends. Drained by every full collection.
    pub stack_pool: LocalPool<Vec<Value>>,
    /// The step and time budget.
    pub budget: Budget,
    /// The heap's `max_heap_bytes`, checked before building large objects.
    max_heap: Option<usize>,
    /// The object of the `raise` or `error` being signalled, for the handler that
    /// catches it (an error of the interpreter itself has none: one is made from it).
    pub raised: Option<Value>,
    /// The record type of error objects, made on first use.
    error_type: Option<Gc<RecordType>>,
    /// The end-of-file object, made on first use.
    eof: Option<Value>,
    /// The top-level form running: which `run_source` call (numbered) and which of its
    /// forms. A continuation records it, and invoking the continuation sets it back, so the
    /// program goes on with the form after the one the continuation finishes.
    pub form: (u64, usize),
}

/// The largest single string or vector a script may build when the heap has no limit.
const MAX_OBJECT_BYTES: usize = 1 << 30;

/// The error every failed allocation becomes.
pub fn heap_limit(_: AllocError) -> SchemeError {
    SchemeError::limit("heap limit exceeded")
}

impl Ctx {
    /// A context over `heap` writing to `out`.
    pub fn new(heap: Heap, out: Box<dyn Write>, budget: Budget, max_heap: Option<usize>) -> Ctx {
        Ctx {
            heap,
            symbols: HashMap::new(),
            out,
            stack_pool: LocalPool::new(Vec::new),
            budget,
            max_heap,
            raised: None,
            error_type: None,
            eof: None,
            form: (0, 0),
        }
    }

    /// The end-of-file object (one per interpreter, so `eq?` holds between two).
    pub fn eof(&mut self) -> Result<Value> {
        if let Some(v) = &self.eof {
            return Ok(v.clone());
        }
        let v = Value::Object(self.alloc(super::objects::Object::Eof)?);
        self.eof = Some(v.clone());
        Ok(v)
    }

    /// The record type of error objects.
    pub fn error_type(&mut self) -> Result<Gc<RecordType>> {
        if let Some(t) = &self.error_type {
            return Ok(t.clone());
        }
        let name = self.text("error-object")?;
        let fields = vec![self.text("message")?, self.text("irritants")?];
        let t = self.alloc(RecordType { name, fields })?;
        self.error_type = Some(t.clone());
        Ok(t)
    }

    /// Checks, before building it on the Rust side, that an object of `bytes` can fit the
    /// heap: a huge `make-vector` is a script error, never an aborted allocation.
    pub fn reserve(&self, bytes: usize) -> Result<()> {
        match self.max_heap {
            Some(limit) if bytes > limit => Err(SchemeError::limit("heap limit exceeded")),
            _ if bytes > MAX_OBJECT_BYTES => Err(SchemeError::limit(format!(
                "object too large: {bytes} bytes (at most {MAX_OBJECT_BYTES})"
            ))),
            _ => Ok(()),
        }
    }

    /// Allocates `value` on the heap; a full heap is a script error, not an abort.
    #[inline]
    pub fn alloc<T: Trace + 'static>(&self, value: T) -> Result<Gc<T>> {
        self.heap.try_alloc(value).map_err(heap_limit)
    }

    /// A fresh pair.
    #[inline(always)]
    pub fn cons(&self, car: Value, cdr: Value) -> Result<Value> {
        Ok(Value::Pair(self.alloc(Pair {
            car: GcSlot::new(car),
            cdr: GcSlot::new(cdr),
        })?))
    }

    /// A fresh heap string holding `s` (not yet a Scheme value).
    fn text(&self, s: &str) -> Result<GcStr> {
        Ok(self.heap.try_alloc_str(s).map_err(heap_limit)?.into())
    }

    /// A fresh string.
    pub fn string(&self, s: &str) -> Result<Value> {
        let text = self.text(s)?;
        Ok(if s.is_ascii() {
            Value::AStr(text)
        } else {
            Value::Str(text)
        })
    }

    /// A fresh mutable string.
    pub fn mstring(&self, s: &str) -> Result<Value> {
        self.mstring_of(s.to_string())
    }

    /// A fresh mutable string holding `text`, moved in.
    pub fn mstring_of(&self, text: String) -> Result<Value> {
        Ok(Value::MStr(self.alloc(MString::new(text))?))
    }

    /// A fresh vector holding `items`.
    pub fn vector(&self, items: &[Value]) -> Result<Value> {
        self.vector_of(items.iter().cloned().map(Slot::new).collect())
    }

    /// A fresh vector of `slots`, moved in (no copy of the values).
    pub fn vector_of(&self, slots: Vec<Slot>) -> Result<Value> {
        Ok(Value::Vector(
            self.heap
                .try_alloc_from_vec(slots)
                .map_err(heap_limit)?
                .into(),
        ))
    }

    /// A fresh vector of `n` slots holding `fill`, built where it will live (no vector of
    /// slots made first and moved in).
    pub fn vector_filled(&self, n: usize, fill: &Value) -> Result<Value> {
        let slots = self
            .heap
            .try_alloc_slice_from_fn(n, |_| Slot::new(fill.clone()));
        Ok(Value::Vector(slots.map_err(heap_limit)?.into()))
    }

    /// The symbol named `name` (one heap string per name).
    pub fn intern(&mut self, name: &str) -> Result<Value> {
        if let Some(s) = self.symbols.get(name) {
            return Ok(Value::Symbol(s.clone()));
        }
        let s = self.text(name)?;
        self.symbols.insert(name.into(), s.clone());
        Ok(Value::Symbol(s))
    }

    /// A list of `items` ending in `tail`.
    pub fn list_with_tail(&self, items: &[Value], tail: Value) -> Result<Value> {
        let mut list = tail;
        for v in items.iter().rev() {
            list = self.cons(v.clone(), list)?;
        }
        Ok(list)
    }

    /// A proper list of `items`.
    pub fn list(&self, items: &[Value]) -> Result<Value> {
        self.list_with_tail(items, Value::Nil)
    }

    /// An empty value stack from the pool.
    pub fn take_stack(&self) -> Vec<Value> {
        let mut v = self.stack_pool.get();
        v.clear();
        v
    }

    /// Gives a value stack back to the pool (emptied: its handles stop being roots).
    pub fn give_stack(&self, mut v: Vec<Value>) {
        v.clear();
        if v.capacity() <= MAX_POOLED_STACK {
            self.stack_pool.put(v);
        }
    }

    /// The heap value of a quoted datum.
    pub fn datum_to_value(&mut self, d: &Syntax) -> Result<Value> {
        Ok(match &d.datum {
            Datum::Bool(b) => Value::Bool(*b),
            Datum::Int(i) => Value::Int(*i),
            Datum::Float(f) => Value::Float(*f),
            Datum::Char(c) => Value::Char(*c),
            Datum::Str(s) => self.string(s)?,
            Datum::Symbol(s) => self.intern(s)?,
            Datum::List(items, tail) => {
                let tail = match tail {
                    Some(t) => self.datum_to_value(t)?,
                    None => Value::Nil,
                };
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.datum_to_value(item)?);
                }
                self.list_with_tail(&values, tail)?
            }
            Datum::Vector(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.datum_to_value(item)?);
                }
                self.vector(&values)?
            }
        })
    }
}
