//! Bytecode: what the machine runs. [`codegen`](super::codegen) turns each compiled top-level
//! form (a tree of [`Node`](super::code::Node)s) into instructions appended to one
//! [`Program`] owned by the interpreter.
//!
//! The machine is a stack machine: an activation's frame is a window of the machine's value
//! stack (parameters, then every `let`, `letrec` and internal-`define` variable of the
//! procedure's body at a slot fixed by the code generator), and temporaries are pushed above
//! it. A variable that a closure captures is copied into the closure when it is made (flat
//! closures); only a variable the program `set!`s, or a captured one given its value by a
//! store, lives in a heap cell, shared by the frame, the closures and continuations' copies
//! of the frame. A call whose procedure has no such variable allocates nothing on the heap.

use std::collections::HashMap;

use super::error::Pos;
use super::fastops::FastOp;
use super::primitives::Primitive;
use super::value::{Shape, Value};

/// The index of an instruction in [`Program::ops`].
pub type Pc = u32;

/// One instruction. Slots are relative to the activation's base, free-variable indices to
/// the running closure's captured values. `repr(u8)`: the tag is a plain byte, never packed
/// into a field's niche, so dispatch reads it with one load.
#[derive(Clone, Copy)]
#[repr(u8)]
pub enum Op {
    /// Push constant `n`.
    Const(u32),
    /// Push a frame slot (an error if it holds no value yet).
    Local(u16),
    /// Push the value of the cell in a frame slot.
    LocalCell(u16),
    /// Push a frame slot as it is (a cell stays a cell), to capture it in a closure.
    LocalRaw(u16),
    /// Push a captured value.
    Free(u16),
    /// Push the value of a captured cell.
    FreeCell(u16),
    /// Push a captured value as it is, to capture it again.
    FreeRaw(u16),
    /// Push a global (an error if unbound).
    Global(u32),
    /// Pop into a frame slot.
    SetLocal(u16),
    /// Pop into the cell of a frame slot.
    SetLocalCell(u16),
    /// Pop into a captured cell.
    SetFreeCell(u16),
    /// Pop into a global that must already be bound.
    SetGlobal(u32),
    /// Pop into a global, binding it.
    DefineGlobal(u32),
    /// Move a frame slot's value into a fresh cell stored in the slot.
    MakeCell(u16),
    /// Store a fresh cell holding no value yet in a frame slot.
    NewCell(u16),
    /// Mark slots `from..to` as holding no value yet.
    Clear(u16, u16),
    /// Pop and discard.
    Pop,
    /// Push a copy of the top.
    Dup,
    /// Exchange the two topmost values.
    Swap,
    /// Continue at the target.
    Jump(Pc),
    /// Pop; continue at the target if the value was `#f`.
    JumpIfFalse(Pc),
    /// If the top is true, continue at the target keeping it; otherwise pop it.
    OrJump(Pc),
    /// Pop the key and continue at the target of case table `n`.
    Case(u32),
    /// Pop `n` captured values (pushed in order) and push a closure of prototype `proto`.
    Closure { proto: u32, free: u16 },
    /// Call the value below `n` arguments on them.
    Call(u16),
    /// The same as the last thing this procedure does: the frame is reused.
    TailCall(u16),
    /// A named `let`'s procedure calling itself in tail position on the `n` topmost values:
    /// they become its parameters and its code starts again (the running closure stays).
    TailSelf(u16),
    /// An inlined loop's next iteration (see [`loops`](super::loops)): pop the `n` topmost
    /// values into slots `slot..slot + n` and continue at the target, the loop's head.
    Loop { slot: u16, n: u16, target: Pc },
    /// The next iteration of an inlined loop of one variable whose new value is a
    /// two-argument fixnum operation of in-place operands (`(+ j i)` in
    /// `(do ((j a (+ j i))) ...)`), before the general code of that value and the `Loop`
    /// (see [`fixnums`](super::fixnums)): while global `id` holds its primitive and the
    /// operands are fixnums (the result one too, for a sum), store the result into `slot`
    /// and continue at `target`, as they would; otherwise run them.
    StepLoop {
        f: FastOp,
        a: Src,
        b: Src,
        slot: u16,
        id: u32,
        target: Pc,
    },
    /// A tail call of global `id`, the one a `define` gave the running procedure to, on
    /// the `n` topmost values (as many as it takes): while the global holds the running
    /// closure, they replace its parameters and its code starts again; otherwise it is a
    /// `TailCallGlobal`.
    TailSelfGlobal(u32, u16),
    /// Call global `id` on the `n` topmost values.
    CallGlobal(u32, u16),
    /// The same in tail position.
    TailCallGlobal(u32, u16),
    /// Call global `id` on the topmost values (as many as the operation takes), inline
    /// while the global holds its installed primitive.
    Fast(FastOp, u32),
    /// A predicate `Fast` call as the test of an `if`, always followed by the `if`'s
    /// `JumpIfFalse`, whose target it repeats (`patch` sets both): when the inline case
    /// applies, go on after that jump if true, at the target if false; otherwise make the
    /// call, whose value the jump then tests.
    FastBranch(FastOp, u32, Pc),
    /// The test of an `if` that is `(not (f ...))`, `f` a predicate `Fast` operation whose
    /// arguments are on the stack, before its general code: always followed by a `Fast` of
    /// `f` (global `id`), the `FastBranch` of `not` (global `id_not`) and its `JumpIfFalse`,
    /// whose target it repeats (`patch` sets it). While both globals hold their primitives
    /// and the inline case of `f` applies, pop the arguments and go on after that jump when
    /// `f` is false, at the target when true; otherwise run the general code.
    FastBranchNot {
        f: FastOp,
        id: u32,
        id_not: u32,
        target: Pc,
    },
    /// A two-argument `Fast` call whose arguments are parameters or small integers, read in
    /// place: inline when both are fixnums, otherwise they are pushed and it is a `Fast`.
    Fast2(FastOp, u32, Src, Src),
    /// The same as the test of an `if` (see `FastBranch`).
    FastBranch2(FastOp, u32, Src, Src, Pc),
    /// A two-argument fixnum `Fast` call with one operand computed onto the top of the
    /// stack (its `Side`) and the other in place (see [`operands`](super::operands)):
    /// inline when both are fixnums, the result replacing the top; otherwise the operands
    /// are put in order and it is a `Fast`.
    FastTop(FastOp, u32, Src, Side),
    /// The same as the test of an `if` (see `FastBranch`).
    FastBranchTop(FastOp, u32, Src, Side, Pc),
    /// `(vector-ref x k)` or `(string-ref x k)` whose `x` is a parameter (of this procedure
    /// or captured) and `k` an in-place operand: inline while global `id` holds its
    /// primitive and the case applies, otherwise the operands are pushed and it is a
    /// `Fast` (see [`place_ops`](super::place_ops)).
    FastRef(FastOp, u32, Src, Src),
    /// `(vector-set! x k v)` likewise, `v` on top of the stack.
    FastSet(u32, Src, Src),
    /// `(vector-set! x k v)` likewise, `v` a literal: constant `n`, pushed only when the
    /// inline case does not apply.
    FastSetK(u32, Src, Src, u32),
    /// A `FastSet` whose value is not used, always followed by a `Pop`: the inline case
    /// pops the new value into the vector and skips that `Pop`; otherwise it runs as a
    /// `FastSet`, whose value the `Pop` drops.
    FastSetDrop(u32, Src, Src),
    /// The same for a `FastSetK`.
    FastSetKDrop(u32, Src, Src, u32),
    /// The test of an `if` comparing two parameters as fixnums, before the test's general
    /// code (see [`fixnums`](super::fixnums)): while globals `id` and `id2` hold their
    /// primitives and both values are fixnums, skip the next `skip` instructions (the
    /// general code and its `JumpIfFalse`) when the comparison holds, at `target` when not;
    /// otherwise go on with the general code. `mask` is the set of orderings (less 1,
    /// equal 2, greater 4) for which the test is true.
    BranchLL {
        mask: u8,
        skip: u8,
        a: u16,
        b: u16,
        id: u32,
        id2: u32,
        target: Pc,
    },
    /// The same comparing a parameter with a small integer.
    BranchLK {
        mask: u8,
        skip: u8,
        a: u16,
        k: i16,
        id: u32,
        id2: u32,
        target: Pc,
    },
    /// `(+ x k)` or `(- x k)` (`k` negated) of a parameter and a small integer, before the
    /// call's general code (a `Fast2`): while global `id` holds its primitive and the sum
    /// is a fixnum, push it and skip the general code; otherwise run it.
    AddK { id: u32, slot: u16, k: i32 },
    /// `(car x)`, `(cdr x)`, `(null? x)`, `(pair? x)` or `(not x)` of a parameter read in
    /// place, before the call's general code (see [`slot_ops`](super::slot_ops)): while
    /// global `id` holds its primitive and the inline case applies, push the result and
    /// skip the next `skip` instructions (the general code).
    FastSlot {
        f: FastOp,
        skip: u8,
        slot: u16,
        id: u32,
    },
    /// The test of an `if` by `null?`, `pair?`, `not` or `zero?` of a parameter read in
    /// place, before the test's general code: while global `id` holds its primitive and
    /// the inline case applies, skip the next `skip` instructions (the general code and its
    /// `JumpIfFalse`) if true, go to `target` if not.
    BranchSlot {
        f: FastOp,
        skip: u8,
        slot: u16,
        id: u32,
        target: Pc,
    },
    /// Call a built-in that programs cannot rebind on the `n` topmost values.
    Prim(&'static Primitive, u16),
    /// Return the top to the caller.
    Return,
    /// Return a frame slot's value (a parameter) to the caller: `LocalRaw` and `Return`.
    ReturnLocal(u16),
    /// A `guard` body starts: an exception raised in it continues at the target, with the
    /// raised object pushed and the stacks cut back to what they are now.
    PushCatch(Pc),
    /// A `guard` body ended normally.
    PopCatch,
}

/// An operand read in place by `Fast2` and `FastBranch2`.
#[derive(Clone, Copy)]
pub enum Src {
    /// A frame slot that always holds a value (a parameter), never a cell.
    Local(u16),
    /// A small exact integer.
    Small(i16),
    /// A captured value of the running closure that always holds a value (a parameter of
    /// an enclosing procedure or `let`), never a cell.
    Free(u16),
}

/// Which operand of a `FastTop` or `FastBranchTop` is the computed one, on the stack.
#[derive(Clone, Copy)]
pub enum Side {
    /// The first.
    Left,
    /// The second.
    Right,
}

/// A compiled procedure: where its code starts and what a call must set up.
pub struct Proto {
    /// First instruction.
    pub entry: Pc,
    /// Required parameters.
    pub required: u16,
    /// Whether extra arguments are collected into a list in the next slot.
    pub rest: bool,
    /// Slots of an activation (parameters, rest list and every body variable).
    pub frame_size: u16,
    /// The procedure's name when known, for messages and backtraces.
    pub name: Option<String>,
}

impl Proto {
    /// What a call of one of its closures needs.
    pub fn shape(&self) -> Shape {
        Shape {
            entry: self.entry,
            required: self.required,
            frame_size: self.frame_size,
            rest: self.rest,
        }
    }
}

/// A `case` dispatch: the first clause whose data hold the key (by `eqv?`) wins.
pub struct CaseTable {
    /// Each clause's data and where its body starts.
    pub clauses: Vec<(Box<[Value]>, Pc)>,
    /// Where the `else` (or unspecified result) code starts.
    pub default: Pc,
}

/// Every instruction, constant and prototype compiled so far. Nothing is ever removed, so
/// closures and pending calls refer to code by index; the constants are `Value`s held
/// here, hence roots for as long as the interpreter lives.
#[derive(Default)]
pub struct Program {
    /// The instructions.
    pub ops: Vec<Op>,
    /// For each instruction, the source position an error there is reported at.
    pub pos: Vec<Pos>,
    /// Constants.
    pub consts: Vec<Value>,
    /// Procedures (top-level forms too, as procedures of no parameters).
    pub protos: Vec<Proto>,
    /// `case` tables.
    pub cases: Vec<CaseTable>,
    /// Variable names of `Local`/`Free` instructions, by position, for messages.
    pub var_names: HashMap<Pc, String>,
}

impl Program {
    /// Appends an instruction with its position; returns its index.
    pub fn emit(&mut self, op: Op, pos: Pos) -> Pc {
        self.ops.push(op);
        self.pos.push(pos);
        (self.ops.len() - 1) as Pc
    }

