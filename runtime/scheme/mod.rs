//! The example Scheme interpreter: how to embed prologue in a language runtime.
//!
//! `prologue run FILE.scm` runs a program written in a subset of R7RS-small. Every Scheme
//! value that has identity lives on one prologue [`Heap`](prologue::Heap) per interpreter:
//! pairs, strings, symbols, vectors, closures, the cells of assigned variables,
//! records, promises, parameters, ports and continuations are `Gc` handles (with `GcCell`
//! where Scheme allows mutation); fixnums, flonums, characters and booleans are immediates.
//! The interpreter never registers a root and never marks a safepoint: handles held on the
//! Rust side (the machine's value stack, a `Vec<Value>`; its call frames; compiled
//! constants; the global table) are found by the collector's handle counting, so a
//! collection may run at any allocation, in the middle of deep recursion or a
//! ten-million-iteration loop.
//!
//! The pieces, in the order a program meets them:
//! - [`reader`] (and [`atoms`]): text to [`Syntax`] trees with line and column;
//! - [`compiler`], `bindings`, [`expand`] and `derived`: syntax to [`code`] nodes, variables
//!   resolved to frame slots, derived forms expanded;
//! - `analysis` and [`codegen`]: nodes to [`bytecode`] for a stack machine; each procedure's
//!   variables get fixed slots of its frame on the machine's value stack, closures are flat
//!   (they copy what they capture), and only a `set!` variable, or a captured variable that
//!   gets its value by a store, has a heap cell (shared by the frame, the closures and the
//!   continuations' copies of the frame); `loops` runs a named `let` or `do` whose name is
//!   only called in tail position of its own body in the frame around it, as a jump;
//! - [`machine`] (and `apply`, `control`, [`fastops`], `fixnums`, `slot_ops`): the bytecode
//!   machine, with an explicit call stack (proper tail calls, bounded depth, constant
//!   native stack), primitives called on a slice of the value stack, and inline paths for
//!   the hottest primitives (fixnum tests and sums of parameters, `car`, `cdr` and
//!   predicates of parameters, decoded when the code is generated);
//! - [`primitives`]: the built-in procedures; [`printer`]: `display` and `write`;
//! - [`ctx`]: the heap, the symbol table, output and the pools; [`budget`]: the step and
//!   time budget.
//!
//! What a call allocates on the heap: nothing, for a procedure with no such cell variable
//! (its frame is a window of the value stack, its arguments are already there). A procedure
//! with a rest parameter allocates the rest list; a cell variable costs one cell per
//! binding; `call/cc` copies the stack in use into the heap; evaluating a `lambda` costs one
//! closure object. binary-trees at depth 16 allocates 1.0 heap object per pair it builds.
//!
//! Pools are used where an interpreter would use them: the machine's value stacks come from a
//! [`LocalPool`](prologue::LocalPool) (each top-level form takes one and gives it back), and
//! string buffers from a global [`Pool`](prologue::Pool); every full collection drains both.
//!
//! The interpreter has no file, network or process primitives: a script reads nothing but
//! its own strings and can only write to standard output and fail with an error.

mod analysis;
mod apply;
pub mod atoms;
mod bindings;
pub mod budget;
pub mod bytecode;
pub mod code;
pub mod codegen;
mod codegen_forms;
mod codegen_frames;
pub mod compiler;
mod continuations;
mod control;
pub mod ctx;
mod derived;
pub mod error;
pub mod expand;
pub mod fastops;
mod fixnums;
mod frames;
pub mod globals;
mod loops;
pub mod machine;
mod macro_use;
pub mod macros;
pub mod names;
pub mod objects;
mod operands;
mod place_ops;
pub mod primitives;
pub mod printer;
mod promises;
pub mod reader;
pub mod repl;
mod slot_ops;
mod special_forms;
pub mod value;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;

use std::io::Write;
use std::time::Duration;

use self::bytecode::Program;
use self::code::Code;
use self::compiler::Compiler;
use self::ctx::{Budget, Ctx};
use self::error::{Result, SchemeError};
use self::globals::Globals;
use self::machine::Machine;
use self::reader::{Reader, Syntax};
use self::value::Value;

/// The collector types the interpreter uses, in one place.
pub mod gc {
    pub use prologue::{
        AllocError, Config, Gc, GcCell, GcRef, GcSlice, GcSlot, GcStr, Heap, LocalPool, Pool,
        SlotValue, Trace, Tracer,
    };
}

/// The default limit on pending continuations (roughly: nested non-tail calls).
pub const DEFAULT_MAX_DEPTH: usize = 1_000_000;

