//! Which variables need a heap cell: those something assigns.
//!
//! Closures copy the variables they capture (flat closures), which is only correct for a
//! variable whose value never changes after the closure is made; and a continuation copies
//! the frames on the value stack, which is only correct for slots that never change after
//! they are first written. So a variable that is assigned (`set!`, or the store a `letrec`,
//! internal `define` or named `let` makes) lives in a cell that the frame, every closure and
//! every copy of the frame share. Every other variable stays a plain slot of the stack.

use std::collections::HashSet;

use super::code::{Code, LambdaId, Node, NodeId};

/// A variable: the scope (a lambda of the code store, procedure or `let` frame) and its slot.
pub type VarKey = (LambdaId, u16);

enum Work {
    Visit(NodeId),
    Enter(LambdaId),
    Exit,
}

/// What the code generator needs to know about the variables of a top-level form.
pub struct Analysis {
    /// The variables that must live in cells.
    pub boxed: HashSet<VarKey>,
    /// The variables with more than one store (a named `let`'s procedure variable has
    /// exactly one unless the program assigns it).
    pub reassigned: HashSet<VarKey>,
}

/// The variables of the tree under `root` that must live in cells.
///
/// Walks with an explicit stack: long `let*` and `cond` chains make deep trees.
pub fn analyse(code: &Code, root: NodeId) -> Analysis {
    let mut assigned = HashSet::new();
    let mut reassigned = HashSet::new();
    // The scopes in effect, innermost last.
    let mut scopes: Vec<LambdaId> = Vec::new();
    let mut work = vec![Work::Visit(root)];
    let target = |scopes: &[LambdaId], depth: u16| {
        scopes
            .len()
            .checked_sub(1 + depth as usize)
            .map(|i| scopes[i])
    };
    while let Some(item) = work.pop() {
        let id = match item {
            Work::Visit(id) => id,
            Work::Enter(lambda) => {
                scopes.push(lambda);
                continue;
            }
            Work::Exit => {
                scopes.pop();
                continue;
            }
        };
        let visit = |work: &mut Vec<Work>, ids: &[NodeId]| {
            work.extend(ids.iter().rev().map(|&n| Work::Visit(n)));
        };
        match code.node(id) {
            Node::Const(_) | Node::Global { .. } | Node::Local { .. } => {}
            Node::SetLocal {
                depth,
                index,
                value,
            } => {
                if let Some(lambda) = target(&scopes, *depth) {
                    if !assigned.insert((lambda, *index)) {
                        reassigned.insert((lambda, *index));
                    }
                }
                work.push(Work::Visit(*value));
            }
            Node::SetGlobal { value, .. } | Node::DefineGlobal { value, .. } => {
                work.push(Work::Visit(*value))
            }
            Node::If { test, then, alt } => visit(&mut work, &[*test, *then, *alt]),
            Node::Lambda(lambda) => {
                work.push(Work::Exit);
                work.push(Work::Visit(code.lambda(*lambda).body));
                work.push(Work::Enter(*lambda));
            }
            Node::Seq(ids) | Node::And(ids) | Node::Or(ids) => visit(&mut work, ids),
            Node::Call { parts: ids, .. } | Node::PrimCall { args: ids, .. } => {
                visit(&mut work, ids)
            }
            Node::Let { lambda, inits } => {
                work.push(Work::Exit);
                work.push(Work::Visit(code.lambda(*lambda).body));
                work.push(Work::Enter(*lambda));
                visit(&mut work, inits);
            }
            Node::CondArrow {
                test, func, alt, ..
            } => visit(&mut work, &[*test, *func, *alt]),
            Node::Guard { body, handler } => {
                work.push(Work::Exit);
                work.push(Work::Visit(code.lambda(*handler).body));
                work.push(Work::Enter(*handler));
                work.push(Work::Visit(*body));
            }
            Node::Case {
                key,
                clauses,
                default,
            } => {
                let mut ids = vec![*key];
                ids.extend(clauses.iter().map(|(_, body)| *body));
                ids.push(*default);
                visit(&mut work, &ids);
            }
        }
    }
    Analysis {
        boxed: assigned,
        reassigned,
    }
}
