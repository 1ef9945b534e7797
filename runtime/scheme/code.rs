//! Compiled code: a store of nodes that refer to each other by index.
//!
//! The compiler turns each top-level form into nodes appended to one [`Code`] store owned by
//! the interpreter. Nodes never move and are never freed while the interpreter lives, so the
//! machine's continuations and the heap's closures refer to code by plain `u32` indices: no
//! lifetimes, no reference counts, nothing for the collector to trace. Constants (quoted data)
//! are `Value`s held by the store, which makes them roots for as long as the code exists.

use super::error::Pos;
use super::names::Names;
use super::primitives::Primitive;
use super::value::Value;

/// The index of a node in the code store.
pub type NodeId = u32;

/// The index of a lambda in the code store.
pub type LambdaId = u32;

/// One expression, compiled.
pub enum Node {
    /// A literal or quoted datum.
    Const(Value),
    /// A variable of an enclosing frame: walk `depth` parents, read slot `index`; `name`
    /// indexes the code store's names (for messages).
    Local {
        depth: u16,
        index: u16,
        name: u32,
        pos: Pos,
    },
    /// A global variable.
    Global { id: u32, pos: Pos },
    /// `set!` of a local, or (`init`) the store that gives a `let`, `letrec`, internal
    /// `define` or named-`let` variable its value.
    SetLocal {
        depth: u16,
        index: u16,
        value: NodeId,
        init: bool,
    },
    /// `set!` of a global (an error if it was never defined).
    SetGlobal { id: u32, value: NodeId, pos: Pos },
    /// A top-level `define`.
    DefineGlobal { id: u32, value: NodeId },
    /// `if`; a missing alternative is a `Const(Unspecified)` node.
    If {
        test: NodeId,
        then: NodeId,
        alt: NodeId,
    },
    /// A `lambda`: makes a closure over the current environment.
    Lambda(LambdaId),
    /// `begin`: the value of the last node.
    Seq(Box<[NodeId]>),
    /// A procedure call: `parts[0]` is the operator, the rest the operands.
    Call { parts: Box<[NodeId]>, pos: Pos },
    /// A call of a built-in that user code cannot rebind (what quasiquote and
    /// define-record-type expand into).
    PrimCall {
        prim: &'static Primitive,
        args: Box<[NodeId]>,
        pos: Pos,
    },
    /// `let` and friends: evaluate `inits` in the current environment, then run the lambda's
    /// body in a new frame, with no closure allocated.
    Let {
        lambda: LambdaId,
        inits: Box<[NodeId]>,
    },
    /// `and`.
    And(Box<[NodeId]>),
    /// `or`.
    Or(Box<[NodeId]>),
    /// A `cond` clause `(test => func)`: if `test` is true, call `func` on its value.
    CondArrow {
        test: NodeId,
        func: NodeId,
        alt: NodeId,
        pos: Pos,
    },
    /// `guard`: run `body`; an exception raised in it runs the handler's body in a new
    /// frame whose one variable holds the raised object.
    Guard { body: NodeId, handler: LambdaId },
    /// `case`: the first clause whose data contain the key (by `eqv?`) wins.
    Case {
        key: NodeId,
        clauses: Box<[(Box<[Value]>, NodeId)]>,
        default: NodeId,
    },
}

/// A compiled `lambda`.
pub struct Lambda {
    /// Number of required parameters.
    pub required: usize,
    /// Whether extra arguments are collected into a list in the next slot.
    pub rest: bool,
    /// Slots of a frame: parameters (and the rest list), then internal definitions.
    pub frame_size: usize,
    /// The body.
    pub body: NodeId,
    /// The procedure's name when known (`define` of a lambda), for messages.
    pub name: Option<String>,
}

/// The store of every node and lambda compiled so far.
#[derive(Default)]
pub struct Code {
    nodes: Vec<Node>,
    lambdas: Vec<Lambda>,
    names: Names,
    /// For the frame holding a named `let`'s procedure variable (slot 0), that procedure.
    loops: std::collections::HashMap<LambdaId, LambdaId>,
}

impl Code {
    /// Appends a node and returns its index.
    pub fn add(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        (self.nodes.len() - 1) as NodeId
    }

    /// Appends a lambda and returns its index.
    pub fn add_lambda(&mut self, lambda: Lambda) -> LambdaId {
        self.lambdas.push(lambda);
        (self.lambdas.len() - 1) as LambdaId
    }

    /// The node at `id`.
    #[inline]
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The index of a variable name, for `Node::Local`.
    pub fn name_id(&mut self, name: &str) -> u32 {
        self.names.intern(name).0
    }

    /// The variable name with index `id`.
    pub fn name(&self, id: u32) -> &str {
        self.names.get(id).unwrap_or("?")
    }

    /// The lambda at `id`.
    #[inline]
    pub fn lambda(&self, id: LambdaId) -> &Lambda {
        &self.lambdas[id as usize]
    }

    /// Records that slot 0 of frame `holder` is the variable of named-`let` procedure `proc`.
    pub fn mark_loop(&mut self, holder: LambdaId, proc: LambdaId) {
        self.loops.insert(holder, proc);
    }

    /// The named-`let` procedure whose variable is slot 0 of frame `holder`.
    pub fn loop_proc(&self, holder: LambdaId) -> Option<LambdaId> {
        self.loops.get(&holder).copied()
    }

    /// Gives a lambda its name (used when `define` binds it).
    pub fn name_lambda(&mut self, id: LambdaId, name: &str) {
        let l = &mut self.lambdas[id as usize];
        if l.name.is_none() {
            l.name = Some(name.to_string());
        }
    }
}