/// How an interpreter is set up.
#[derive(Clone, Debug)]
pub struct Options {
    /// The heap's configuration (pacing, limit, torture mode).
    pub heap: gc::Config,
    /// Most pending continuations before "stack depth exceeded".
    pub max_depth: usize,
    /// Most machine steps before "fuel exhausted".
    pub fuel: Option<u64>,
    /// Longest wall time before "timeout".
    pub timeout: Option<Duration>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            heap: gc::Config::default(),
            max_depth: DEFAULT_MAX_DEPTH,
            fuel: None,
            timeout: None,
        }
    }
}

/// A Scheme interpreter: compiled code, globals and a heap.
///
/// ```ignore
/// let mut scheme = Interpreter::new(Options::default(), Box::new(std::io::stdout()));
/// scheme.run_source("(display (+ 1 2))")?;
/// ```
pub struct Interpreter {
    code: Code,
    macros: macro_use::MacroTable,
    prog: Program,
    globals: Globals,
    ctx: Ctx,
    max_depth: usize,
}

impl Interpreter {
    /// A fresh interpreter writing to `out`.
    pub fn new(options: Options, out: Box<dyn Write>) -> Interpreter {
        let heap = gc::Heap::with_config(options.heap.clone());
        let budget = Budget::new(options.fuel, options.timeout);
        let ctx = Ctx::new(heap, out, budget, options.heap.max_heap_bytes);
        let mut globals = Globals::default();
        primitives::install(&mut globals);
        Interpreter {
            code: Code::default(),
            macros: Default::default(),
            prog: Program::default(),
            globals,
            ctx,
            max_depth: options.max_depth.max(1),
        }
    }

    /// The interpreter's heap.
    pub fn heap(&self) -> &gc::Heap {
        &self.ctx.heap
    }

    /// Statistics of the value-stack pool.
    pub fn stack_pool_stats(&self) -> prologue::PoolStats {
        self.ctx.stack_pool.stats()
    }

    /// Starts the wall-clock budget (`--timeout`); `run_source` calls it.
    pub fn start_clock(&mut self) {
        self.ctx.budget.start();
    }

    /// Restores the whole step budget (`--fuel`) and restarts the clock.
    pub fn reset_budget(&mut self) {
        self.ctx.budget.reset();
    }

    /// Flushes the output.
    pub fn flush(&mut self) -> Result<()> {
        self.ctx
            .out
            .flush()
            .map_err(|e| SchemeError::new(format!("output error: {e}")))
    }

    /// Compiles and runs one top-level form.
    pub fn eval(&mut self, form: &Syntax) -> Result<Value> {
        let node = Compiler::new(
            &mut self.code,
            &mut self.globals,
            &mut self.ctx,
            &mut self.macros,
        )
        .compile_toplevel(form)?;
        let proto = codegen::generate(&self.code, &self.globals, &mut self.prog, node, form.pos)?;
        Machine::new(&self.prog, &mut self.globals, &mut self.ctx, self.max_depth).run(proto)
    }

    /// Reads and runs every form of `src` in order; returns the last form's value.
    ///
    /// A continuation captured in one form and invoked in a later one finishes the form it
    /// was captured in, and the program goes on with the form after that one (the forms
    /// read are kept for this), as the continuation of a program's form is the rest of it.
    pub fn run_source(&mut self, src: &str) -> Result<Value> {
        self.start_clock();
        let source = self.ctx.form.0 + 1;
        let mut reader = Reader::new(src);
        let mut forms = Vec::new();
        let mut next = 0;
        let mut last = Value::Unspecified;
        loop {
            if next == forms.len() {
                match reader.next_datum()? {
                    Some(form) => forms.push(form),
                    None => break,
                }
            }
            self.ctx.form = (source, next);
            last = self.eval(&forms[next])?;
            next = match self.ctx.form {
                (s, form) if s == source && form < forms.len() => form + 1,
                _ => next + 1,
            };
        }
        self.ctx.form = (source, 0);
        Ok(last)
    }

    /// Runs `src` and renders its value as `write` would (for tests).
    #[cfg(test)]
    pub fn eval_to_string(&mut self, src: &str) -> Result<String> {
        let v = self.run_source(src)?;
        Ok(write_string(&v))
    }
}

/// The full `write` rendering of a value.
pub fn write_string(v: &Value) -> String {
    let mut s = String::new();
    let _ = printer::print(v, true, &mut |chunk| {
        s.push_str(chunk);
        Ok(true)
    });
    s
}