    /// The index the next instruction will get.
    pub fn here(&self) -> Pc {
        self.ops.len() as Pc
    }

    /// Points the inline test at `at` (a `BranchLL`, `BranchLK` or `BranchSlot`) to `target`, and makes it
    /// skip the instructions up to `end` (the general code and its `JumpIfFalse`). One
    /// whose general code is too long to skip becomes a no-op jump to that code.
    pub fn patch_inline(&mut self, at: Pc, end: Pc, target: Pc) {
        let Ok(n) = u8::try_from(end - (at + 1)) else {
            self.ops[at as usize] = Op::Jump(at + 1);
            return;
        };
        if let Op::BranchLL {
            skip, target: t, ..
        }
        | Op::BranchLK {
            skip, target: t, ..
        }
        | Op::BranchSlot {
            skip, target: t, ..
        } = &mut self.ops[at as usize]
        {
            *skip = n;
            *t = target;
        }
    }

    /// Makes the inline call at `at` (a `FastSlot`) skip the instructions up to `end` (its
    /// general code); one whose general code is too long becomes a no-op jump.
    pub fn patch_skip(&mut self, at: Pc, end: Pc) {
        let Ok(n) = u8::try_from(end - (at + 1)) else {
            self.ops[at as usize] = Op::Jump(at + 1);
            return;
        };
        if let Op::FastSlot { skip, .. } = &mut self.ops[at as usize] {
            *skip = n;
        }
    }

    /// Points the jump at `at` to `target`.
    pub fn patch(&mut self, at: Pc, target: Pc) {
        match &mut self.ops[at as usize] {
            Op::Jump(t) | Op::JumpIfFalse(t) | Op::OrJump(t) | Op::PushCatch(t) => *t = target,
            _ => {}
        }
        // A fast predicate right before a `JumpIfFalse` is that jump's test (it is always
        // followed by one) and jumps to the same place.
        if let (Op::JumpIfFalse(_), Some(before)) =
            (self.ops[at as usize], (at as usize).checked_sub(1))
        {
            if let Op::FastBranch(.., t) | Op::FastBranch2(.., t) | Op::FastBranchTop(.., t) =
                &mut self.ops[before]
            {
                *t = target;
            }
        }
        // A `FastBranchNot` three instructions before a `JumpIfFalse` is that jump's inline
        // test (it is always followed by a `Fast`, a `FastBranch` and the jump).
        if let (Op::JumpIfFalse(_), Some(before)) =
            (self.ops[at as usize], (at as usize).checked_sub(3))
        {
            if let Op::FastBranchNot { target: t, .. } = &mut self.ops[before] {
                *t = target;
            }
        }
    }

    /// The position of instruction `pc`.
    pub fn pos_of(&self, pc: Pc) -> Pos {
        self.pos.get(pc as usize).copied().unwrap_or_default()
    }

    /// The name of the procedure of prototype `proto`.
    pub fn proc_name(&self, proto: u32) -> &str {
        self.protos
            .get(proto as usize)
            .and_then(|p| p.name.as_deref())
            .unwrap_or("#<procedure>")
    }
}
